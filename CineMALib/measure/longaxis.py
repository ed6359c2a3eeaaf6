"""Long-axis function from landmarks (world RAS mm per frame): LV length, long-axis shortening, MAPSE, TAPSE.

Definitions (clinical-measurements.md §3.6), each row says which one it is:
* LV length = distance from the apex to the midpoint of the view's mitral hinges; shortening = (L_ED - L_ES) / L_ED.
* ``MAPSE (mm)`` = mean straight-line (Euclidean) hinge displacement ED -> ES over every available hinge of every
  view: the official CineMA example's definition, kept as the headline so numbers compare with CineMA's.
* ``MAPSE longitudinal (mm)`` = the same displacements projected on the view's ED long axis (apex -> annulus
  midpoint, from the landmarks themselves), toward the apex positive: the echo-style excursion, smaller when the
  annulus also moves radially.
* ``TAPSE (mm)`` / ``TAPSE longitudinal (mm)`` = the same two for ``tricuspid_lateral`` on the 4-chamber view
  (projection on the 4-chamber ED LV long axis); "n/a" without that landmark.
"""

from __future__ import annotations

import numpy as np

from CineMALib.phases import Phases, decide_ed_es
from CineMALib.measure.report import Measurement
from CineMALib.results import TRICUSPID_LATERAL
from CineMALib.study import lax_frame

APEX = "apex"


def _point(points: dict[str, np.ndarray], name: str, frame: int) -> np.ndarray | None:
    track = points.get(name)
    if track is None or frame >= len(track):
        return None
    p = np.asarray(track[frame], dtype=float)
    return p if p.shape == (3,) and np.all(np.isfinite(p)) else None


def _view_axis(points: dict[str, np.ndarray], frame: int) -> tuple[float, np.ndarray] | None:
    """(apex-to-annulus-midpoint length, unit vector apex -> midpoint) at ``frame``, if apex and all hinges exist."""
    hinges = [n for n in points if n.startswith("mitral_")]
    apex = _point(points, APEX, frame)
    pts = [_point(points, n, frame) for n in hinges]
    if apex is None or len(pts) < 2 or any(p is None for p in pts):
        return None
    axis = np.mean(pts, axis=0) - apex
    length = float(np.linalg.norm(axis))
    return (length, axis / length) if length > 0 else None


def _longitudinal(points: dict[str, np.ndarray], name: str, f_ed: int, f_es: int,
                  unit: np.ndarray) -> tuple[float, float] | None:
    """(displacement toward the apex along ``unit``, Euclidean displacement) of one landmark from ED to ES."""
    p_ed, p_es = _point(points, name, f_ed), _point(points, name, f_es)
    if p_ed is None or p_es is None:
        return None
    step = p_es - p_ed
    return float(-step @ unit), float(np.linalg.norm(step))


def long_axis_rows(landmarks: dict[str, dict[str, np.ndarray]], ed: int, es: int,
                   n_sax_frames: int | None = None) -> list[Measurement]:
    """LV length (ED, ES), long-axis shortening, MAPSE (longitudinal, Euclidean) and TAPSE rows."""
    both = (ed, es)
    lengths: dict[str, tuple[float, float]] = {}
    hinge_long: dict[str, float] = {}
    hinge_eucl: dict[str, float] = {}
    tapse: tuple[float, float] | None = None
    mapping = []
    for view in sorted(landmarks):
        points = landmarks[view]
        if APEX not in points:
            continue
        n_lax = len(points[APEX])
        f_ed, f_es = lax_frame(ed, n_sax_frames, n_lax), lax_frame(es, n_sax_frames, n_lax)
        if (f_ed, f_es) != (ed, es):
            mapping.append(f"{view} frames {f_ed}/{f_es} ({n_lax} frames, same cycle fraction)")
        ax_ed, ax_es = _view_axis(points, f_ed), _view_axis(points, f_es)
        if ax_ed is None:
            continue
        if ax_es is not None:
            lengths[view] = (ax_ed[0], ax_es[0])
        for name in (n for n in points if n.startswith("mitral_")):
            disp = _longitudinal(points, name, f_ed, f_es, ax_ed[1])
            if disp is not None:
                hinge_long[f"{view}:{name}"], hinge_eucl[f"{view}:{name}"] = disp
        if TRICUSPID_LATERAL in points and view == "lax_4c":
            tapse = _longitudinal(points, TRICUSPID_LATERAL, f_ed, f_es, ax_ed[1])
    frame_note = f"; LAX frames mapped: {', '.join(mapping)}" if mapping else f"; ED frame {ed}, ES frame {es}"
    return (_length_rows(lengths, ed, es, frame_note) + _mapse_rows(hinge_long, hinge_eucl, both, frame_note)
            + _tapse_rows(tapse, both, frame_note))


def _per_view(values: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in values.items())


def _length_rows(lengths: dict[str, tuple[float, float]], ed: int, es: int, frame_note: str) -> list[Measurement]:
    if not lengths:
        why = "n/a: no long-axis view with apex and both mitral hinges at ED and ES"
        return [Measurement("LV length ED", None, "mm", why, "ED", (ed,)),
                Measurement("LV length ES", None, "mm", why, "ES", (es,)),
                Measurement("LV long-axis shortening", None, "%", why, "ED-ES", (ed, es))]
    l_ed = {v: a for v, (a, _) in lengths.items()}
    l_es = {v: b for v, (_, b) in lengths.items()}
    short = {v: 100.0 * (a - b) / a for v, (a, b) in lengths.items()}
    base = f"apex to mitral-annulus midpoint distance, mean of {len(lengths)} view(s)"
    return [
        Measurement("LV length ED", float(np.mean(list(l_ed.values()))), "mm",
                    f"{base} ({_per_view(l_ed)} mm){frame_note}", "ED", (ed,)),
        Measurement("LV length ES", float(np.mean(list(l_es.values()))), "mm",
                    f"{base} ({_per_view(l_es)} mm){frame_note}", "ES", (es,)),
        Measurement("LV long-axis shortening", float(np.mean(list(short.values()))), "%",
                    f"(L_ED - L_ES) / L_ED x 100 per view, mean ({_per_view(short)} %); CineMA calls this 'GLS'"
                    f"{frame_note}", "ED-ES", (ed, es)),
    ]


def _mapse_rows(long: dict[str, float], eucl: dict[str, float], both: tuple[int, int],
                frame_note: str) -> list[Measurement]:
    if not long:
        why = "n/a: no mitral hinge with apex at ED and the hinge at ED and ES"
        return [Measurement("MAPSE", None, "mm", why, "ED-ES", both),
                Measurement("MAPSE longitudinal", None, "mm", why, "ED-ES", both)]
    return [
        Measurement("MAPSE", float(np.mean(list(eucl.values()))), "mm",
                    "Euclidean (CineMA example definition): mean straight-line mitral hinge displacement ED->ES, "
                    f"{len(eucl)} hinge(s) ({_per_view(eucl)} mm){frame_note}", "ED-ES", both),
        Measurement("MAPSE longitudinal", float(np.mean(list(long.values()))), "mm",
                    "longitudinal: mitral hinge displacement ED->ES projected on the view's ED long axis (apex -> "
                    f"annulus midpoint), toward apex positive, mean of {len(long)} hinge(s) ({_per_view(long)} mm)"
                    f"{frame_note}", "ED-ES", both),
    ]


def _tapse_rows(tapse: tuple[float, float] | None, both: tuple[int, int], frame_note: str) -> list[Measurement]:
    if tapse is None:
        why = ("n/a: no tricuspid_lateral landmark on the 4-chamber view at ED and ES (CineMA landmark models give "
               "mitral hinges and apex only)")
        return [Measurement("TAPSE", None, "mm", why, "ED-ES", both),
                Measurement("TAPSE longitudinal", None, "mm", why, "ED-ES", both)]
    return [
        Measurement("TAPSE", tapse[1], "mm", "Euclidean: straight-line lateral tricuspid hinge displacement ED->ES "
                                             f"(4-chamber){frame_note}", "ED-ES", both),
        Measurement("TAPSE longitudinal", tapse[0], "mm",
                    "longitudinal: lateral tricuspid hinge displacement ED->ES projected on the 4-chamber ED LV long "
                    f"axis, toward apex positive{frame_note}", "ED-ES", both),
    ]


def phases_from_length(landmarks: dict[str, dict[str, np.ndarray]], ed: int | None = None,
                       es: int | None = None) -> Phases | None:
    """ED/ES by the one rule (:func:`~CineMALib.phases.decide_ed_es`) on the LV length of the 4-chamber (else
    2-chamber) view, for studies without SAX labels; a given ``ed``/``es`` is kept."""
    for view in ("lax_4c", "lax_2c"):
        points = landmarks.get(view, {})
        if APEX not in points:
            continue
        lengths = np.array([(a[0] if (a := _view_axis(points, t)) else np.nan) for t in range(len(points[APEX]))])
        if np.isfinite(lengths).sum() >= 2:
            return decide_ed_es(lengths, ed=ed, es=es, quantity=f"LV length in {view} (no SAX labels)")
    return None
