"""Model outputs as report rows: class probabilities become ``P(<class>)`` columns, regressions a value with unit.

They are model estimates, not measurements from labels; the method says which checkpoint, view and seeds.
"""

from __future__ import annotations

from collections.abc import Sequence

from CineMALib.measure.report import Measurement
from CineMALib.results import ModelScore


def _source(score: ModelScore) -> str:
    spread = f", ensemble spread {score.spread:.3g}" if score.spread is not None else ""
    return f"model {score.checkpoint} on {score.view}, mean of {len(score.seeds)} seed(s){spread}"


def score_rows(scores: list[ModelScore], scored_at: Sequence[int] = (),
               measured_at: Sequence[int] = ()) -> list[Measurement]:
    """One row per class probability (``P(DCM)``; suffixed with the checkpoint when two models give the same class)
    and one per regression output. ``scored_at``: the [ED, ES] frames the models saw (the analysis' decision); when
    the measurements use other frames (``measured_at``, e.g. a Recompute at the user's ED/ES), the method says so."""
    frames = tuple(int(f) for f in scored_at)
    at = f" on the SAX [ED, ES] frames {frames[0]}, {frames[1]}" if len(frames) == 2 else ""
    if len(frames) == 2 and len(measured_at) == 2 and tuple(int(f) for f in measured_at) != frames:
        at += (f"; not the frames measured here (ED {measured_at[0]}, ES {measured_at[1]}): Analyse again to score "
               "those")
    counts: dict[str, int] = {}
    for score in scores:
        for cls in score.probabilities or {}:
            counts[cls] = counts.get(cls, 0) + 1
    rows = []
    for score in scores:
        for cls, p in (score.probabilities or {}).items():
            name = f"P({cls})" if counts[cls] == 1 else f"P({cls}) {score.checkpoint}"
            rows.append(Measurement(name, float(p), "", f"probability from {_source(score)}{at}",
                                    "ED-ES" if frames else "", frames))
        if score.value is not None:
            rows.append(Measurement(score.checkpoint, float(score.value), score.unit or "",
                                    f"regression estimate from {_source(score)}{at}; not from the labels",
                                    "ED-ES" if frames else "", frames))
    return rows
