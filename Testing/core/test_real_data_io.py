"""Readers on the team's real data (skipped with a reason when ../shared is absent): ACDC NIfTI (spacing trap),
the Sunnybrook GE cine DICOM (slice and phase order) and the eight CineMA example frames."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from conftest import shared_path

from CineMALib.io import read_study, read_view
from CineMALib.study import affine_from_itk

ACDC_CASES = ("patient001", "patient023", "patient044", "patient062", "patient084", "patient090")


def quiet_read_view(path: Path):  # noqa: ANN201 - a CineView
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_view(path)


@pytest.mark.parametrize("case", ACDC_CASES)
def test_acdc_spacing_from_pixdim_matches_simpleitk(case: str) -> None:
    folder = shared_path("data", "acdc-subset", case)
    frame = sorted(p for p in folder.glob(f"{case}_frame*.nii.gz") if "_gt" not in p.name)[0]
    with pytest.warns(UserWarning, match="pixdim"):  # the trap must be noticed, not silently accepted
        view = read_view(frame)
    zooms = np.asarray(nib.load(str(frame)).header.get_zooms()[:3], dtype=float)
    np.testing.assert_allclose(view.spacing, zooms, rtol=1e-5)
    assert not np.allclose(view.spacing, 1.0)  # nibabel's .affine would say 1 mm
    itk = sitk.ReadImage(str(frame))
    np.testing.assert_allclose(view.spacing, itk.GetSpacing(), rtol=1e-5)
    itk_affine = affine_from_itk(itk.GetSpacing(), itk.GetOrigin(), np.array(itk.GetDirection()))
    np.testing.assert_allclose(view.affine, itk_affine, atol=1e-4)
    np.testing.assert_array_equal(view.data[..., 0], sitk.GetArrayFromImage(itk).transpose(2, 1, 0))


def test_acdc_patient090_cine_and_info_cfg() -> None:
    folder = shared_path("data", "acdc-subset", "patient090")
    view = quiet_read_view(folder / "patient090_4d.nii.gz")
    assert view.n_frames == 12 and view.name == "sax"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = read_study(folder)
    assert study["sax"].n_frames == 12
    cfg = dict(line.split(": ") for line in (folder / "Info.cfg").read_text().splitlines() if ": " in line)
    assert study.metadata.height_cm == float(cfg["Height"]) and study.metadata.weight_kg == float(cfg["Weight"])
    ed = int(cfg["ED"]) - 1  # Info.cfg is 1-based: the ED frame file must equal that frame of the 4-D cine
    ed_frame = quiet_read_view(folder / f"patient090_frame{ed + 1:02d}.nii.gz")
    np.testing.assert_array_equal(study["sax"].data[..., ed], ed_frame.data[..., 0])


def _sunnybrook() -> tuple[Path, object]:
    folder = shared_path("data", "sunnybrook-SCD0000101", "dicom")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return folder, read_study(folder)


def test_sunnybrook_order_geometry_and_metadata() -> None:
    folder, study = _sunnybrook()
    view = study["sax"]
    assert list(study.views) == ["sax"]
    assert view.data.shape == (256, 256, 12, 20)
    np.testing.assert_allclose(view.spacing[:2], 1.367188, atol=1e-5)
    assert 8.0 <= view.spacing[2] <= 10.0
    normal = np.cross(view.affine[:3, 0], view.affine[:3, 1])
    centres = np.array([view.affine @ [0, 0, k, 1] for k in range(12)])[:, :3]
    assert np.all(np.diff(centres @ normal) > 0)  # slices ascend along the normal
    assert np.all(np.diff(view.trigger_times_ms) > 0)
    assert study.metadata.patient_id == "SCD0000101" and study.metadata.height_cm is None
    assert 50 < study.metadata.heart_rate_bpm < 100


def test_sunnybrook_slice_and_phase_follow_the_instance_number_rule() -> None:
    """README: phase = (InstanceNumber - 1) mod 20, slice = (InstanceNumber - 1) // 20. Our z ascends along the
    normal, so it must be that slice order or its exact reverse; we check the pixels of sampled files."""
    folder, study = _sunnybrook()
    view = study["sax"]
    first = pydicom.dcmread(str(folder / "1.dcm"), stop_before_pixels=True)
    second = pydicom.dcmread(str(folder / "21.dcm"), stop_before_pixels=True)
    iop = np.array(first.ImageOrientationPatient, dtype=float)
    n = np.cross(iop[:3], iop[3:])
    ascending = float(np.dot(second.ImagePositionPatient, n)) > float(np.dot(first.ImagePositionPatient, n))
    for number in (1, 7, 20, 21, 118, 133, 221, 240):
        ds = pydicom.dcmread(str(folder / f"{number}.dcm"))
        phase, slice_ = (number - 1) % 20, (number - 1) // 20
        k = slice_ if ascending else 11 - slice_
        np.testing.assert_array_equal(view.data[:, :, k, phase], ds.pixel_array.T.astype(np.float32))
        pos = view.affine @ [0, 0, k, 1]
        ipp_ras = np.array(ds.ImagePositionPatient, dtype=float) * [-1, -1, 1]
        np.testing.assert_allclose(pos[:3], ipp_ras, atol=0.05)


@pytest.mark.parametrize(("name", "shape", "view"), [
    ("acdc_sax_ed", (192, 192, 10), "sax"), ("acdc_sax_es", (192, 192, 10), "sax"),
    ("mnms_sax_ed", (192, 192, 14), "sax"), ("mnms_sax_es", (192, 192, 14), "sax"),
    ("mnms2_sax_ed", (192, 192, 12), "sax"), ("mnms2_sax_es", (192, 192, 12), "sax"),
    ("mnms2_lax_4c_ed", (256, 256, 1), "lax_4c"), ("mnms2_lax_4c_es", (256, 256, 1), "lax_4c"),
])
def test_cinema_examples(name: str, shape: tuple[int, int, int], view: str) -> None:
    path = shared_path("data", "cinema-examples", f"{name}.nii.gz")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = read_view(path)
    assert got.name == view and got.shape == shape and got.n_frames == 1
    assert not caught, [str(w.message) for w in caught]  # consistent headers: nothing to warn about
    np.testing.assert_allclose(got.affine, nib.load(str(path)).affine, atol=1e-4)
    expected_z = 10.0 if view == "sax" else None
    if expected_z:
        assert got.spacing[2] == pytest.approx(expected_z, rel=1e-4)
    assert re.fullmatch(r"[A-Z]{3}", "".join(nib.aff2axcodes(got.affine)))
