"""``cinema export-dicom RESULT_DIR``: SEG and SR from a saved result folder, including labels edited by hand.

The labels are ``segmentation_<view>.nii.gz`` as they are now. When their SHA-256 differs from the one recorded at
analysis time they were edited: the SEG segments say SEMIAUTOMATIC and the SAX numbers (volumes, EF, mass and what
derives from them) are measured again from the edited labels; the other rows (long-axis, scores, LV centre) are
taken from ``measurements.csv`` as saved. A moved source study is found again with ``--source DIR`` (by SOP
Instance UID).
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.exchange.export import ViewLabels, export_dicom
from CineMALib.exchange.record import RECORD, algorithm_of, read_record, refs_of, sha256_file
from CineMALib.measure import measure_labels
from CineMALib.io.labels import read_label_file
from CineMALib.measure.report import Measurement, Report
from CineMALib.study import StudyMetadata


def study_folders(result_dir: Path) -> list[Path]:
    """The study folders under a cohort folder (or the folder itself when it is one study's)."""
    if not result_dir.is_dir():
        raise CineMAInputError(result_dir, "not a folder (give a cinema analyse output folder or one study's folder)")
    if (result_dir / RECORD).is_file() or ((result_dir / "measurements.csv").is_file()
                                           and any(result_dir.glob("segmentation_*.nii.gz"))):
        return [result_dir]
    found = sorted(p.parent for p in result_dir.glob(f"*/{RECORD}"))
    if not found:
        raise CineMAInputError(result_dir, f"no study result with {RECORD} here: DICOM export needs results analysed "
                                           "from a DICOM study (NIfTI/NRRD input has no source images to reference)")
    return found


def read_report(folder: Path, study_id: str) -> Report:
    """A study's ``measurements.csv`` back as a :class:`Report` (values, units, methods, phases, frames)."""
    path = folder / "measurements.csv"
    if not path.is_file():
        raise CineMAInputError(folder, "no measurements.csv: not a complete CineMA study result")
    report = Report(study_id)
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            value = None if row["value"] in ("", "n/a") else float(row["value"])
            frames = tuple(int(f) for f in row.get("frame", "").split(";") if f.strip())
            report.add(Measurement(row["measure"], value, row["unit"], row["method"], row.get("phase", ""), frames))
    for name, attr in (("ED frame", "ed_frame"), ("ES frame", "es_frame")):
        if report.value(name) is not None:
            setattr(report, attr, int(report.value(name)))  # type: ignore[arg-type]
    return report


#: SAX-label numbers: re-measured from edited labels, never kept stale from the saved table.
SAX_ROWS = ("ED frame", "ES frame", "LVEDV", "LVESV", "LVSV", "LVEF", "LVM", "RVEDV", "RVESV", "RVSV", "RVEF", "LVCO")
INDEXED = {"LVEDV": "LVEDVi", "LVESV": "LVESVi", "LVSV": "LVSVi", "LVM": "LVMi", "RVEDV": "RVEDVi",
           "RVESV": "RVESVi", "RVSV": "RVSVi", "LVCO": "LVCI"}


def _remeasure(saved: Report, labels: np.ndarray, affine: np.ndarray, frames: list[int]) -> Report:
    """SAX rows measured again from edited labels at the saved ED/ES frames (heart rate and BSA as saved)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = measure_labels(labels, affine, ed=saved.ed_frame, es=saved.es_frame, analysed_frames=frames,
                               study_id=saved.study_id, metadata=StudyMetadata(heart_rate_bpm=saved.value("HR")),
                               given_by="kept from the analysis (its measurements.csv)")
    rows = [r for r in fresh.rows if r.name in SAX_ROWS and r.available]
    bsa = saved.value("BSA")
    for row in list(rows):
        if bsa and row.name in INDEXED:
            rows.append(Measurement(INDEXED[row.name], row.value / bsa, f"{row.unit}/m2",  # type: ignore[operator]
                                    f"{row.name} / BSA {bsa:.3f} m2", row.phase, row.frames))
    stale = set(SAX_ROWS) | set(INDEXED.values())
    kept = [r for r in saved.rows if r.name not in stale]
    out = Report(saved.study_id, rows=rows + kept, ed_frame=fresh.ed_frame, es_frame=fresh.es_frame,
                 phases=fresh.phases)
    out.notes.append("SAX labels edited by hand after the analysis; volumes, EF and mass re-measured from them")
    return out


def export_folder(folder: Path, moved: dict[str, Path] | None = None, algorithm_type: str | None = None) -> dict[str, Path]:
    """SEG per labelled view and SR for one study result folder; returns file name -> path."""
    data = read_record(folder)
    report = read_report(folder, data.get("study_id", folder.name))
    if report.ed_frame is None:
        report.ed_frame, report.es_frame = data.get("ed_frame"), data.get("es_frame")
    views: dict[str, ViewLabels] = {}
    edited = False
    sax_grid = None
    for view, entry in data["views"].items():
        labels_path = folder / entry["labels_file"]
        if not labels_path.is_file():
            raise CineMAInputError(labels_path, "labels file missing from the result folder")
        labels, affine = read_label_file(labels_path)
        if labels.ndim == 3:
            labels = labels[..., np.newaxis]
        changed = sha256_file(labels_path) != entry.get("labels_sha256")
        edited = edited or changed
        frames = [int(t) for t in entry["analysed_frames"]]
        views[view] = ViewLabels(refs_of(data, view), labels, tuple(frames))
        if view == "sax" and changed:
            sax_grid = (labels, affine, frames)
    if sax_grid is not None:
        report = _remeasure(report, *sax_grid)
    algorithm = algorithm_of(data, edited)
    if algorithm_type:
        algorithm = type(algorithm)(algorithm.name, algorithm.version, algorithm.parameters, algorithm_type)
    return export_dicom(views, report, folder, algorithm, score_model=data.get("score_model", ""), moved=moved)


def index_sources(root: Path) -> dict[str, Path]:
    """SOP Instance UID -> file for every DICOM file under ``root`` (headers only)."""
    import pydicom

    if not root.is_dir():
        raise CineMAInputError(root, "--source: not a folder")
    out: dict[str, Path] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            ds = pydicom.dcmread(str(path), stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
        except Exception:  # noqa: BLE001 - not DICOM: skipped
            continue
        uid = str(ds.get("SOPInstanceUID", "") or "")
        if uid:
            out[uid] = path
    if not out:
        raise CineMAInputError(root, "--source: no DICOM files found")
    return out
