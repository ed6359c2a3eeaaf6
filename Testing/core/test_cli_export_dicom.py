"""`cinema export-dicom` on saved result folders (hand edits, moved or missing sources, NIfTI results) and
`cinema measure` reading a DICOM SEG back."""

from __future__ import annotations

import csv
import shutil
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from dicom_export_helpers import measured, phantom_dicom

from CineMALib.report.outputs import write_study_outputs
from CineMALib.cli import main
from CineMALib.exchange.from_analysis import record_and_export

FRAMES = (0, 3)


@pytest.fixture()
def result(tmp_path: Path):
    """A study result folder as `cinema analyse` leaves it for a DICOM study (no --dicom yet)."""
    phantom, study = phantom_dicom(tmp_path / "source")
    results, report = measured(phantom, study, FRAMES)
    folder = tmp_path / "out" / "study1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_study_outputs(results, report, study, folder)
    record_and_export(study, results, report, folder, None, dicom=False)
    return phantom, study, report, folder


def _sr_value(path: Path, code: str) -> float:
    import highdicom as hd

    sr = hd.sr.srread(str(path))
    for group in sr.content.get_volumetric_roi_measurement_groups():
        for m in group.get_measurements():
            if m.name.value == code:
                return float(m.value)
    raise AssertionError(f"{code} not in the SR")


def test_export_dicom_from_a_cohort_folder(result, capsys) -> None:
    _, _, report, folder = result
    assert main(["export-dicom", str(folder.parent)]) == 0
    assert {"seg_sax.dcm", "seg_lax_4c.dcm", "sr.dcm"} <= {p.name for p in folder.iterdir()}
    seg = pydicom.dcmread(str(folder / "seg_sax.dcm"))
    assert {s.SegmentAlgorithmType for s in seg.SegmentSequence} == {"AUTOMATIC"}
    assert _sr_value(folder / "sr.dcm", "8821-1") == pytest.approx(report.value("LVEDV"), abs=0.01)


def test_hand_edited_labels_are_semiautomatic_and_remeasured(result) -> None:
    _, _, report, folder = result
    path = folder / "segmentation_sax.nii.gz"
    img = nib.load(str(path))
    labels = np.asarray(img.dataobj).copy()
    ed = labels[..., FRAMES[0]]
    ed[ed == 2] = 3  # the user painted the myocardium into the LV blood pool at ED
    nib.save(nib.Nifti1Image(labels, img.affine, img.header), str(path))
    assert main(["export-dicom", str(folder)]) == 0
    seg = pydicom.dcmread(str(folder / "seg_sax.dcm"))
    assert {s.SegmentAlgorithmType for s in seg.SegmentSequence} == {"SEMIAUTOMATIC"}
    edv = _sr_value(folder / "sr.dcm", "8821-1")
    assert edv > report.value("LVEDV") + 20  # the myocardium's volume moved into the LV
    assert _sr_value(folder / "sr.dcm", "8823-7") == pytest.approx(report.value("LVESV"), abs=0.01)


def test_a_moved_source_is_one_line_and_found_again_with_source(result, tmp_path: Path, capsys) -> None:
    _, _, _, folder = result
    moved = tmp_path / "moved"
    shutil.move(str(tmp_path / "source"), str(moved))
    assert main(["export-dicom", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert "source DICOM image not found" in err and "--source" in err and len(err.splitlines()) == 1
    assert not (folder / "sr.dcm").exists()
    assert main(["export-dicom", str(folder), "--source", str(moved)]) == 0
    assert (folder / "sr.dcm").is_file()


def test_a_nifti_result_folder_is_one_line(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "nifti_result" / "s1"
    folder.mkdir(parents=True)
    (folder / "measurements.csv").write_text("study,measure,value,unit,method,phase,frame,citation,flag\n")
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 2, 2), np.uint8), np.eye(4)), str(folder / "segmentation_sax.nii.gz"))
    assert main(["export-dicom", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert "DICOM export needs the DICOM source" in err and len(err.splitlines()) == 1


def test_measure_reads_a_dicom_seg_back(result, tmp_path: Path) -> None:
    _, _, report, folder = result
    assert main(["export-dicom", str(folder)]) == 0
    out = tmp_path / "m"
    assert main(["measure", "--labels", str(folder / "seg_sax.dcm"), "--out", str(out)]) == 0
    with open(out / "report.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    for key in ("LVEDV", "LVESV", "LVM", "RVEDV", "RVESV"):
        assert float(row[report.get(key).column]) == pytest.approx(report.value(key), abs=0.01), key
    assert (int(row["ED frame"]), int(row["ES frame"])) == FRAMES
