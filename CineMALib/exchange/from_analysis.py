"""DICOM objects straight after an analysis (``cinema analyse --dicom``) and the record that lets a later
``cinema export-dicom`` redo them from the saved result folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from CineMALib.errors import CineMAInputError
from CineMALib.exchange.export import NOT_DICOM, ViewLabels, export_dicom
from CineMALib.exchange.record import algorithm_from, score_model_name, weights_checksums, write_record
from CineMALib.measure.report import Report
from CineMALib.results import AnalysisResults
from CineMALib.study import CineStudy


def views_to_export(study: CineStudy, results: AnalysisResults) -> dict[str, ViewLabels]:
    """Labelled views whose source images are DICOM; a NIfTI/NRRD study gives a one-line error."""
    views = {}
    for name, result in results.views.items():
        refs = study.views[name].dicom_refs if name in study.views else None
        if refs is not None and result.labels is not None and result.analysed_frames:
            views[name] = ViewLabels(refs, result.labels, tuple(result.analysed_frames))
    if not views:
        raise CineMAInputError(study.source, NOT_DICOM)
    return views


def record_and_export(study: CineStudy, results: AnalysisResults, report: Report, folder: Path, options: Any,
                      dicom: bool) -> dict[str, Path]:
    """Write ``dicom_source.json`` for a DICOM study and, when ``dicom``, ``seg_<view>.dcm`` and ``sr.dcm``."""
    algorithm = algorithm_from(results.provenance, weights_checksums(options) if options is not None else None)
    written: dict[str, Path] = {}
    record = write_record(folder, study, results, algorithm)
    if record is not None:
        written[record.name] = record
    if dicom:
        written.update(export_dicom(views_to_export(study, results), report, folder, algorithm,
                                    score_model=score_model_name(results)))
    return written
