"""The analysis pipeline: a :class:`~CineMALib.study.CineStudy` in, :class:`~CineMALib.results.AnalysisResults` out.

- :class:`AnalysisOptions` (``options``): weights (official / demo / folder), data set per head, seed or ensemble,
  device, fast mode, batch size, heads; validated on construction.
- :func:`analyse_study` (``pipeline``): locate the LV, segment SAX (all frames or ED/ES), find ED/ES, segment
  LAX-4C, track 2C/4C landmarks, classify and regress from [ED, ES]; outputs on the study's own grids.
- :func:`iter_cohort` / :func:`analyse_cohort` (``cohort``): many studies, failures reported and skipped; the
  weights loaded once for all of them (:class:`~CineMALib.analysis.weights.HeadCache`).
- ``Cancelled`` (from :mod:`CineMALib.infer`) is raised when the ``cancel`` event is set.
"""

from CineMALib.analysis.cohort import StudyOutcome, analyse_cohort, iter_cohort
from CineMALib.analysis.options import HEADS, AnalysisOptions, OptionsError
from CineMALib.analysis.pipeline import analyse_study
from CineMALib.infer import Cancelled

__all__ = [
    "HEADS",
    "AnalysisOptions",
    "Cancelled",
    "OptionsError",
    "StudyOutcome",
    "analyse_cohort",
    "analyse_study",
    "iter_cohort",
]
