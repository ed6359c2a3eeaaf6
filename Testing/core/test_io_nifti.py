"""NIfTI reading: geometry (incl. the ACDC pixdim trap), time step, folders of frames, view from file names."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from CineMALib.io import read_study, read_view


def oblique_affine(spacing: tuple[float, float, float] = (1.3, 0.9, 7.5)) -> np.ndarray:
    q, _ = np.linalg.qr(np.array([[0.8, -0.3, 0.2], [0.4, 0.9, -0.1], [-0.2, 0.3, 1.0]]))
    aff = np.eye(4)
    aff[:3, :3] = q @ np.diag(spacing)
    aff[:3, 3] = [12.5, -40.0, 33.0]
    return aff


def ramp(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


def save(path: Path, data: np.ndarray, affine: np.ndarray, **header: object) -> Path:
    img = nib.Nifti1Image(data, affine)
    for key, value in header.items():
        img.header[key] = value
    nib.save(img, str(path))
    return path


def test_4d_cine_affine_and_time_step(tmp_path: Path) -> None:
    aff, data = oblique_affine(), ramp((6, 5, 4, 7))
    img = nib.Nifti1Image(data, aff)
    img.header.set_xyzt_units("mm", "msec")
    img.header.set_zooms((1.3, 0.9, 7.5, 35.0))
    nib.save(img, str(tmp_path / "case_sax.nii.gz"))
    view = read_view(tmp_path / "case_sax.nii.gz")
    assert view.name == "sax"
    np.testing.assert_array_equal(view.data, data)
    np.testing.assert_allclose(view.affine, aff, atol=1e-4)
    np.testing.assert_allclose(view.trigger_times_ms, 35.0 * np.arange(7))


def test_time_step_in_seconds_and_placeholder(tmp_path: Path) -> None:
    img = nib.Nifti1Image(ramp((4, 4, 3, 5)), oblique_affine())
    img.header.set_xyzt_units("mm", "sec")
    img.header.set_zooms((1.3, 0.9, 7.5, 0.05))
    nib.save(img, str(tmp_path / "a_sax.nii"))
    np.testing.assert_allclose(read_view(tmp_path / "a_sax.nii").trigger_times_ms, 50.0 * np.arange(5), atol=1e-3)
    img.header.set_xyzt_units("mm", "unknown")
    img.header.set_zooms((1.3, 0.9, 7.5, 1.0))  # ACDC's placeholder: not a time
    nib.save(img, str(tmp_path / "b_sax.nii"))
    assert read_view(tmp_path / "b_sax.nii").trigger_times_ms is None


def test_acdc_trap_unit_sform_uses_pixdim(tmp_path: Path) -> None:
    """sform diag(-1, -1, 1), qform_code 0, real spacing only in pixdim (as in the ACDC files)."""
    img = nib.Nifti1Image(ramp((8, 9, 5)), np.diag([-1.0, -1.0, 1.0, 1.0]))
    img.header.set_zooms((1.5625, 1.5625, 10.0))
    img.set_sform(np.diag([-1.0, -1.0, 1.0, 1.0]), code=2)
    img.header["qform_code"] = 0
    nib.save(img, str(tmp_path / "patient_frame01.nii.gz"))
    assert np.allclose(nib.load(str(tmp_path / "patient_frame01.nii.gz")).affine[:3, :3], np.diag([-1, -1, 1]))
    with pytest.warns(UserWarning, match="pixdim"):
        view = read_view(tmp_path / "patient_frame01.nii.gz")
    np.testing.assert_allclose(view.affine[:3, :3], np.diag([-1.5625, -1.5625, 10.0]), atol=1e-6)


def test_no_orientation_codes_warns_and_uses_pixdim(tmp_path: Path) -> None:
    img = nib.Nifti1Image(ramp((8, 9, 5)), None)
    img.header.set_zooms((2.0, 2.0, 8.0))
    img.header["sform_code"] = img.header["qform_code"] = 0
    nib.save(img, str(tmp_path / "x_sax.nii"))
    with pytest.warns(UserWarning, match="no orientation"):
        view = read_view(tmp_path / "x_sax.nii")
    np.testing.assert_allclose(view.spacing, [2.0, 2.0, 8.0])


def test_folder_of_frames_in_natural_order(tmp_path: Path) -> None:
    aff = oblique_affine()
    for t in (1, 2, 10, 11):  # lexical order would put frame10 before frame2
        save(tmp_path / f"case_frame{t}.nii.gz", np.full((5, 4, 3), float(t)) + ramp((5, 4, 3)) / 100, aff)
    save(tmp_path / "case_frame01_gt.nii.gz", np.ones((5, 4, 3), np.uint8), aff)  # a label file: skipped
    with pytest.warns(UserWarning, match="label file"):
        view = read_view(tmp_path)
    assert view.n_frames == 4
    np.testing.assert_allclose(np.floor(view.data[0, 0, 0]), [1, 2, 10, 11])


def test_folder_of_frames_with_different_grids_is_refused(tmp_path: Path) -> None:
    save(tmp_path / "f1.nii.gz", ramp((5, 4, 3)), oblique_affine())
    save(tmp_path / "f2.nii.gz", ramp((5, 4, 2)), oblique_affine())
    from CineMALib.errors import CineMAInputError
    with pytest.raises(CineMAInputError, match="differ in shape"):
        read_study(tmp_path)


@pytest.mark.parametrize(("name", "view"), [
    ("case_sax.nii.gz", "sax"), ("case_SA.nii.gz", "sax"), ("p01_2ch.nii.gz", "lax_2c"),
    ("p01_lax_2c.nii.gz", "lax_2c"), ("p01_3CH.nii", "lax_3c"), ("lvot_cine.nii.gz", "lax_3c"),
    ("p01_4ch.nii.gz", "lax_4c"), ("mnms2_lax_4c_ed.nii.gz", "lax_4c"), ("HLA.nii.gz", "lax_4c"),
])
def test_view_from_file_name(tmp_path: Path, name: str, view: str) -> None:
    shape = (6, 5, 4) if view == "sax" else (6, 5, 1)
    save(tmp_path / name, ramp(shape), oblique_affine())
    study = read_study(tmp_path / name)
    assert list(study.views) == [view]


def test_unnamed_single_slice_defaults_to_lax_4c_with_warning(tmp_path: Path) -> None:
    save(tmp_path / "image.nii.gz", ramp((6, 5)), oblique_affine())
    with pytest.warns(UserWarning, match="single-slice"):
        view = read_view(tmp_path / "image.nii.gz")
    assert view.name == "lax_4c" and view.data.shape == (6, 5, 1, 1)


def test_mapping_and_info_cfg(tmp_path: Path) -> None:
    save(tmp_path / "a.nii.gz", ramp((6, 5, 4)), oblique_affine())
    save(tmp_path / "b.nii.gz", ramp((6, 5, 1)), oblique_affine())
    (tmp_path / "Info.cfg").write_text("ED: 1\nES: 9\nGroup: NOR\nHeight: 171.5\nNbFrame: 20\nWeight: 64.0\n")
    study = read_study({"lax_2c": tmp_path / "b.nii.gz", "sax": tmp_path / "a.nii.gz"}, study_id="mine")
    assert list(study.views) == ["sax", "lax_2c"] and study.study_id == "mine"
    assert (study.metadata.height_cm, study.metadata.weight_kg) == (171.5, 64.0)
    assert study.metadata.extra["es_frame"] == "9"
