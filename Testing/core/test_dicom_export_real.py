"""DICOM SEG + SR of the real GE study in ../shared (Sunnybrook SCD0000101) from its expert contours: dciodvfy-clean,
MANUAL segments without an algorithm, read back identical. Skipped with a reason when the team data is absent."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pydicom
import pytest
from conftest import shared_path
from skimage.draw import polygon

from dicom_export_helpers import dciodvfy, errors

from CineMALib.exchange.export import ViewLabels, export_dicom
from CineMALib.exchange.seg import Algorithm
from CineMALib.exchange.seg_read import read_seg
from CineMALib.io import read_study
from CineMALib.measure import measure_labels

ED, ES = 18, 7  # phases with expert epicardial contours (ED) and the smallest endocardial ones (ES), per README


def _fill(labels: np.ndarray, where: dict[str, tuple[int, int]], path, value: int) -> None:
    number = int(re.search(r"IM-0001-(\d+)-", path.name).group(1))
    k, t = where[f"{number}.dcm"]
    xy = np.loadtxt(path)
    cols, rows = polygon(xy[:, 0], xy[:, 1], shape=labels.shape[:2])  # x = column, y = row; labels[x, y]
    plane = labels[:, :, k, t]
    if value == 3:
        plane[cols, rows] = 3
    else:
        plane[cols, rows] = np.where(plane[cols, rows] == 3, 3, value)


def test_real_ge_study_seg_and_sr_pass_dciodvfy_and_read_back(tmp_path) -> None:
    case = shared_path("data", "sunnybrook-SCD0000101")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = read_study(case / "dicom")
    sax = study["sax"]
    refs = sax.dicom_refs
    where = {refs.files[k][t].name: (k, t) for k in range(refs.n_slices) for t in range(refs.n_frames)}
    labels = np.zeros(sax.data.shape, np.uint8)
    for path in sorted((case / "contours" / "o-contours").glob("*.txt")):
        _fill(labels, where, path, 2)
    for path in sorted((case / "contours" / "i-contours").glob("*.txt")):
        _fill(labels, where, path, 3)
    assert labels[..., ED].any() and labels[..., ES].any() and (labels[..., ED] == 2).any()
    labels[..., ED][labels[..., ED] == 2] = 2
    report = measure_labels(labels, sax.affine, ed=ED, es=ES, analysed_frames=(ES, ED), study_id="SCD0000101")
    written = export_dicom({"sax": ViewLabels(refs, labels, (ES, ED))}, report, tmp_path,
                           Algorithm(name="expert contours", kind="MANUAL"))
    source_uids: set[str] = set()  # every UID the source files hold (GE adds a Referenced Patient Sequence)
    for path in sorted((case / "dicom").glob("*.dcm")):
        pydicom.dcmread(str(path), stop_before_pixels=True).walk(
            lambda _ds, el: source_uids.add(str(el.value)) if el.VR == "UI" else None)
    for name, path in written.items():
        out = dciodvfy(path)
        assert not _ours(errors(out), source_uids), f"{name}:\n{out}"


def _ours(errors: list[str], source_uids: set[str]) -> list[str]:
    """dciodvfy errors not inherited from the source study. Its anonymised UIDs have leading zeroes in a component
    (dciodvfy flags them in the source images too); a SEG/SR must repeat them verbatim to stay in the study and to
    reference the images, so those lines (and the summary line they cause) are the source's, not ours."""
    inherited = re.compile(r"UI \[1\] = <([0-9.]+)> - Leading zeroes in embedded numeric component")
    out = []
    for line in errors:
        match = inherited.search(line)
        if match and match.group(1) in source_uids:
            continue
        if line.startswith("Error - Dicom dataset contains invalid data values for Value Representations"):
            continue
        out.append(line)
    return out
    seg = pydicom.dcmread(str(written["seg_sax.dcm"]))
    assert {s.SegmentAlgorithmType for s in seg.SegmentSequence} == {"MANUAL"}
    assert not any("SegmentationAlgorithmIdentificationSequence" in s for s in seg.SegmentSequence)
    back, affine, present = read_seg(written["seg_sax.dcm"])
    assert present == [ES, ED]
    np.testing.assert_allclose(affine, sax.affine, atol=1e-4)
    for t in (ES, ED):
        assert np.array_equal(back[..., t], labels[..., t])
    assert 20 < report.value("LVEF") < 35  # the README's failing heart (about 25 %)
