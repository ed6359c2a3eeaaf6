"""``cinema info``: text and --json output agree with the readers, the LV centre is reported consistently."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from conftest import shared_path

sys.path.insert(0, str(Path(__file__).parent))
from dicom_factory import SeriesSpec, plane_with_normal, write_series  # noqa: E402

from CineMALib.cli import main
from CineMALib.io import read_study


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["info", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def beating_disk(path: Path, centre_vox: tuple[float, float] = (40.0, 26.0)) -> Path:
    """A 64x64x4 cine: a bright disk (the 'LV') whose radius changes over 6 frames, on an oblique affine."""
    ii, jj = np.indices((64, 64), dtype=float)
    r = np.hypot(ii - centre_vox[0], jj - centre_vox[1]) * 1.5
    frames = []
    for t in range(6):
        radius = 22.0 - 6.0 * np.sin(np.pi * t / 5)
        img = 40.0 + 160.0 * (r < radius) + 20.0 * ((r >= radius + 5) & (r < radius + 14))
        frames.append(np.repeat(img[:, :, None], 4, axis=2))
    q, _ = np.linalg.qr(np.array([[0.9, 0.2, 0.1], [-0.2, 0.95, 0.3], [0.0, -0.3, 1.0]]))
    aff = np.eye(4)
    aff[:3, :3] = q @ np.diag([1.5, 1.5, 8.0])
    aff[:3, 3] = [30.0, -50.0, 12.0]
    nib.save(nib.Nifti1Image(np.stack(frames, axis=3).astype(np.float32), aff), str(path))
    return path


def test_json_matches_reader_for_dicom_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sax = SeriesSpec(patient={"PatientSize": "1.8", "PatientWeight": "81"})
    write_series(tmp_path, sax)
    write_series(tmp_path, SeriesSpec(n_slices=1, rows=14, cols=16, description="4CH",
                                      rot=plane_with_normal(np.array([0.1, 0.2, 1.0])), series_number=8))
    info = run_json(capsys, str(tmp_path), "--no-locate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = read_study(tmp_path)
    assert set(info["views"]) == {"sax", "lax_4c"}
    for name, entry in info["views"].items():
        view = study[name]
        assert entry["shape"] == list(view.shape) and entry["n_frames"] == view.n_frames
        np.testing.assert_allclose(entry["spacing_mm"], view.spacing, atol=1e-5)
        np.testing.assert_allclose(entry["affine"], view.affine, atol=1e-5)
        assert entry["orientation"] == "".join(nib.aff2axcodes(view.affine))
        assert entry["lv_center_voxel"] is None and entry["lv_center_confidence"] is None
    assert info["metadata"]["height_cm"] == 180.0 and info["metadata"]["weight_kg"] == 81.0
    assert info["study_id"] == "SYNTH001" and info["lv_center_confidence"] is None


def test_lv_centre_fields_are_consistent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = beating_disk(tmp_path / "disk_sax.nii.gz")
    info = run_json(capsys, str(path))
    entry = info["views"]["sax"]
    ijk = np.array(entry["lv_center_voxel"])
    aff = np.array(entry["affine"])
    np.testing.assert_allclose(aff[:3, :3] @ ijk + aff[:3, 3], entry["lv_center_world"], atol=1e-3)
    assert np.hypot(ijk[0] - 40.0, ijk[1] - 26.0) * 1.5 < 6.0  # within 6 mm of the disk centre
    assert 0.0 <= entry["lv_center_confidence"] <= 1.0
    assert info["lv_center_confidence"] == entry["lv_center_confidence"]
    assert isinstance(entry["lv_center_method"], str) and entry["lv_center_method"]


def test_text_output_and_view_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = beating_disk(tmp_path / "anything.nii.gz")
    assert main(["info", "--view", f"sax={path}", "--no-locate"]) == 0
    out = capsys.readouterr()
    assert "sax" in out.out and "matrix 64 x 64 x 4, 6 frames" in out.out and "1.5 x 1.5 x 8 mm" in out.out
    assert "Traceback" not in out.err


def test_bad_view_argument_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--view", "sax"]) == 2
    assert "VIEW=PATH" in capsys.readouterr().err
    assert main(["info", "--view", f"apex={tmp_path}"]) == 2
    assert "unknown view name 'apex'" in capsys.readouterr().err


def test_acdc_lv_centre_inside_labelled_lv(capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_path("data", "acdc-subset", "patient001")
    info = run_json(capsys, str(folder / "patient001_frame01.nii.gz"))
    entry = info["views"]["sax"]
    gt = np.asarray(nib.load(str(folder / "patient001_frame01_gt.nii.gz")).dataobj)
    ijk = tuple(int(round(c)) for c in entry["lv_center_voxel"])
    assert gt[ijk] == 3, f"LV centre {ijk} is on label {gt[ijk]}, not the LV blood pool"
    np.testing.assert_allclose(entry["spacing_mm"], nib.load(str(folder / "patient001_frame01.nii.gz"))
                               .header.get_zooms()[:3], rtol=1e-5)
    assert any("pixdim" in w for w in info["warnings"])
    assert info["metadata"]["height_cm"] == 184.0
