"""The plausibility gate after the SAX analysis: if the segmentation at the chosen centre does not look like a heart,
retry at the next verified candidate; if none does, mark the study ``review: heart not found with confidence``.

Why after the analysis as well as before (:mod:`CineMALib.analysis.verify`): verification sees one frame of one crop;
the gate sees the whole stack at the ED the analysis chose, including the LV volume. Only candidates whose crop
verified are retried (one that failed verification would fail again at the cost of a whole analysis); a user-given
centre is never replaced. The same :func:`~CineMALib.analysis.plausibility.score_segmentation` scores both.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from CineMALib.analysis.plausibility import PASS, Plausibility
from CineMALib.analysis.verify import Verification
from CineMALib.provenance import (
    AUTOMATIC,
    CENTRE_KEY,
    CONFIDENCE_KEY,
    CUES_KEY,
    HEART_NOT_FOUND,
    HEART_REVIEW_KEY,
    PLAUSIBILITY_KEY,
    SOURCE_KEY,
    USER,
    VERIFICATION_KEY,
    format_ras,
)

T = TypeVar("T")


@dataclass
class Attempt:
    """A model-window centre (RAS mm) to analyse at, and how it was chosen."""

    centre_world: np.ndarray
    label: str


@dataclass
class GateOutcome(Generic[T]):
    """The accepted attempt's result (or, when every attempt failed, the most plausible one) and every score."""

    attempt: Attempt
    result: T
    plausibility: Plausibility
    scores: list[tuple[Attempt, Plausibility]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.plausibility.passed


def plan_attempts(centre_world: np.ndarray, verification: Verification | None, user: bool) -> list[Attempt]:
    """Centres to try, in order: the user's; else the verified candidates (most plausible first, each re-centred on
    its segmented LV); else the cues' choice alone."""
    if user:
        return [Attempt(np.asarray(centre_world, dtype=float), "the user-given centre")]
    if verification is not None and verification.segmentable:
        return [Attempt(v.crop_centre, f"candidate {v.rank}, re-centred on its segmented LV")
                for v in verification.ranked]
    return [Attempt(np.asarray(centre_world, dtype=float), "the cues' best candidate (not verified)")]


def run_gate(attempts: Sequence[Attempt], analyse: Callable[[Attempt], T],
             score: Callable[[Attempt, T], Plausibility]) -> GateOutcome[T]:
    """Analyse at each attempt until one scores as plausible; keep the best when none does."""
    if not attempts:
        raise ValueError("no centre to analyse at")
    best: GateOutcome[T] | None = None
    scores: list[tuple[Attempt, Plausibility]] = []
    for attempt in attempts:
        result = analyse(attempt)
        verdict = score(attempt, result)
        scores.append((attempt, verdict))
        if best is None or verdict.score > best.plausibility.score:
            best = GateOutcome(attempt, result, verdict)
        if verdict.passed:
            break
    assert best is not None
    best.scores = scores
    return best


def _verification_text(verification: Verification | None, user: bool, model_note: str) -> str:
    if user:
        return "not run (the user gave the centre)"
    if verification is None:
        return "not run (no SAX segmentation requested)"
    text = f"{len(verification.tried)} candidate crop(s) segmented at frame 0: {verification.describe()}"
    if not verification.segmentable:
        text += ("; none looks like a heart: either the heart is not among the candidates or the segmentation model "
                 f"cannot segment this kind of image{model_note}; centre from the image cues alone")
    return text


def record_centre(provenance: MutableMapping[str, str], location: object, verification: Verification | None,
                  outcome: GateOutcome | None, user: bool, centre_used: np.ndarray, model_note: str = "") -> None:
    """Write the centre used (RAS mm: the model window's), how it was found, its confidence and the gate's verdict
    into ``provenance``."""
    centre = centre_used
    cues = getattr(location, "cue", "") or getattr(location, "method", "")
    provenance[CENTRE_KEY] = format_ras(centre)
    provenance[SOURCE_KEY] = USER if user else AUTOMATIC
    provenance[CUES_KEY] = "none (user-given)" if user else cues
    provenance[CONFIDENCE_KEY] = "n/a" if user else f"{float(getattr(location, 'confidence')):.2f}"
    provenance[VERIFICATION_KEY] = _verification_text(verification, user, model_note)
    if outcome is None:
        provenance[PLAUSIBILITY_KEY] = "n/a"
        return
    provenance[PLAUSIBILITY_KEY] = f"{outcome.plausibility.score:.2f}"
    tried = "; ".join(f"{a.label} at RAS ({format_ras(a.centre_world)}): {p.describe()}" for a, p in outcome.scores)
    provenance["lv centre gate"] = f"analysed at {len(outcome.scores)} centre(s), pass >= {PASS:g}: {tried}"
    if not outcome.passed:
        where = "at the user-given centre" if user else f"at any of {len(outcome.scores)} centre(s) tried"
        provenance[HEART_REVIEW_KEY] = (
            f"{HEART_NOT_FOUND}: the SAX segmentation {where} does not look like a heart (best "
            f"{outcome.plausibility.describe()}); check the model window in qc_montage.png and give the LV centre "
            "with --lv-center R,A,S (or a manifest, or the LV centre point in Slicer)")
