"""The one call into CineMALib's measurement code, kept narrow so an API change touches a single line.

Why an adapter: the Slicer module must not know how ``CineMALib.measure`` is organised inside; it hands over a
study plus results and gets a ``Report`` (rows with units and methods, volume curves, ED/ES) back.
"""

from __future__ import annotations

from typing import Any

from CineMALib.errors import CineMAError
from CineMALib.results import AnalysisResults
from CineMALib.study import CineStudy


class MeasureUnavailable(CineMAError):
    """This CineMALib has no ``measure_study`` yet (a development checkout mid-way)."""


def measure_function() -> Any:
    """``CineMALib.measure.measure_study``, or :class:`MeasureUnavailable` saying what is missing."""
    try:
        from CineMALib.measure import measure_study
    except ImportError as err:
        raise MeasureUnavailable(f"CineMALib.measure.measure_study is not available ({err}); update CineMALib") \
            from err
    return measure_study


def measure(study: CineStudy, results: AnalysisResults, ed: int | None = None, es: int | None = None) -> Any:
    """The report of ``results`` on ``study`` (heights, weights, sex come from ``study.metadata``); ED/ES at the
    user's ``ed``/``es`` when given, else the analysis' decision (``results.phases``), else decided on the labels."""
    if ed is None and es is None:
        return measure_function()(results, study)
    return measure_function()(results, study, ed=ed, es=es)
