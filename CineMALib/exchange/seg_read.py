"""A DICOM Segmentation (ours or another tool's) back to CineMA labels on a voxel grid with its RAS affine.

The grid comes from the SEG itself, with the reader's conventions (:mod:`CineMALib.io.dicom`): x = column,
y = row, z = slices sorted along the plane normal, so a SEG of a DICOM study lands on that study's grid. Frames
with a Temporal Position Index (our cine SEGs: cine frame + 1) go to that time; a SEG without one is one 3-D volume.
Segments map to labels by their property type code (SNOMED CT left ventricle 87878005 -> 3, LV myocardium
49848007 -> 2, right ventricle 53085002 -> 1), else by their label text; other segments are skipped with a warning.
Fractional SEGs are thresholded at half their maximum value. A SEG that omits empty frames (most tools do; ours
does not) gives a grid from its first to its last slice with a frame; empty slices inside it are kept in place.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.study import lps_to_ras

SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
CODE_TO_LABEL = {"87878005": 3, "49848007": 2, "53085002": 1}
NAME_TO_LABEL = {"lv": 3, "lv blood pool": 3, "left ventricle": 3, "left ventricle cavity": 3, "myo": 2,
                 "myocardium": 2, "lv myocardium": 2, "left ventricle myocardium": 2, "rv": 1, "rv blood pool": 1,
                 "right ventricle": 1, "right ventricle cavity": 1}
POSITION_TOL_MM = 0.05


def is_dicom_seg(path: Path) -> bool:
    """True for a DICOM file whose SOP class is Segmentation Storage."""
    import pydicom

    try:
        ds = pydicom.dcmread(str(path), stop_before_pixels=True, specific_tags=["SOPClassUID"])
    except Exception:  # noqa: BLE001 - not DICOM
        return False
    return str(ds.get("SOPClassUID", "")) == SEGMENTATION_STORAGE


def _segment_labels(ds, path: Path) -> dict[int, int]:
    out: dict[int, int] = {}
    skipped = []
    for item in ds.SegmentSequence:
        number = int(item.SegmentNumber)
        codes = [str(c.CodeValue) for c in item.get("SegmentedPropertyTypeCodeSequence", [])]
        label = next((CODE_TO_LABEL[c] for c in codes if c in CODE_TO_LABEL), None)
        if label is None:
            label = NAME_TO_LABEL.get(str(item.get("SegmentLabel", "")).strip().lower())
        if label is None:
            skipped.append(f"{number} {item.get('SegmentLabel', '')!r}")
        else:
            out[number] = label
    if skipped:
        warnings.warn(f"{path}: skipping segment(s) that are not LV, LV myocardium or RV: {', '.join(skipped)}",
                      stacklevel=3)
    if not out:
        raise CineMAInputError(path, "DICOM SEG has no LV, LV myocardium or RV segment (by SNOMED code or label)")
    return out


def _group(ds, item, name: str):
    for holder in (item, ds.get("SharedFunctionalGroupsSequence", [None])[0]):
        if holder is not None and name in holder:
            return holder[name].value[0]
    return None


def read_seg(path: str | Path) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(labels (x, y, z) or (x, y, z, t) uint8 CineMA labels, voxel->RAS affine, frames present (t indices))."""
    import pydicom

    path = Path(path)
    try:
        ds = pydicom.dcmread(str(path))
    except Exception as err:  # noqa: BLE001
        raise CineMAInputError(path, f"not a readable DICOM file ({type(err).__name__}: {err})") from None
    if str(ds.get("SOPClassUID", "")) != SEGMENTATION_STORAGE:
        raise CineMAInputError(path, "not a DICOM Segmentation (SOP class Segmentation Storage)")
    seg_labels = _segment_labels(ds, path)
    pixels = ds.pixel_array.reshape(int(ds.get("NumberOfFrames", 1)), int(ds.Rows), int(ds.Columns))
    if str(ds.get("SegmentationType", "BINARY")) == "FRACTIONAL":
        pixels = pixels >= float(ds.get("MaximumFractionalValue", 255)) / 2.0
    frames = []
    iop = None
    spacing = None
    for item in ds.PerFrameFunctionalGroupsSequence:
        seg_item, pos, ori = (_group(ds, item, n) for n in ("SegmentIdentificationSequence", "PlanePositionSequence",
                                                             "PlaneOrientationSequence"))
        meas, content = _group(ds, item, "PixelMeasuresSequence"), _group(ds, item, "FrameContentSequence")
        if seg_item is None or pos is None or ori is None or meas is None:
            raise CineMAInputError(path, "DICOM SEG frame without segment number, position, orientation or spacing")
        iop = np.asarray([float(v) for v in ori.ImageOrientationPatient])
        spacing = np.asarray([float(v) for v in meas.PixelSpacing])
        temporal = content.get("TemporalPositionIndex") if content is not None else None
        frames.append((int(seg_item.ReferencedSegmentNumber), np.asarray([float(v) for v in pos.ImagePositionPatient]),
                       None if temporal is None else int(temporal)))
    normal = np.cross(iop[:3], iop[3:])
    dist = np.array([float(p @ normal) for _, p, _ in frames])
    uniq = np.unique(np.round(dist / POSITION_TOL_MM) * POSITION_TOL_MM)
    steps = np.diff(uniq)
    thickness = float(_group(ds, ds.PerFrameFunctionalGroupsSequence[0], "PixelMeasuresSequence").get(
        "SliceThickness", 1.0) or 1.0)
    step = float(steps.min()) if len(steps) else thickness  # one slice: its thickness, as the image reader does
    index = np.rint((dist - uniq[0]) / step).astype(int)
    if len(steps) and np.max(np.abs((dist - uniq[0]) / step - index)) > 0.05:
        raise CineMAInputError(path, "DICOM SEG slices are not on one evenly spaced stack")
    times = sorted({t for _, _, t in frames if t is not None})
    n_z = int(index.max()) + 1
    n_t = max(times) if times else 1
    labels = np.zeros((int(ds.Columns), int(ds.Rows), n_z, n_t), dtype=np.uint8)
    for order in (1, 2, 3):  # LV last: it wins where segments overlap
        for f, (segment, _, t) in enumerate(frames):
            if seg_labels.get(segment) == order:
                plane = labels[:, :, index[f], (t or 1) - 1]
                plane[pixels[f].T.astype(bool)] = order
    first = int(np.argmin(dist))
    last = int(np.argmax(dist))
    aff = np.eye(4)
    aff[:3, 0] = iop[:3] * spacing[1]
    aff[:3, 1] = iop[3:] * spacing[0]
    aff[:3, 2] = (frames[last][1] - frames[first][1]) / max(index[last] - index[first], 1) if n_z > 1 else normal * step
    aff[:3, 3] = frames[first][1]
    present = [t - 1 for t in times] if times else [0]
    return (labels if times else labels[..., 0]), lps_to_ras(aff), present
