"""Which view is each DICOM stack? SeriesDescription first, geometry second, a warning when only guessing.

* A description naming a view (see :mod:`CineMALib.io.viewnames`) wins.
* Otherwise a multi-slice parallel stack is ``sax`` and a single slice is a long-axis view.
* Unnamed long-axis slices are told apart by their rotation about the LV long axis (see
  :mod:`CineMALib.io.lax_geometry`); the long axis is the SAX stack's normal, or else the line two LAX planes share.
  A lone LAX slice with neither is called lax_4c. Every geometric naming warns.
* Two stacks claiming one view are ambiguous: a :class:`CineMAInputError` lists them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from CineMALib.errors import CineMAInputError
from CineMALib.io.dicom import Stack
from CineMALib.io.lax_geometry import apex_pointing, assign_by_angle, long_axis_from_planes, trace_angle_deg
from CineMALib.io.viewnames import view_from_text

LAX_ORDER = ("lax_4c", "lax_2c", "lax_3c")


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
    sax = [s for s in claims.get("sax", []) if s.n_slices > 1]
    if len(sax) == 1:
        axis, basis = apex_pointing(sax[0].normal), "the short-axis stack"
    else:
        axis, basis = long_axis_from_planes([s.normal for s in unnamed]), "the other long-axis planes"
    names = None
    if axis is not None:
        angles = [trace_angle_deg(s.normal, axis) for s in unnamed]
        names = assign_by_angle(angles, free)
    out: dict[str, Stack] = {}
    if names is not None:
        for name, stack, angle in zip(names, unnamed, angles):
            out[name] = stack
            warnings.warn(f"{where}: {stack.label} has no view in its description; called {name} from its "
                          f"rotation about the long axis ({angle:.0f} deg, relative to {basis})", stacklevel=3)
    else:
        for name, stack in zip(free, unnamed):
            out[name] = stack
            warnings.warn(f"{where}: {stack.label} has no view in its description and its geometry cannot tell "
                          f"which long-axis view it is; guessing {name}", stacklevel=3)
    chosen = {id(s) for s in out.values()}
    for stack in (s for s in unnamed if id(s) not in chosen):
        warnings.warn(f"{where}: skipping {stack.label}: no long-axis view name left for it", stacklevel=3)
    return out
