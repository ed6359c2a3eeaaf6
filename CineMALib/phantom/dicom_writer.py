"""DICOM output of a phantom: per view a folder of single-frame MR Image Storage files (one per slice and phase).

Geometry follows DICOM exactly: ImagePositionPatient / ImageOrientationPatient in LPS (our RAS with x, y negated);
IOP = (direction of increasing column index, direction of increasing row index) = (u, v) of the plane stack, so
``pixel_array[j, i] == data[i, j]``; PixelSpacing = [row spacing (along v), column spacing (along u)].
UIDs are derived from (seed, pathology, view, slice, frame) so output is reproducible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import MRImageStorage, ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID, generate_uid

from CineMALib.atomic import atomic_write
from CineMALib.io.dicom_save import save_dataset

SERIES_DESCRIPTION = {"sax": "CINE SAX", "lax_2c": "CINE 2CH", "lax_3c": "CINE 3CH", "lax_4c": "CINE 4CH"}
_STUDY_DATE, _STUDY_TIME = "20240101", "120000"


def _ras_to_lps(vec: np.ndarray) -> np.ndarray:
    return np.asarray(vec, dtype=float) * np.array([-1.0, -1.0, 1.0])


def _ds(values: np.ndarray) -> list[str]:
    """Decimal strings (DS allows 16 characters)."""
    return [f"{float(v):.10g}"[:16] for v in values]


def _uid(*parts: object) -> str:
    """Deterministic UID. Why the separator: pydicom hashes the *concatenated* entropy strings, so ("1", "12") and
    ("11", "2") would collide (slice 1 / frame 12 vs slice 11 / frame 2)."""
    return generate_uid(entropy_srcs=["cinema-phantom|" + "|".join(str(p) for p in parts)])


def _base_dataset(phantom: Any, view: str, series_number: int) -> dict[str, Any]:
    """Attributes shared by every image of a series."""
    meta = phantom.study.metadata
    cine = phantom.study[view]
    key = (phantom.seed, phantom.pathology)
    rr = 60000.0 / float(meta.heart_rate_bpm)
    return {
        "Modality": "MR", "Manufacturer": "CineMA synthetic phantom", "InstitutionName": "synthetic",
        "PatientName": f"Phantom^{phantom.pathology.upper()}{phantom.seed}", "PatientID": meta.patient_id,
        "PatientSex": meta.sex, "PatientSize": f"{meta.height_cm / 100.0:.3f}", "PatientWeight": f"{meta.weight_kg:g}",
        "PatientBirthDate": "", "StudyDate": _STUDY_DATE, "StudyTime": _STUDY_TIME, "SeriesDate": _STUDY_DATE,
        "SeriesTime": _STUDY_TIME, "AccessionNumber": "", "ReferringPhysicianName": "", "StudyID": "1",
        "StudyInstanceUID": _uid("study", *key), "FrameOfReferenceUID": _uid("frame-of-reference", *key),
        "SeriesInstanceUID": _uid("series", *key, view), "SeriesNumber": series_number,
        "SeriesDescription": SERIES_DESCRIPTION[view], "ProtocolName": SERIES_DESCRIPTION[view],
        "ImageType": ["ORIGINAL", "PRIMARY", "M", "NONE"], "ImageComments": "SYNTHETIC PHANTOM, not patient data",
        "ScanningSequence": "GR", "SequenceVariant": "SS", "ScanOptions": "", "MRAcquisitionType": "2D",
        "SequenceName": "bSSFP cine", "MagneticFieldStrength": "1.5", "RepetitionTime": "3.0", "EchoTime": "1.5",
        "FlipAngle": "50", "SliceThickness": _ds([phantom.stacks[view].thickness])[0],
        "SpacingBetweenSlices": _ds([cine.spacing[2]])[0], "HeartRate": f"{meta.heart_rate_bpm:.0f}",
        "NominalInterval": f"{rr:.0f}", "CardiacNumberOfImages": cine.n_frames,
        "PixelSpacing": _ds([cine.spacing[1], cine.spacing[0]]),
        "ImageOrientationPatient": _ds(np.concatenate([_ras_to_lps(cine.affine[:3, 0] / cine.spacing[0]),
                                                       _ras_to_lps(cine.affine[:3, 1] / cine.spacing[1])])),
        "Rows": cine.shape[1], "Columns": cine.shape[0], "SamplesPerPixel": 1,
        "PhotometricInterpretation": "MONOCHROME2", "BitsAllocated": 16, "BitsStored": 12, "HighBit": 11,
        "PixelRepresentation": 0, "RescaleIntercept": "0", "RescaleSlope": "1", "RescaleType": "US",
        "WindowCenter": "600", "WindowWidth": "1400",
    }


def _dataset(path: Path, common: dict[str, Any], sop_uid: str) -> FileDataset:
    file_meta = FileMetaDataset()
    file_meta.MediaStorageSOPClassUID = MRImageStorage
    file_meta.MediaStorageSOPInstanceUID = sop_uid
    file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = FileDataset(str(path), {}, file_meta=file_meta, preamble=b"\0" * 128)
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = sop_uid
    for keyword, value in common.items():
        setattr(ds, keyword, value)
    return ds


def write_dicom_view(phantom: Any, view: str, folder: Path, series_number: int) -> list[Path]:
    """One file per (slice, frame); stale ``IM_*.dcm`` files from an earlier, larger run are removed."""
    cine = phantom.study[view]
    common = _base_dataset(phantom, view, series_number)
    normal_lps = _ras_to_lps(cine.affine[:3, 2] / cine.spacing[2])
    pixels = np.clip(np.rint(cine.data), 0, 65535).astype(np.uint16)
    written: list[Path] = []
    n_slices, n_frames = cine.shape[2], cine.n_frames
    for k in range(n_slices):
        position = _ras_to_lps(cine.affine[:3, 2] * k + cine.affine[:3, 3])
        for t in range(n_frames):
            path = folder / f"IM_s{k:02d}_t{t:03d}.dcm"
            ds = _dataset(path, common, _uid("image", phantom.seed, phantom.pathology, view, k, t))
            ds.InstanceNumber = k * n_frames + t + 1
            ds.AcquisitionNumber = 1
            ds.ImagePositionPatient = _ds(position)
            ds.SliceLocation = _ds([position @ normal_lps])[0]
            ds.TriggerTime = f"{float(cine.trigger_times_ms[t]):.2f}"
            ds.TemporalPositionIdentifier = t + 1
            ds.PixelData = np.ascontiguousarray(pixels[:, :, k, t].T).tobytes()
            ds.SmallestImagePixelValue = int(pixels[:, :, k, t].min())
            ds.LargestImagePixelValue = int(pixels[:, :, k, t].max())
            written.append(atomic_write(path, lambda tmp, ds=ds: save_dataset(ds, tmp)))
    keep = set(written)
    for stale in folder.glob("IM_*.dcm"):
        if stale not in keep:
            stale.unlink()
    return written


def write_dicom_study(phantom: Any, out: Path) -> list[Path]:
    """All views under ``out/<view>/``, sharing StudyInstanceUID and FrameOfReferenceUID."""
    written: list[Path] = []
    for number, view in enumerate(phantom.study.views, start=1):
        written.extend(write_dicom_view(phantom, view, out / view, number))
    return written
