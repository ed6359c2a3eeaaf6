"""Which view is each DICOM stack? SeriesDescription first, geometry second, a warning when only guessing.

* A description naming a view (see :mod:`CineMALib.io.viewnames`) wins.
* Otherwise a multi-slice parallel stack is ``sax`` and a single slice is a long-axis view.
* An unnamed long-axis slice is told apart relative to the SAX stack when there is one: its plane normal, projected
  onto the SAX plane, is compared with the patient's superior axis projected the same way. The 4-chamber (horizontal
  long axis) plane lies nearly across the body, so its normal points mostly head-foot (angle < 30 deg); the
  2-chamber (vertical long axis) normal is nearly perpendicular to that (> 60 deg); the 3-chamber lies between.
  Without a SAX stack the names lax_4c, lax_2c, lax_3c are handed out in series order. Both paths warn.
* Two stacks claiming one view are ambiguous: a :class:`CineMAInputError` lists them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.io.dicom import Stack
from CineMALib.io.viewnames import view_from_text

LAX_ORDER = ("lax_4c", "lax_2c", "lax_3c")
SUPERIOR_LPS = np.array([0.0, 0.0, 1.0])


def lax_angle_deg(lax_normal: np.ndarray, sax_normal: np.ndarray) -> float:
    """Angle (0-90 deg) between a LAX plane normal and the superior axis, both projected onto the SAX plane."""
    u = sax_normal / np.linalg.norm(sax_normal)
    m = lax_normal - (lax_normal @ u) * u
    s = SUPERIOR_LPS - (SUPERIOR_LPS @ u) * u
    if np.linalg.norm(m) < 1e-6 or np.linalg.norm(s) < 1e-6:
        return float("nan")
    cos = abs(float(m @ s)) / (np.linalg.norm(m) * np.linalg.norm(s))
    return float(np.degrees(np.arccos(min(1.0, cos))))


def lax_from_angle(angle: float) -> str:
    return "lax_4c" if angle < 30 else ("lax_2c" if angle > 60 else "lax_3c")


def assign_views(stacks: list[Stack], where: Path) -> dict[str, Stack]:
    """View name -> stack for every usable stack (see the module docstring)."""
    claims: dict[str, list[Stack]] = {}
    unnamed_lax: list[Stack] = []
    for stack in stacks:
        view = view_from_text(stack.description)
        if view is None and stack.n_slices > 1:
            view = "sax"
        if view is None:
            unnamed_lax.append(stack)
            continue
        if view != "sax" and stack.n_slices > 1:
            warnings.warn(f"{where}: {stack.label} is named {view} but holds {stack.n_slices} slices", stacklevel=2)
        if view == "sax" and stack.n_slices == 1:
            warnings.warn(f"{where}: {stack.label}: a short-axis cine with a single slice", stacklevel=2)
        claims.setdefault(view, []).append(stack)
    for view, stack in _name_long_axis(unnamed_lax, claims, where).items():
        claims.setdefault(view, []).append(stack)
    for view, members in claims.items():
        if len(members) > 1:
            listed = "; ".join(f"{s.label} ({s.n_slices} slices x {s.n_phases} phases)" for s in members)
            raise CineMAInputError(where, f"ambiguous: {len(members)} series look like the {view} view ({listed}); "
                                          "pass a mapping view -> path or put each series in its own folder")
    return {view: members[0] for view, members in claims.items()}


def _name_long_axis(unnamed: list[Stack], claims: dict[str, list[Stack]], where: Path) -> dict[str, Stack]:
    if not unnamed:
        return {}
    free = [v for v in LAX_ORDER if v not in claims]
    sax = claims.get("sax", [])
    if len(sax) == 1 and sax[0].n_slices > 1:
        angles = {id(s): lax_angle_deg(s.normal, sax[0].normal) for s in unnamed}
        guesses = {id(s): lax_from_angle(angles[id(s)]) for s in unnamed if np.isfinite(angles[id(s)])}
        if len(guesses) == len(unnamed) and len(set(guesses.values())) == len(unnamed) and \
                all(g in free for g in guesses.values()):
            out = {guesses[id(s)]: s for s in unnamed}
        else:  # several in one class: rank by angle, smallest (4c) to largest (2c)
            ranked = sorted(unnamed, key=lambda s: angles[id(s)] if np.isfinite(angles[id(s)]) else 45.0)
            order = [v for v in ("lax_4c", "lax_3c", "lax_2c") if v in free]
            if len(ranked) == 2 and "lax_3c" in order and len(order) == 3:
                order.remove("lax_3c")
            out = dict(zip(order, ranked))
        for view, s in out.items():
            warnings.warn(f"{where}: {s.label} has no view in its description; called {view} from its angle to "
                          f"the short-axis stack ({angles[id(s)]:.0f} deg)", stacklevel=3)
    else:
        out = dict(zip(free, unnamed))
        for view, s in out.items():
            warnings.warn(f"{where}: {s.label} has no view in its description and there is no short-axis stack to "
                          f"compare with; guessing {view}", stacklevel=3)
    chosen = {id(s) for s in out.values()}
    for s in (s for s in unnamed if id(s) not in chosen):
        warnings.warn(f"{where}: skipping {s.label}: no long-axis view name left for it", stacklevel=3)
    return out
