"""Write ``seg_<view>.dcm`` (one per labelled view) and ``sr.dcm`` for one study, all or nothing.

Everything is built in memory first and each file is then written atomically (temp file, rename): a failure while
building leaves the folder as it was, a failure while writing never leaves a half file under a final name.
A study without DICOM source images (NIfTI/NRRD input) is refused with one line naming it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from CineMALib.atomic import atomic_write
from CineMALib.errors import CineMAInputError
from CineMALib.exchange.seg import Algorithm, build_view_seg
from CineMALib.exchange.sr import build_sr
from CineMALib.io.dicom_refs import DicomRefs
from CineMALib.io.dicom_save import save_dataset
from CineMALib.measure.report import Report

SEG_SERIES_NUMBER, SR_SERIES_NUMBER = 9901, 9902
NOT_DICOM = ("DICOM export needs the DICOM source images; this study was read from NIfTI/NRRD, which carry no "
             "DICOM identifiers (export report.csv instead, or analyse the DICOM series)")


@dataclass
class ViewLabels:
    """One view to export: its source refs, (x, y, z, t) CineMA labels on the view's grid, the frames to export."""

    refs: DicomRefs
    labels: np.ndarray
    frames: Sequence[int]


def _uid() -> str:
    """A fresh UID per object and export: a re-export is a new object (a changed object never keeps its UID)."""
    import highdicom as hd

    return str(hd.UID())


def _clean_dates(ds: Dataset) -> Dataset:
    """Blank DA/DT/TM values that are not real dates (anonymised '00000000', '20120000' in the Sunnybrook GE study):
    highdicom copies patient and study dates into the new objects and refuses impossible ones. Only this in-memory
    header changes; the source files are never touched."""
    from pydicom.valuerep import DA, DT, TM

    for elem in ds.iterall():
        if elem.VR in ("DA", "DT", "TM") and elem.value not in (None, ""):
            try:
                {"DA": DA, "DT": DT, "TM": TM}[elem.VR](str(elem.value))
            except ValueError:
                elem.value = ""
    return ds


def read_sources(refs: DicomRefs, frames: Sequence[int], where: Path | None,
                 moved: Mapping[str, Path] | None = None) -> dict[int, list[Dataset]]:
    """Headers of the source images of ``frames`` (per frame, in slice order), checked against their UIDs."""
    import pydicom

    if not refs.single_frame:
        raise CineMAInputError(where, "DICOM SEG export supports single-frame source images (one image per file); "
                                      "this series stores frames inside multi-frame files")
    out: dict[int, list[Dataset]] = {}
    for t in frames:
        if not 0 <= t < refs.n_frames:
            raise CineMAInputError(where, f"frame {t} is outside the source series' {refs.n_frames} frames")
        headers = []
        for k in range(refs.n_slices):
            uid = refs.uid(k, t)
            path = (moved or {}).get(uid, refs.files[k][t])
            if not Path(path).is_file():
                raise CineMAInputError(path, "source DICOM image not found (moved or deleted?); pass --source with "
                                             "the folder that now holds the study")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(str(path), stop_before_pixels=True)
            if str(ds.get("SOPInstanceUID", "")) != uid:
                raise CineMAInputError(path, f"holds SOP Instance {ds.get('SOPInstanceUID', '?')}, not the analysed "
                                             f"image {uid}: the source folder changed since the analysis")
            headers.append(_clean_dates(ds))
        out[t] = headers
    _one_frame_of_reference(refs, out, where)
    return out


def _one_frame_of_reference(refs: DicomRefs, sources: dict[int, list[Dataset]], where: Path | None) -> None:
    """A stack whose images each carry their own FrameOfReferenceUID (seen after anonymisation: the Sunnybrook GE
    series has 240) cannot be one SEG as it is; the reader already treated it as one geometry, so the in-memory
    headers get the stack's first FrameOfReferenceUID, with a warning. The source files are not changed."""
    uids = {str(ds.get("FrameOfReferenceUID", "")) for frame in sources.values() for ds in frame}
    if len(uids) <= 1:
        return
    first = refs.frame_of_reference_uid or sorted(uids)[0]
    warnings.warn(f"{where}: the source images carry {len(uids)} different FrameOfReferenceUIDs within one series; "
                  f"the SEG uses {first}", stacklevel=3)
    for frame in sources.values():
        for ds in frame:
            ds.FrameOfReferenceUID = first


def build_objects(views: Mapping[str, ViewLabels], report: Report, algorithm: Algorithm, *,
                  score_model: str = "", where: Path | None = None,
                  moved: Mapping[str, Path] | None = None) -> dict[str, Dataset]:
    """File name -> dataset: one SEG per view with labels, then the SR (which references the SAX SEG)."""
    if not views:
        raise CineMAInputError(where, NOT_DICOM)
    seg_series = _uid()
    objects: dict[str, Dataset] = {}
    evidence: list[Dataset] = []
    for number, (view, item) in enumerate(views.items(), start=1):
        shape = item.labels.shape
        if item.labels.ndim != 4 or shape[2:] != (item.refs.n_slices, item.refs.n_frames):
            raise CineMAInputError(where, f"{view} labels of shape {shape} do not match the source series "
                                          f"({item.refs.n_slices} slices x {item.refs.n_frames} frames)")
        sources = read_sources(item.refs, item.frames, where, moved)
        first = sources[item.frames[0]][0]
        if shape[:2] != (int(first.Columns), int(first.Rows)):
            raise CineMAInputError(where, f"{view} labels {shape[:2]} do not match the {first.Columns}x{first.Rows} "
                                          "source images")
        objects[f"seg_{view}.dcm"] = build_view_seg(
            item.labels, list(item.frames), sources, algorithm, series_uid=seg_series, sop_uid=_uid(),
            series_number=SEG_SERIES_NUMBER, instance_number=number, ed=report.ed_frame, es=report.es_frame,
            series_description=f"CineMA {view.upper()} segmentation")
        evidence.extend(d for frame in sources.values() for d in frame)
    sax = objects.get("seg_sax.dcm")
    objects["sr.dcm"] = build_sr(report, sax, list(objects.values()) + evidence, algorithm,
                                 series_uid=_uid(), sop_uid=_uid(), series_number=SR_SERIES_NUMBER,
                                 instance_number=1, score_model=score_model)
    return objects


def write_objects(objects: Mapping[str, Dataset], folder: Path) -> dict[str, Path]:
    """Each object atomically into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: atomic_write(folder / name, lambda tmp, ds=ds: save_dataset(ds, tmp)) for name, ds in objects.items()}


def export_dicom(views: Mapping[str, ViewLabels], report: Report, folder: str | Path, algorithm: Algorithm, *,
                 score_model: str = "", moved: Mapping[str, Path] | None = None) -> dict[str, Path]:
    """Build every object, then write them: ``seg_<view>.dcm`` and ``sr.dcm`` in ``folder``."""
    folder = Path(folder)
    objects = build_objects(views, report, algorithm, score_model=score_model, where=folder, moved=moved)
    return write_objects(objects, folder)
