"""Multi-cue LV localisation (issue 16): candidates from independent cues, ranked, each cue switchable.

Module map: ``cues`` (per-pixel blob, first temporal harmonic), ``body`` (body mask and depth), ``ring`` (enclosure),
``candidates`` (through-slice consensus and its peaks), ``planes`` (LAX plane intersection from the affines),
``score`` (cue terms and which decided), ``pool`` (snap to the blood-pool centroid), ``locator`` (the entry
points), ``result`` (:class:`LVLocation`, :class:`LVCandidate`).
"""

from CineMALib.localise.locator import ALL_CUES, locate_lv_center, locate_study, slice_range
from CineMALib.localise.pool import disk_footprint, otsu_threshold
from CineMALib.localise.result import LOW_CONFIDENCE, LVCandidate, LVLocation, Refiner

__all__ = ["ALL_CUES", "LOW_CONFIDENCE", "LVCandidate", "LVLocation", "Refiner", "disk_footprint",
           "locate_lv_center", "locate_study", "otsu_threshold", "slice_range"]
