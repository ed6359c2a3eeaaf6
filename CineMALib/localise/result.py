"""What localisation hands on: the chosen LV centre, how sure it is, and the ranked candidates behind it.

Why the candidates travel with the result: a later stage (verification by segmentation, the plausibility gate)
tries the next candidate when the first one does not look like a heart, and the provenance names the cues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from CineMALib.study import CineView

LOW_CONFIDENCE = 0.5


@dataclass
class LVCandidate:
    """One possible LV centre: index in the view's grid (i, j, k), RAS mm, combined score and each cue's score."""

    center_voxel: np.ndarray
    center_world: np.ndarray
    score: float
    cues: dict[str, float] = field(default_factory=dict)


@dataclass
class LVLocation:
    """The located LV centre: index in the view's own grid (i, j, k), RAS mm, confidence in [0, 1].

    ``candidates``: best first, ``candidates[0]`` is the chosen one (empty when none were ranked, e.g. a refined
    or user-given centre); ``cue``: which cues decided (e.g. ``"harmonic+blob+lax-planes"``)."""

    center_voxel: np.ndarray
    center_world: np.ndarray
    confidence: float
    method: str
    warning: str | None = None
    candidates: list[LVCandidate] = field(default_factory=list)
    cue: str = ""


Refiner = Callable[[CineView, LVLocation], LVLocation]
