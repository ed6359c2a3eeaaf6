"""End-diastole and end-systole frame selection.

ED/ES follow the official CineMA cine evaluation: ED = argmax, ES = argmin of the per-frame LV blood-pool volume.
Frames that were not analysed (NaN) are ignored; ties go to the first frame. A user's choice wins over metadata
(e.g. ACDC ``Info.cfg``, a DICOM tag), which wins over the curve; ``method`` records which source decided each.

:func:`estimate_ed_es_from_intensity` is the cheap fallback for the fast mode: it tracks the area of the bright
blood pool around the located LV centre over the cine, so ED/ES can be picked before running the model on every
frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from CineMALib.errors import CineMAInputError
from CineMALib.locate import LVLocation, disk_footprint, locate_lv_center, otsu_threshold
from CineMALib.study import CineView


@dataclass(frozen=True)
class PhaseSelection:
    """0-based ED and ES frame indices; ``method`` says what decided each (``ed:<src>,es:<src>``)."""

    ed: int
    es: int
    method: str
    warning: str | None = None
    curve: tuple[float, ...] = ()


def _check_index(name: str, value: int, n_frames: int) -> int:
    index = int(value)
    if not 0 <= index < n_frames:
        raise CineMAInputError(None, f"{name} frame {value} is out of range: the cine has frames 0..{n_frames - 1}")
    return index


def find_ed_es(lv_volumes_ml: Sequence[float], ed_override: int | None = None, es_override: int | None = None,
               metadata_ed: int | None = None, metadata_es: int | None = None) -> PhaseSelection:
    """ED/ES from an LV volume curve (NaN = frame not analysed), overridable by the user or by metadata.

    Precedence per phase: user override > metadata > curve (ED argmax, ES argmin, first on ties).
    """
    curve = np.asarray(lv_volumes_ml, dtype=float).reshape(-1)
    n = curve.size
    if n == 0:
        raise CineMAInputError(None, "no LV volumes given: cannot choose ED/ES")
    finite = np.isfinite(curve)
    picks: dict[str, tuple[int, str]] = {}
    for phase, user, meta in (("ed", ed_override, metadata_ed), ("es", es_override, metadata_es)):
        if user is not None:
            picks[phase] = (_check_index(phase.upper(), user, n), "user")
        elif meta is not None:
            picks[phase] = (_check_index(phase.upper(), meta, n), "metadata")
        elif finite.any():
            masked = np.where(finite, curve, -np.inf if phase == "ed" else np.inf)
            picks[phase] = (int(np.argmax(masked) if phase == "ed" else np.argmin(masked)),
                            "volume-max" if phase == "ed" else "volume-min")
        else:
            raise CineMAInputError(None, f"no analysed frame has an LV volume: cannot choose {phase.upper()}")
    (ed, ed_src), (es, es_src) = picks["ed"], picks["es"]
    warning = None
    if ed == es:
        warning = f"ED and ES are the same frame ({ed}); ejection fraction will be 0"
    elif finite[ed] and finite[es] and curve[es] > curve[ed]:
        warning = (f"LV volume at ES (frame {es}: {curve[es]:.1f} mL) exceeds ED (frame {ed}: {curve[ed]:.1f} mL); "
                   "check the ED/ES choice")
    return PhaseSelection(ed=ed, es=es, method=f"ed:{ed_src},es:{es_src}", warning=warning,
                          curve=tuple(float(v) for v in curve))


def blood_pool_area_curve(view: CineView, location: LVLocation, radius_mm: float = 40.0,
                          n_slices: int = 3, opening_mm: float = 3.0) -> np.ndarray:
    """Per frame, the area (mm^2, summed over up to ``n_slices`` slices around the centre) of the bright
    connected region containing the LV centre, within ``radius_mm``; one threshold for all frames. An opening
    of ``opening_mm`` cuts thin bright bridges (to the RV or atrium through partial-volume septum)."""
    k0 = int(np.clip(np.rint(location.center_voxel[2]), 0, view.shape[2] - 1))
    half = n_slices // 2
    ks = [k for k in range(k0 - half, k0 + half + 1) if 0 <= k < view.shape[2]]
    ci, cj = location.center_voxel[:2]
    ii, jj = np.indices(view.shape[:2], dtype=float)
    sx, sy = view.spacing[:2]
    disk = np.hypot((ii - ci) * sx, (jj - cj) * sy) <= radius_mm
    region = view.data[:, :, ks, :][disk]  # (n_disk, n_slices, T)
    threshold = otsu_threshold(region.reshape(-1))
    seed = (int(np.clip(np.rint(ci), 0, view.shape[0] - 1)), int(np.clip(np.rint(cj), 0, view.shape[1] - 1)))
    footprint = disk_footprint(opening_mm, view.spacing[:2]) if opening_mm > 0 else None
    areas = np.zeros(view.n_frames)
    for t in range(view.n_frames):
        for k in ks:
            bright = (view.data[:, :, k, t] > threshold) & disk
            if footprint is not None:
                bright = ndimage.binary_opening(bright, footprint)
            labels, _ = ndimage.label(bright)
            lab = labels[seed]
            if lab == 0:  # centre fell on a dark pixel this frame: take the nearest bright component
                if not bright.any():
                    continue
                dist = ndimage.distance_transform_edt(~bright, return_indices=True)[1]
                lab = labels[dist[0][seed], dist[1][seed]]
            areas[t] += float((labels == lab).sum() * sx * sy)
    return areas


def estimate_ed_es_from_intensity(view: CineView, location: LVLocation | None = None) -> PhaseSelection:
    """Cheap ED/ES guess without the model: largest and smallest blood-pool area around the LV centre."""
    if view.n_frames < 2:
        raise CineMAInputError(None, f"view {view.name!r} has one frame: ED/ES need a cine")
    location = location or locate_lv_center(view)
    areas = blood_pool_area_curve(view, location)
    ed, es = int(np.argmax(areas)), int(np.argmin(areas))
    warning = None
    if areas[ed] <= 0 or (areas[ed] - areas[es]) / areas[ed] < 0.1:
        warning = "blood-pool area barely changes over the cine: the ED/ES guess from intensity is unreliable"
    return PhaseSelection(ed=ed, es=es, method="ed:intensity-area,es:intensity-area", warning=warning,
                          curve=tuple(float(a) for a in areas))
