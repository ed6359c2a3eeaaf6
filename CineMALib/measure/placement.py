"""Where the model window went and how that place was found: the report rows made from the provenance keys.

Why rows as well as provenance: the centre used (RAS mm), how it was found and its confidence must reach every place
a user reads numbers (``measurements.csv``, ``report.csv``, ``report.html``, the Slicer report table), and all of
them show the report's rows. The analysis writes the keys (:mod:`CineMALib.provenance`, re-exported here) into its
provenance; :func:`placement_rows` turns them into rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from CineMALib.measure.report import Measurement
from CineMALib.provenance import (
    AUTOMATIC,
    CENTRE_KEY,
    CONFIDENCE_KEY,
    CUES_KEY,
    HEART_REVIEW_KEY,
    PLAUSIBILITY_KEY,
    REVIEW,
    SOURCE_KEY,
    USER,
    VERIFICATION_KEY,
    parse_ras,
)


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and np.isfinite(value) else None


def heart_review(provenance: Mapping[str, str]) -> str | None:
    """The ``review: heart not found with confidence`` text when the analysis set it, else None."""
    text = provenance.get(HEART_REVIEW_KEY)
    return f"{REVIEW}{text}" if text else None


def placement_rows(provenance: Mapping[str, str]) -> list[Measurement]:
    """LV centre R, A, S (mm), its cue confidence and the segmentation's plausibility there; none when the
    provenance has no centre (e.g. labels measured without an analysis)."""
    centre = parse_ras(provenance.get(CENTRE_KEY, ""))
    if centre is None:
        return []
    source = provenance.get(SOURCE_KEY, AUTOMATIC)
    how = (f"{source}: " + ("given by the user" if source == USER else f"cues {provenance.get(CUES_KEY, '?')}")
           + f"; verification: {provenance.get(VERIFICATION_KEY, 'not run')}")
    flag = heart_review(provenance) or ""
    rows = [Measurement(f"LV centre {axis}", float(v), "mm", f"centre of the SAX model window (RAS, world mm); {how}",
                        flag=flag) for axis, v in zip("RAS", centre)]
    rows.append(Measurement("LV centre confidence", _number(provenance.get(CONFIDENCE_KEY)), "",
                            "confidence of the image cues that placed it, 0-1 (n/a when given by the user)",
                            flag=flag))
    rows.append(Measurement("LV centre plausibility", _number(provenance.get(PLAUSIBILITY_KEY)), "",
                            "how much the SAX segmentation at ED looks like a heart there, 0-1 (pass >= 0.5): LV "
                            "enclosed by myocardium, RV beside it, physiological sizes, LV centred in the window",
                            flag=flag))
    return rows
