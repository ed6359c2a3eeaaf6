"""Scan DICOM files (headers only) into one :class:`FrameRecord` per 2-D image, then load their pixels on demand.

Why a flat list of frames: classic MR (one image per file, any vendor), legacy multi-frame (one file per slice,
frames = phases) and enhanced MR (PerFrameFunctionalGroupsSequence) all reduce to "a 2-D image with a position,
an orientation and a trigger time"; the stacking code in :mod:`CineMALib.io.dicom` then needs only one path.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from CineMALib.errors import CineMAInputError
from CineMALib.io.detect import has_dicom_preamble, read_head
from CineMALib.io.guards import check_declared_shape


@dataclass
class FrameRecord:
    """One 2-D image: where it lies (LPS), when it was acquired, and how to fetch its pixels."""

    path: Path
    frame: int | None  # index inside a multi-frame file, None for single-frame files
    header: Dataset
    series_uid: str
    series_number: int | None
    description: str
    rows: int
    cols: int
    iop: np.ndarray | None  # (6,) row direction then column direction
    ipp: np.ndarray | None  # (3,) centre of the first transmitted pixel
    pixel_spacing: np.ndarray | None  # (row spacing, column spacing) mm
    trigger_time: float | None
    instance_number: int
    frame_of_reference: str | None
    image_type: str
    slice_thickness: float | None

    @property
    def normal(self) -> np.ndarray:
        n = np.cross(self.iop[:3], self.iop[3:])
        return n / np.linalg.norm(n)

    @property
    def where(self) -> str:
        return self.path.name if self.frame is None else f"{self.path.name} frame {self.frame + 1}"


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _vector(value: Any, n: int) -> np.ndarray | None:
    try:
        arr = np.asarray([float(v) for v in value], dtype=float)
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == (n,) and np.all(np.isfinite(arr)) else None


def _group_item(ds: Dataset, frame_item: Dataset | None, seq: str) -> Dataset | None:
    """A functional group item: the per-frame one, else the shared one (enhanced multi-frame objects)."""
    for holder in (frame_item, _first(ds, "SharedFunctionalGroupsSequence")):
        if holder is not None and seq in holder and len(holder[seq].value):
            return holder[seq].value[0]
    return None


def _first(ds: Dataset, seq: str) -> Dataset | None:
    return ds[seq].value[0] if seq in ds and len(ds[seq].value) else None


def read_header(path: Path) -> Dataset:
    """A DICOM header without pixel data; CineMAInputError when the file is not DICOM."""
    force = not has_dicom_preamble(read_head(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom complains about odd but harmless values (e.g. UIDs)
            ds = pydicom.dcmread(str(path), stop_before_pixels=True, force=force)
            ds.get("Rows")  # force parsing of the first elements
            _ = [elem for elem in ds]  # deferred parse errors surface here, not later
    except Exception as err:  # pydicom raises many types on garbage; all mean "not usable DICOM"
        raise CineMAInputError(path, f"not a readable DICOM file ({type(err).__name__}: {err})") from None
    if "Rows" not in ds or "Columns" not in ds:
        raise CineMAInputError(path, "DICOM file holds no image (no Rows/Columns: a report, or not DICOM)")
    return ds


def records_from_header(path: Path, ds: Dataset) -> list[FrameRecord]:
    """Every 2-D image the file holds, with geometry from the classic tags or the functional groups."""
    rows, cols = int(ds.Rows), int(ds.Columns)
    n_frames = int(_float(ds.get("NumberOfFrames", 1)) or 1)
    check_declared_shape(path, (cols, rows, n_frames), what="DICOM header")
    common = dict(path=path, header=ds, series_uid=str(ds.get("SeriesInstanceUID", "") or f"no-uid:{path.parent}"),
                  series_number=_int_or_none(ds.get("SeriesNumber")),
                  description=" ".join(str(ds.get(k, "") or "") for k in ("SeriesDescription", "ProtocolName")).strip(),
                  rows=rows, cols=cols, frame_of_reference=str(ds.get("FrameOfReferenceUID", "") or "") or None,
                  image_type="\\".join(str(v) for v in (ds.get("ImageType") or [])).upper(),
                  slice_thickness=_float(ds.get("SliceThickness")))
    instance = _int_or_none(ds.get("InstanceNumber")) or 0
    if _is_enhanced(ds, n_frames):
        return [_enhanced_record(ds, f, item, instance, common)
                for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence)]
    iop, ipp = _vector(ds.get("ImageOrientationPatient"), 6), _vector(ds.get("ImagePositionPatient"), 3)
    spacing = _vector(ds.get("PixelSpacing"), 2)
    trigger = _float(ds.get("TriggerTime"))
    if n_frames == 1:
        return [FrameRecord(frame=None, iop=iop, ipp=ipp, pixel_spacing=spacing, trigger_time=trigger,
                            instance_number=instance, **common)]
    times = _legacy_frame_times(ds, n_frames)  # legacy multi-frame: the frames are the phases of one slice
    return [FrameRecord(frame=f, iop=iop, ipp=ipp, pixel_spacing=spacing, trigger_time=times[f],
                        instance_number=instance * 10_000 + f, **common) for f in range(n_frames)]


def _is_enhanced(ds: Dataset, n_frames: int) -> bool:
    """True for real enhanced multi-frame objects (an empty PerFrameFunctionalGroupsSequence is seen in the wild:
    OsiriX exports of classic MR images carry one empty item)."""
    seq = ds.get("PerFrameFunctionalGroupsSequence")
    return seq is not None and len(seq) == n_frames and any(len(item) for item in seq)


def _enhanced_record(ds: Dataset, f: int, item: Dataset, instance: int, common: dict[str, Any]) -> FrameRecord:
    pos, ori = _group_item(ds, item, "PlanePositionSequence"), _group_item(ds, item, "PlaneOrientationSequence")
    meas, sync = _group_item(ds, item, "PixelMeasuresSequence"), _group_item(ds, item, "CardiacSynchronizationSequence")
    content = _group_item(ds, item, "FrameContentSequence")
    trigger = _float(sync.get("NominalCardiacTriggerDelayTime")) if sync is not None else None
    temporal = _int_or_none(content.get("TemporalPositionIndex")) if content is not None else None
    record = FrameRecord(frame=f, iop=_vector(ori.get("ImageOrientationPatient") if ori else None, 6),
                         ipp=_vector(pos.get("ImagePositionPatient") if pos else None, 3),
                         pixel_spacing=_vector(meas.get("PixelSpacing") if meas else None, 2),
                         trigger_time=trigger, instance_number=instance * 10_000 + (temporal or 0) * 100 + f,
                         **common)
    if meas is not None and _float(meas.get("SliceThickness")):
        record.slice_thickness = _float(meas.get("SliceThickness"))
    return record


def _legacy_frame_times(ds: Dataset, n: int) -> list[float | None]:
    if "FrameTimeVector" in ds:
        vec = _vector(ds.FrameTimeVector, n)
        if vec is not None:
            return list(np.cumsum(vec) - vec[0])
    step = _float(ds.get("FrameTime"))
    return [f * step if step else None for f in range(n)]


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def scan(files: Iterable[Path]) -> tuple[list[FrameRecord], dict[Path, str]]:
    """Frame records of every readable DICOM image, and the files skipped with the reason."""
    records: list[FrameRecord] = []
    skipped: dict[Path, str] = {}
    for path in files:
        try:
            records.extend(records_from_header(path, read_header(path)))
        except CineMAInputError as err:
            skipped[path] = err.problem
    return records, skipped


def iter_pixels(records: list[FrameRecord]) -> Iterator[tuple[FrameRecord, np.ndarray]]:
    """(record, (rows, cols) float32 rescaled pixels), decoding each file once (records grouped by file)."""
    cache: dict[Path, np.ndarray] = {}
    for rec in sorted(records, key=lambda r: (str(r.path), r.frame or 0)):
        if rec.path not in cache:
            cache.clear()  # keep one decoded file in memory
            cache[rec.path] = _decode(rec)
        arr = cache[rec.path]
        img = arr if rec.frame is None else arr[rec.frame]
        if img.shape != (rec.rows, rec.cols):
            raise CineMAInputError(rec.path, f"pixel data of shape {img.shape} does not match the header's "
                                             f"{rec.rows}x{rec.cols} matrix")
        yield rec, img


def _decode(rec: FrameRecord) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(str(rec.path), force=not has_dicom_preamble(read_head(rec.path)))
            if int(ds.get("SamplesPerPixel", 1)) != 1:
                raise CineMAInputError(rec.path, "colour DICOM image: a cine MR image has one sample per pixel")
            pixels = ds.pixel_array
    except CineMAInputError:
        raise
    except Exception as err:
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "?") if "ds" in locals() else "?"
        raise CineMAInputError(rec.path, f"pixel data cannot be decoded (transfer syntax {syntax}; "
                                         f"{type(err).__name__}: {err}). Compressed DICOM may need "
                                         "'pip install pylibjpeg pylibjpeg-libjpeg' or gdcm") from None
    n_frames = int(_float(ds.get("NumberOfFrames", 1)) or 1)
    pixels = np.asarray(pixels, dtype=np.float32)
    if n_frames > 1 and pixels.ndim == 2:
        pixels = pixels[np.newaxis]
    return _rescale(ds, pixels, n_frames)


def _rescale(ds: Dataset, pixels: np.ndarray, n_frames: int) -> np.ndarray:
    """Apply RescaleSlope/Intercept (classic tags, or per-frame PixelValueTransformationSequence)."""
    if _is_enhanced(ds, n_frames):
        for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
            tr = _group_item(ds, item, "PixelValueTransformationSequence")
            if tr is not None:
                slope, intercept = _float(tr.get("RescaleSlope")) or 1.0, _float(tr.get("RescaleIntercept")) or 0.0
                pixels[f] = pixels[f] * slope + intercept
        return pixels
    slope, intercept = _float(ds.get("RescaleSlope")) or 1.0, _float(ds.get("RescaleIntercept")) or 0.0
    return pixels * slope + intercept if (slope, intercept) != (1.0, 0.0) else pixels
