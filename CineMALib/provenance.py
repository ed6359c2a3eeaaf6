"""The analysis' provenance vocabulary: keys that several stages write and read, and how a RAS point is written.

Why a module of its own, below ``analysis``, ``measure`` and ``report``: the analysis writes these keys (where the
LV centre came from, review warnings), the measurement turns them into report rows and the report shows them; each
imports them from here, so no stage reaches into another's internals. The provenance is a plain str -> str dict so
it survives the Slicer worker's hand-over.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REVIEW = "review: "  # every provenance key with this prefix is printed by the CLI and heads report.html
CENTRE_KEY = "lv centre (RAS mm)"
SOURCE_KEY = "lv centre source"  # "automatic" or "user"
CUES_KEY = "lv centre cues"
CONFIDENCE_KEY = "lv centre confidence"  # the cues' confidence in [0, 1] ("n/a" for a user-given centre)
VERIFICATION_KEY = "lv centre verification"
PLAUSIBILITY_KEY = "lv centre plausibility"  # the gate's score of the analysis at that centre, [0, 1]
HEART_REVIEW_KEY = REVIEW + "lv centre"
HEART_NOT_FOUND = "heart not found with confidence"
AUTOMATIC, USER = "automatic", "user"


def format_ras(point: Sequence[float] | np.ndarray) -> str:
    """'R, A, S' with 0.1 mm, as the provenance stores a point."""
    return ", ".join(f"{float(v):.1f}" for v in np.asarray(point, dtype=float).reshape(3))


def parse_ras(text: str) -> np.ndarray | None:
    """The point :func:`format_ras` wrote, or None for anything else."""
    try:
        values = np.array([float(v) for v in str(text).split(",")], dtype=float)
    except ValueError:
        return None
    return values if values.shape == (3,) and np.all(np.isfinite(values)) else None
