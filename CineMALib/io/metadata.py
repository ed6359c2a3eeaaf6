"""Patient facts for measurements (height, weight, sex, heart rate) from DICOM headers or an ACDC ``Info.cfg``.

DICOM: PatientID, PatientSize (metres -> cm; a value above 3 is taken as already in cm, with a warning),
PatientWeight (kg), PatientSex (M/F), HeartRate (0018,1088) as the median over images (else 60000 /
NominalInterval), plus Manufacturer, field strength, age and study date in ``extra``.

ACDC: an ``Info.cfg`` file beside a NIfTI/NRRD input ("Key: value" lines) gives Height (cm), Weight (kg) and, in
``extra``, Group, ED and ES (1-based frame numbers, as in the file) and NbFrame.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from CineMALib.study import StudyMetadata

_EXTRA_TAGS = {"Manufacturer": "manufacturer", "ManufacturerModelName": "model",
               "MagneticFieldStrength": "field_strength_t", "PatientAge": "patient_age", "StudyDate": "study_date",
               "StudyDescription": "study_description"}


def _positive(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) and out > 0 else None


def dicom_metadata(headers: Iterable[Dataset]) -> StudyMetadata:
    """Study metadata from the headers of the images used (first non-empty value wins; heart rate: median)."""
    headers = list(headers)
    meta = StudyMetadata()
    rates, intervals = [], []
    for ds in headers:
        if meta.patient_id is None and str(ds.get("PatientID", "") or "").strip():
            meta.patient_id = str(ds.PatientID).strip()
        if meta.height_cm is None and (size := _positive(ds.get("PatientSize"))):
            if size > 3.0:
                warnings.warn(f"PatientSize {size:g} is not in metres; taking it as centimetres", stacklevel=2)
                meta.height_cm = size
            else:
                meta.height_cm = round(size * 100.0, 3)
        if meta.weight_kg is None and (weight := _positive(ds.get("PatientWeight"))):
            meta.weight_kg = weight
        if meta.sex is None and str(ds.get("PatientSex", "") or "").upper()[:1] in ("M", "F"):
            meta.sex = str(ds.PatientSex).upper()[:1]
        if rate := _positive(ds.get("HeartRate")):
            rates.append(rate)
        if interval := _positive(ds.get("NominalInterval")):
            intervals.append(interval)
        for tag, key in _EXTRA_TAGS.items():
            if key not in meta.extra and str(ds.get(tag, "") or "").strip():
                meta.extra[key] = str(ds.get(tag)).strip()
    if rates:
        meta.heart_rate_bpm = float(np.median(rates))
    elif intervals:
        meta.heart_rate_bpm = round(60000.0 / float(np.median(intervals)), 2)
    return meta


def read_info_cfg(path: Path) -> dict[str, str]:
    """'Key: value' pairs of an ACDC Info.cfg (unreadable lines are ignored)."""
    pairs: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return pairs
    for line in text.splitlines():
        match = re.match(r"\s*([A-Za-z][\w ]*?)\s*:\s*(.+?)\s*$", line)
        if match:
            pairs[match.group(1)] = match.group(2)
    return pairs


def sidecar_metadata(volume_path: Path) -> StudyMetadata:
    """Metadata from an ``Info.cfg`` beside a volume file (ACDC layout); empty when there is none."""
    meta = StudyMetadata()
    folder = volume_path if volume_path.is_dir() else volume_path.parent
    cfg = folder / "Info.cfg"
    if not cfg.is_file():
        return meta
    pairs = read_info_cfg(cfg)
    meta.height_cm = _positive(pairs.get("Height"))
    meta.weight_kg = _positive(pairs.get("Weight"))
    for key, name in (("Group", "group"), ("ED", "ed_frame"), ("ES", "es_frame"), ("NbFrame", "n_frames")):
        if key in pairs:
            meta.extra[name] = pairs[key]
    if re.fullmatch(r"patient\d+", folder.name):
        meta.patient_id = folder.name
    meta.extra["metadata_source"] = str(cfg)
    return meta
