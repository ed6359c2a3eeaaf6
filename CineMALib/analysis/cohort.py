"""Analyse many studies: each one read and analysed on its own; a failing study is reported and skipped.

Why a generator: a cohort's label maps do not fit in memory together, so callers (the CLI) write each study's
outputs as soon as it is done and drop them. Cancellation and Ctrl-C stop the whole cohort; any other error only
marks that study as failed. The models are the exception: they are loaded (read, hashed, built) once for the whole
cohort and stay resident (:class:`~CineMALib.analysis.weights.HeadCache`), so a study after the first costs only its
own forwards.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from typing import Union

from CineMALib.analysis.options import AnalysisOptions
from CineMALib.analysis.pipeline import analyse_study
from CineMALib.analysis.weights import HeadCache
from CineMALib.errors import CineMAError
from CineMALib.infer import Cancelled, ProgressCallback
from CineMALib.io import read_study
from CineMALib.results import AnalysisResults
from CineMALib.study import CineStudy

#: typing.Union, not X | Y: a runtime alias must run on Python 3.9 (Slicer 5.8).
StudyInput = Union[CineStudy, str, PathLike[str], Mapping[str, Union[str, PathLike[str]]]]
#: ``progress(index, n_studies, stage, done, total)``
CohortProgress = Callable[[int, int, str, int, int], None]
#: ``centre_for(input, study) -> (R, A, S) mm or None``: a per-study LV centre (e.g. from a manifest).
CentreFor = Callable[[StudyInput, CineStudy], "tuple[float, float, float] | None"]


@dataclass
class StudyOutcome:
    """One study's result, or why it failed (``error`` is a one-line message; ``detail`` the traceback if
    the error was unexpected)."""

    index: int
    label: str
    study: CineStudy | None = None
    results: AnalysisResults | None = None
    error: str | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.results is not None


def _label(item: StudyInput) -> str:
    if isinstance(item, CineStudy):
        return item.study_id
    if isinstance(item, Mapping):
        return ", ".join(f"{v}={p}" for v, p in item.items())
    return str(Path(item))


def _read(item: StudyInput) -> CineStudy:
    return item if isinstance(item, CineStudy) else read_study(item)


def iter_cohort(inputs: Sequence[StudyInput], options: AnalysisOptions | None = None,
                progress: CohortProgress | None = None,
                cancel: threading.Event | None = None, centre_for: CentreFor | None = None,
                heads: HeadCache | None = None) -> Iterator[StudyOutcome]:
    """Yield one :class:`StudyOutcome` per input, in order; only :class:`Cancelled`/Ctrl-C stop the loop.

    ``centre_for``, when it gives a centre for a study, sets that study's ``options.lv_center``. Each head is loaded
    on first use and kept for every later study (in ``heads`` when given, so a caller can keep them longer)."""
    options = options or AnalysisOptions()
    heads = heads if heads is not None else HeadCache()
    n = len(inputs)
    for index, item in enumerate(inputs):
        outcome = StudyOutcome(index=index, label=_label(item))
        step: ProgressCallback | None = None
        if progress is not None:
            step = lambda stage, done, total, i=index: progress(i, n, stage, done, total)  # noqa: E731
        try:
            outcome.study = _read(item)
            outcome.label = outcome.study.study_id
            centre = centre_for(item, outcome.study) if centre_for is not None else None
            these = replace(options, lv_center=centre) if centre is not None else options
            outcome.results = analyse_study(outcome.study, these, progress=step, cancel=cancel, heads=heads)
        except (Cancelled, KeyboardInterrupt):
            raise
        except CineMAError as err:
            outcome.error = str(err)
        except Exception as err:  # noqa: BLE001 - one bad study must not stop the cohort
            outcome.error = f"unexpected {type(err).__name__}: {err}"
            outcome.detail = traceback.format_exc()
        yield outcome


def analyse_cohort(inputs: Sequence[StudyInput], options: AnalysisOptions | None = None,
                   progress: CohortProgress | None = None,
                   cancel: threading.Event | None = None) -> list[StudyOutcome]:
    """All outcomes at once (small cohorts, tests); use :func:`iter_cohort` to stream large ones."""
    return list(iter_cohort(inputs, options, progress, cancel))
