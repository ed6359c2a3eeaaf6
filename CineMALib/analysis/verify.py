"""Verify candidate LV centres by segmenting a crop at each: the cues propose, the segmentation model checks.

Why: image cues (brightness, motion, roundness) also fire on the aorta, the RV or the stomach once the field of view
holds more than the heart. The segmentation model, run on the model window around each of the best few candidates
(frame 0 = the R-wave trigger, i.e. end-diastole on ECG-gated cines), shows whether a heart is there; the
:mod:`~CineMALib.analysis.plausibility` score says how much it looks like one. The best plausible candidate wins and
the window is re-centred on its segmented LV centroid. When no candidate gives a plausible heart, either the heart is
not among the candidates or the model cannot segment this kind of image (the demo weights know only phantoms): the
analysis then falls back to the cues alone and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from CineMALib.analysis.plausibility import Plausibility, score_segmentation

#: How many of the cues' best candidates are segmented (each costs one model call on one frame).
VERIFY_CANDIDATES = 3
#: Candidates closer than this (mm) to one already tried would give the same crop: skipped.
DISTINCT_MM = 20.0
VERIFY_FRAME = 0
#: A crop scoring this high (every anatomical part ordinary) ends the search: no other candidate can look more like
#: a heart, and each costs a model call.
CLEAR = 0.95

Scorer = Callable[..., Plausibility]
"""``scorer(labels3d, affine, centre_world, whole_stack) -> Plausibility`` (default :func:`score_segmentation`)."""


@dataclass
class Verified:
    """One candidate: its cue rank (1 = the cues' best), its centre (RAS mm) and how its crop segmented."""

    rank: int
    centre_world: np.ndarray
    plausibility: Plausibility

    @property
    def crop_centre(self) -> np.ndarray:
        """Where the model window goes: the segmented LV centroid when the crop looked like a heart, else the
        candidate itself."""
        found = self.plausibility.lv_centroid_world
        return np.asarray(found if self.plausibility.passed and found is not None else self.centre_world, dtype=float)


@dataclass
class Verification:
    """Every candidate tried, in cue order; ``ranked`` gives the plausible ones, most plausible first."""

    tried: list[Verified] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def ranked(self) -> list[Verified]:
        return sorted((v for v in self.tried if v.plausibility.passed), key=lambda v: -v.plausibility.score)

    @property
    def segmentable(self) -> bool:
        """True when at least one crop segmented as a plausible heart."""
        return bool(self.ranked)

    def describe(self) -> str:
        text = "; ".join(f"candidate {v.rank}: {v.plausibility.describe()}" for v in self.tried)
        return text + (f" (clearly a heart, >= {CLEAR:g}: the others were not tried)" if self.stopped_early else "")


def candidate_centres(location: object, limit: int = VERIFY_CANDIDATES) -> list[tuple[int, np.ndarray]]:
    """(cue rank, RAS centre) of up to ``limit`` distinct candidates of an :class:`~CineMALib.locate.LVLocation`,
    best first; the chosen centre alone when it ranks none."""
    raw = [np.asarray(c.center_world, dtype=float) for c in getattr(location, "candidates", None) or []]
    chosen = np.asarray(getattr(location, "center_world"), dtype=float)
    raw[:1] = [chosen]  # candidates[0] is the chosen one; its centre may have been refined (pool centroid)
    out: list[tuple[int, np.ndarray]] = []
    for rank, centre in enumerate(raw, start=1):
        if all(np.linalg.norm(centre - kept) >= DISTINCT_MM for _, kept in out):
            out.append((rank, centre))
        if len(out) >= limit:
            break
    return out


def verify_candidates(candidates: Sequence[tuple[int, np.ndarray]], segment: Callable[[np.ndarray], np.ndarray],
                      affine: np.ndarray, scorer: Scorer | None = None) -> Verification:
    """Segment the crop at each candidate (``segment(centre_world) -> labels (x, y, z)`` on the SAX grid with
    ``affine``) and score it, until one scores ``CLEAR``."""
    scorer = scorer or score_segmentation
    result = Verification()
    for index, (rank, centre) in enumerate(candidates):
        labels = segment(centre)
        result.tried.append(Verified(rank, centre, scorer(labels, affine, centre, False)))
        if result.tried[-1].plausibility.score >= CLEAR and index < len(candidates) - 1:
            result.stopped_early = True
            break
    return result
