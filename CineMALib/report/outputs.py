"""Write an analysed study's files: segmentations on the original grids, landmarks, plots, HTML; cohort tables.

Why in ``report`` (the last stage): writing files depends on everything before it; the analysis itself writes
nothing and imports nothing from here.

Layout of an output folder (every file written atomically, so an interrupted run never leaves half a file)::

    OUT/report.csv          one row per analysed study (rewritten after each study)
    OUT/measurements.csv    every measurement of every study, long format
    OUT/failures.txt        only when some studies failed: which and why
    OUT/<study>/segmentation_<view>.nii.gz   4-D (x, y, z, t) uint8 labels, the view's own geometry
    OUT/<study>/landmarks.json, volumes.png (>= 3 frames analysed), report.html, measurements.csv
    OUT/<study>/qc_montage.png   per view: the whole field of view at ED and ES, the model window and the contours
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from CineMALib.atomic import atomic_write_text
from CineMALib.io import write_labels
from CineMALib.measure.report import Report
from CineMALib.report import write_measurements_csv, write_outputs, write_report_csv
from CineMALib.report.qc_montage import write_qc_montage
from CineMALib.results import AnalysisResults
from CineMALib.study import CineStudy


def study_folder_name(study_id: str, taken: set[str]) -> str:
    """A safe, unique folder name for a study id (path separators and odd characters replaced)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", study_id).strip("._") or "study"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def write_study_outputs(results: AnalysisResults, report: Report, study: CineStudy | None,
                        folder: str | Path) -> dict[str, Path]:
    """One study's files into ``folder``: the segmentations and the QC montage, then the report files of
    :func:`CineMALib.report.write_outputs` (the same as ``cinema measure`` writes); returns file name -> path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for view, result in results.views.items():
        if result.labels is None:
            continue
        name = f"segmentation_{view}.nii.gz"
        written[name] = write_labels(result.labels, result.affine, out / name)
    images: list[Path] = []
    if study is not None:
        montage = write_qc_montage(results, study, out / "qc_montage.png", f"{report.study_id}: where the model looked")
        if montage is not None:
            written["qc_montage.png"] = montage
            images.append(montage)
    written.update(write_outputs(report, out, images, report_csv=False))
    return written


def write_cohort_tables(reports: Sequence[Report], failures: Sequence[tuple[str, str]],
                        out_dir: str | Path) -> dict[str, Path]:
    """report.csv and measurements.csv over all analysed studies, failures.txt when some failed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if reports:
        written["report.csv"] = write_report_csv(list(reports), out / "report.csv")
        written["measurements.csv"] = write_measurements_csv(list(reports), out / "measurements.csv")
    if failures:
        text = "".join(f"{label}\t{error}\n" for label, error in failures)
        written["failures.txt"] = atomic_write_text(out / "failures.txt", text)
    return written
