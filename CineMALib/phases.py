"""End-diastole and end-systole: the one place that decides which frames they are.

Rule (official CineMA cine evaluation; SCMR): ED = the frame of largest, ES = the frame of smallest LV blood-pool
volume over the frames actually analysed, unless the user gives a frame (``--ed-frame``/``--es-frame``, the Slicer
panel). :func:`decide_ed_es` is the only function that applies this rule; everything downstream (measurements,
reports, plots, the classifier's [ED, ES] input, the Slicer table) takes its :class:`Phases` as input. Frames not
analysed (NaN) and frames without any LV (value <= 0, e.g. the empty frames of a ``--fast`` result) are never
chosen automatically; ties go to the first frame. The same rule runs on a stand-in curve when there are no SAX
labels (the LV length from the long-axis landmarks; the blood-pool area of the image, which picks the two frames the
fast mode segments), and ``quantity`` names it in the method.

:func:`estimate_ed_es_from_intensity` computes that blood-pool area curve: it tracks the bright blood pool around the
located LV centre over the cine, so the fast mode knows which two frames to segment before running the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from CineMALib.errors import CineMAInputError

if TYPE_CHECKING:
    from os import PathLike

    from CineMALib.locate import LVLocation
    from CineMALib.study import CineView

#: How a phase was chosen: by the rule, or given by the user.
AUTOMATIC, GIVEN = "automatic", "given"


@dataclass(frozen=True)
class Phases:
    """The ED/ES decision: 0-based SAX frame indices, the sentence saying how each was chosen, and whether it was
    automatic or given (``ed_given``/``es_given``); ``warning`` for a suspicious pair (ES volume above ED)."""

    ed: int
    es: int
    ed_method: str
    es_method: str
    ed_given: bool = False
    es_given: bool = False
    warning: str | None = None

    @property
    def method(self) -> str:
        return f"ED frame {self.ed} = {self.ed_method}; ES frame {self.es} = {self.es_method}"

    @property
    def choice(self) -> str:
        """``automatic``, ``given``, or which phase was given (``ED given, ES automatic``)."""
        if self.ed_given == self.es_given:
            return GIVEN if self.ed_given else AUTOMATIC
        return f"ED {GIVEN if self.ed_given else AUTOMATIC}, ES {GIVEN if self.es_given else AUTOMATIC}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Phases | None:
        """Back from :meth:`to_dict` (None for None or an older record without the fields)."""
        if not data or "ed_method" not in data:
            return None
        return cls(int(data["ed"]), int(data["es"]), str(data["ed_method"]), str(data["es_method"]),
                   bool(data.get("ed_given")), bool(data.get("es_given")), data.get("warning"))


def check_frame(flag: str, value: int, n_frames: int, where: str | PathLike[str] | None = None) -> int:
    """``value`` as a 0-based frame index of a cine with ``n_frames`` frames, or an error naming ``where``."""
    index = int(value)
    if not 0 <= index < n_frames:
        raise CineMAInputError(where, f"{flag} {value} is out of range: the SAX cine has {n_frames} frames, "
                                      f"numbered 0..{n_frames - 1} (0-based)")
    return index


def check_given(ed: int | None, es: int | None, n_frames: int,
                where: str | PathLike[str] | None = None) -> tuple[int | None, int | None]:
    """Validate user-given ED/ES frames against the cine's frame count (before any model runs)."""
    ed_i = None if ed is None else check_frame("--ed-frame", ed, n_frames, where)
    es_i = None if es is None else check_frame("--es-frame", es, n_frames, where)
    if ed_i is not None and ed_i == es_i:
        raise CineMAInputError(where, f"--ed-frame and --es-frame are both frame {ed_i}: ED and ES must differ")
    return ed_i, es_i


def decide_ed_es(curve: Sequence[float] | np.ndarray, *, ed: int | None = None, es: int | None = None,
                 quantity: str = "LV volume", given_by: str = "given by the user",
                 where: str | PathLike[str] | None = None) -> Phases:
    """ED/ES from a per-frame curve (NaN = not analysed): ED = largest, ES = smallest positive value, unless given.

    A given frame must be an analysed frame (finite value) of the curve; when only one phase is given, the other is
    chosen among the remaining frames. Errors name ``where`` (the study or label file).
    """
    values = np.asarray(curve, dtype=float).reshape(-1)
    n = values.size
    if n == 0:
        raise CineMAInputError(where, f"no {quantity} per frame: cannot choose ED/ES")
    ed, es = check_given(ed, es, n, where)
    analysed = np.isfinite(values)
    for flag, frame in (("--ed-frame", ed), ("--es-frame", es)):
        if frame is not None and not analysed[frame]:
            raise CineMAInputError(where, f"{flag} {frame} is not an analysed frame "
                                          f"(analysed: {np.flatnonzero(analysed).tolist()})")
    if not analysed.any():
        raise CineMAInputError(where, f"no analysed frame has a {quantity}: cannot choose ED/ES")
    positive = analysed & (np.where(analysed, values, 0.0) > 0)
    pool = positive if positive.any() else analysed  # frames without any LV only when no frame has one
    picks: dict[str, tuple[int, str]] = {}
    for phase, given, other in (("ED", ed, es), ("ES", es, ed)):
        if given is not None:
            picks[phase] = (given, given_by)
            continue
        allowed = pool.copy()
        if other is not None:
            allowed[other] = False
        if not allowed.any():  # the given frame was the only candidate
            allowed = pool
        rule = "largest" if phase == "ED" else "smallest"
        masked = np.where(allowed, values, -np.inf if phase == "ED" else np.inf)
        frame = int(np.argmax(masked) if phase == "ED" else np.argmin(masked))
        picks[phase] = (frame, f"{rule} {quantity} over {int(pool.sum())} analysed frames (automatic)")
    (ed_i, ed_m), (es_i, es_m) = picks["ED"], picks["ES"]
    warning = None
    if not positive.any():
        warning = f"no analysed frame has a {quantity} above 0: ED/ES cannot be chosen from it"
    elif ed_i == es_i:
        warning = f"ED and ES are the same frame ({ed_i}); ejection fraction will be 0"
    elif values[es_i] > values[ed_i]:
        warning = (f"{quantity} at ES (frame {es_i}: {values[es_i]:.1f}) exceeds ED (frame {ed_i}: "
                   f"{values[ed_i]:.1f}); check the ED/ES frames")
    return Phases(ed_i, es_i, ed_m, es_m, ed is not None, es is not None, warning)


def blood_pool_area_curve(view: CineView, location: LVLocation, radius_mm: float = 40.0,
                          n_slices: int = 3, opening_mm: float = 3.0) -> np.ndarray:
    """Per frame, the area (mm^2, summed over up to ``n_slices`` slices around the centre) of the bright
    connected region containing the LV centre, within ``radius_mm``; one threshold for all frames. An opening
    of ``opening_mm`` cuts thin bright bridges (to the RV or atrium through partial-volume septum)."""
    from scipy import ndimage

    from CineMALib.locate import disk_footprint, otsu_threshold

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


def estimate_ed_es_from_intensity(view: CineView, location: LVLocation | None = None, *, ed: int | None = None,
                                  es: int | None = None) -> Phases:
    """ED/ES without the model, by :func:`decide_ed_es` on the blood-pool area around the LV centre (the fast mode
    segments these two frames; a given frame is kept)."""
    from CineMALib.locate import locate_lv_center

    if view.n_frames < 2:
        raise CineMAInputError(None, f"view {view.name!r} has one frame: ED/ES need a cine")
    location = location or locate_lv_center(view)
    areas = blood_pool_area_curve(view, location)
    pick = decide_ed_es(areas, ed=ed, es=es, quantity="LV blood-pool area in the image (intensity proxy)")
    big, small = float(np.max(areas)), float(np.min(areas))
    if big <= 0 or (big - small) / big < 0.1:
        pick = replace(pick, warning="blood-pool area barely changes over the cine: the ED/ES guess from intensity "
                                     "is unreliable")
    return pick
