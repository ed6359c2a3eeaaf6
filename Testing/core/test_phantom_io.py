"""Phantom writers: NIfTI/DICOM headers and geometry, JSON truth, atomic writes, and read-back through CineMALib.io.

Seed 3 has non-square SAX pixels on a non-square matrix, so a swapped row/column convention cannot pass unseen.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.uid import MRImageStorage

from CineMALib.labels import LV
from CineMALib.phantom import Phantom, generate_phantom, write_phantom
from CineMALib.study import spacing_from_affine, voxel_to_world

N_FRAMES = 5
VIEWS = ("sax", "lax_2c", "lax_3c", "lax_4c")


@pytest.fixture(scope="module")
def phantom() -> Phantom:
    p = generate_phantom(3, "normal", N_FRAMES)
    assert p.study["sax"].spacing[0] != pytest.approx(p.study["sax"].spacing[1], rel=1e-3)
    assert p.study["sax"].shape[0] != p.study["sax"].shape[1]
    return p


@pytest.fixture(scope="module")
def nifti_dir(phantom: Phantom, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("phantom_nifti")
    write_phantom(phantom, out, "nifti")
    return out


@pytest.fixture(scope="module")
def dicom_dir(phantom: Phantom, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("phantom_dicom")
    write_phantom(phantom, out, "dicom")
    return out


def _read_study():
    io = pytest.importorskip("CineMALib.io", reason="CineMALib.io (the reader) is not available")
    if not hasattr(io, "read_study"):
        pytest.skip("CineMALib.io.read_study is not available yet")
    return io.read_study


def test_nifti_images_labels_and_headers(phantom: Phantom, nifti_dir: Path) -> None:
    rr = 60000.0 / phantom.study.metadata.heart_rate_bpm
    for view in VIEWS:
        img = nib.load(str(nifti_dir / f"{view}.nii.gz"))
        np.testing.assert_array_equal(np.asarray(img.dataobj), phantom.study[view].data)
        np.testing.assert_allclose(img.affine, phantom.study[view].affine, atol=1e-4)
        assert int(img.header["sform_code"]) > 0 and int(img.header["qform_code"]) > 0
        assert img.header.get_xyzt_units() == ("mm", "msec")
        assert float(img.header["pixdim"][4]) == pytest.approx(rr / N_FRAMES, rel=1e-5)
        lab = nib.load(str(nifti_dir / "labels" / f"{view}_gt.nii.gz"))
        assert lab.get_data_dtype() == np.uint8
        np.testing.assert_array_equal(np.asarray(lab.dataobj), phantom.labels[view])


def test_truth_json_matches_a_recount_of_the_written_sax_labels(nifti_dir: Path) -> None:
    truth = json.loads((nifti_dir / "truth.json").read_text())
    lab = nib.load(str(nifti_dir / "labels" / "sax_gt.nii.gz"))
    labels = np.asarray(lab.dataobj)
    voxel_ml = float(np.prod(spacing_from_affine(lab.affine))) / 1000.0
    lv = (labels == LV).sum(axis=(0, 1, 2)) * voxel_ml
    disc = truth["discretised"]
    assert disc["ED frame"] == int(np.argmax(lv)) and disc["ES frame"] == int(np.argmin(lv))
    assert disc["LVEDV (mL)"] == pytest.approx(lv.max(), abs=0.01)
    assert disc["LVESV (mL)"] == pytest.approx(lv.min(), abs=0.01)
    assert "argmax" in truth["conventions"]["ED/ES"] and truth["seed"] == 3 and truth["pathology"] == "normal"


def test_landmarks_json_world_and_voxel_coordinates_agree(phantom: Phantom, nifti_dir: Path) -> None:
    payload = json.loads((nifti_dir / "landmarks.json").read_text())
    assert payload["n_frames"] == N_FRAMES and "RAS" in payload["coordinate_system"]
    for view, points in phantom.landmarks_world.items():
        for name, track in points.items():
            entry = payload["views"][view][name]
            np.testing.assert_allclose(entry["world_ras_mm"], track, atol=1e-9)
            np.testing.assert_allclose(voxel_to_world(phantom.study[view].affine, np.array(entry["voxel_ijk"])),
                                       track, atol=1e-6)


def test_readme_and_info_cfg_say_what_this_is(nifti_dir: Path, phantom: Phantom) -> None:
    readme = (nifti_dir / "README.txt").read_text()
    assert "synthetic" in readme.lower() and "seed 3" in readme and "normal" in readme
    cfg = dict(line.split(": ", 1) for line in (nifti_dir / "Info.cfg").read_text().splitlines())
    assert int(cfg["ED"]) == phantom.truth["discretised"]["ED frame"] + 1 and cfg["Group"] == "NOR"
    assert float(cfg["Height"]) == phantom.study.metadata.height_cm


def test_no_temporary_files_are_left_behind(nifti_dir: Path, dicom_dir: Path) -> None:
    for root in (nifti_dir, dicom_dir):
        assert not [p for p in root.rglob("*") if p.name.startswith(".") or ".tmp" in p.name]


def _dicom_files(dicom_dir: Path, view: str) -> list[Path]:
    return sorted((dicom_dir / "dicom" / view).glob("*.dcm"))


def test_dicom_headers_follow_the_standard_geometry(phantom: Phantom, dicom_dir: Path) -> None:
    rr = 60000.0 / phantom.study.metadata.heart_rate_bpm
    study_uids, frame_uids, series_uids, sop_uids = set(), set(), {}, set()
    for view in VIEWS:
        cine = phantom.study[view]
        files = _dicom_files(dicom_dir, view)
        assert len(files) == cine.shape[2] * N_FRAMES
        for path in files:
            ds = pydicom.dcmread(path)
            assert ds.file_meta.MediaStorageSOPClassUID == MRImageStorage == ds.SOPClassUID
            assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
            study_uids.add(ds.StudyInstanceUID)
            frame_uids.add(ds.FrameOfReferenceUID)
            series_uids.setdefault(view, set()).add(ds.SeriesInstanceUID)
            sop_uids.add(ds.SOPInstanceUID)
            k, t = int(path.stem.split("_s")[1][:2]), int(path.stem.split("_t")[1])
            lps = np.array([-1.0, -1.0, 1.0])
            np.testing.assert_allclose(np.array(ds.ImagePositionPatient, float),
                                       voxel_to_world(cine.affine, np.array([0.0, 0.0, k])) * lps, atol=1e-3)
            iop = np.array(ds.ImageOrientationPatient, float)
            np.testing.assert_allclose(iop[:3], cine.affine[:3, 0] / cine.spacing[0] * lps, atol=1e-6)
            np.testing.assert_allclose(iop[3:], cine.affine[:3, 1] / cine.spacing[1] * lps, atol=1e-6)
            np.testing.assert_allclose([float(v) for v in ds.PixelSpacing], [cine.spacing[1], cine.spacing[0]],
                                       rtol=1e-6)
            assert float(ds.SliceThickness) == 8.0 and float(ds.TriggerTime) == pytest.approx(t * rr / N_FRAMES,
                                                                                                abs=0.01)
            assert (ds.Rows, ds.Columns) == (cine.shape[1], cine.shape[0])
            np.testing.assert_array_equal(ds.pixel_array.T, cine.data[:, :, k, t])
        assert ds.SeriesDescription.startswith("CINE")
    assert float(pydicom.dcmread(_dicom_files(dicom_dir, "sax")[0]).SpacingBetweenSlices) == 10.0
    assert len(study_uids) == 1 and len(frame_uids) == 1
    assert all(len(uids) == 1 for uids in series_uids.values()) and len(set().union(*series_uids.values())) == 4
    assert len(sop_uids) == sum(phantom.study[v].shape[2] for v in VIEWS) * N_FRAMES  # no duplicate instances
    ds = pydicom.dcmread(_dicom_files(dicom_dir, "lax_4c")[0])
    meta = phantom.study.metadata
    assert float(ds.PatientSize) == pytest.approx(meta.height_cm / 100.0, abs=1e-3)
    assert float(ds.PatientWeight) == pytest.approx(meta.weight_kg) and ds.PatientSex == meta.sex
    assert int(ds.HeartRate) == round(meta.heart_rate_bpm)


def test_rewriting_with_fewer_frames_leaves_no_stale_dicom_files(tmp_path: Path) -> None:
    write_phantom(generate_phantom(4, "normal", 5), tmp_path, "dicom")
    smaller = generate_phantom(4, "normal", 4)
    write_phantom(smaller, tmp_path, "dicom")
    assert len(_dicom_files(tmp_path, "lax_2c")) == 4
    assert len(_dicom_files(tmp_path, "sax")) == smaller.study["sax"].shape[2] * 4


@pytest.mark.filterwarnings("ignore:.*skipping .* label file")  # labels/*_gt.nii.gz are skipped by design
@pytest.mark.parametrize("fmt", ["nifti", "dicom"])
def test_round_trip_through_the_study_reader(phantom: Phantom, nifti_dir: Path, dicom_dir: Path, fmt: str) -> None:
    read_study = _read_study()
    study = read_study(nifti_dir if fmt == "nifti" else dicom_dir / "dicom")
    assert set(study.views) == set(VIEWS)
    for view in VIEWS:
        ours, back = phantom.study[view], study[view]
        assert back.data.shape == ours.data.shape, view
        np.testing.assert_allclose(back.data, ours.data, atol=0.5, err_msg=view)  # uint16/int16 quantisation
        np.testing.assert_allclose(back.affine, ours.affine, atol=1e-3, err_msg=view)
        np.testing.assert_allclose(back.trigger_times_ms, ours.trigger_times_ms, atol=0.01, err_msg=view)
    meta = phantom.study.metadata
    assert study.metadata.height_cm == pytest.approx(meta.height_cm, abs=0.1)
    assert study.metadata.weight_kg == pytest.approx(meta.weight_kg, abs=0.1)
    if fmt == "dicom":
        assert study.metadata.sex == meta.sex
