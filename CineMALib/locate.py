"""Find the left-ventricle centre without labels, so the model window can be placed on a raw study.

Kept for existing callers: the implementation is the multi-cue package :mod:`CineMALib.localise` (blob, motion at
the heart rate, through-slice consistency, long-axis plane intersection, body mask, a weak centre prior).
"""

from __future__ import annotations

from CineMALib.localise import (
    ALL_CUES,
    LOW_CONFIDENCE,
    LVCandidate,
    LVLocation,
    Refiner,
    disk_footprint,
    locate_lv_center,
    locate_study,
    otsu_threshold,
)

__all__ = ["ALL_CUES", "LOW_CONFIDENCE", "LVCandidate", "LVLocation", "Refiner", "disk_footprint",
           "locate_lv_center", "locate_study", "otsu_threshold"]
