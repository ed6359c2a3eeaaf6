"""Label file reading (io/labels.py on the one volume reader): the ACDC sform trap (unit affine, real spacing in
pixdim), an NRRD written by SimpleITK, bad files."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from CineMALib.errors import CineMAInputError
from CineMALib.io.labels import read_label_file


def acdc_like(path, data, zooms=(1.5625, 1.5625, 10.0)):
    """Mimic ACDC: sform code 2 with diag(-1, -1, 1) unit scaling, qform code 0, real spacing only in pixdim."""
    img = nib.Nifti1Image(data, np.diag([-1.0, -1.0, 1.0, 1.0]))
    img.header.set_zooms(zooms[: data.ndim])
    img.set_sform(np.diag([-1.0, -1.0, 1.0, 1.0]), code=2)
    img.set_qform(None, code=0)
    nib.save(img, str(path))
    return path


def test_acdc_trap_uses_pixdim_and_warns(tmp_path):
    data = np.random.default_rng(0).integers(0, 4, (16, 12, 5)).astype(np.uint8)
    path = acdc_like(tmp_path / "gt.nii.gz", data)
    assert np.allclose(np.linalg.norm(nib.load(str(path)).affine[:3, :3], axis=0), 1.0)  # the trap is real
    with pytest.warns(UserWarning, match="pixdim"):
        labels, affine = read_label_file(path)
    assert np.array_equal(labels, data)
    assert np.allclose(np.linalg.norm(affine[:3, :3], axis=0), [1.5625, 1.5625, 10.0])
    assert np.allclose(np.sign(np.diag(affine)[:3]), [-1, -1, 1])  # directions kept


def test_consistent_nifti_gives_no_warning(tmp_path, recwarn):
    aff = np.diag([1.2, 1.3, 8.0, 1.0])
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 3, 2), np.uint8), aff), str(tmp_path / "ok.nii"))
    labels, affine = read_label_file(tmp_path / "ok.nii")
    assert labels.shape == (4, 4, 3, 2) and np.allclose(affine, aff)
    assert not [w for w in recwarn if "pixdim" in str(w.message)]


def test_nrrd_from_simpleitk_keeps_spacing_and_axis_order(tmp_path):
    data = np.zeros((5, 6, 7), np.uint8)  # (x, y, z)
    data[1, 2, 3] = 3
    img = sitk.GetImageFromArray(np.transpose(data, (2, 1, 0)))
    img.SetSpacing((1.1, 1.2, 9.0))
    sitk.WriteImage(img, str(tmp_path / "lab.nrrd"))
    labels, affine = read_label_file(tmp_path / "lab.nrrd")
    assert labels.shape == (5, 6, 7) and labels[1, 2, 3] == 3
    assert np.allclose(np.linalg.norm(affine[:3, :3], axis=0), [1.1, 1.2, 9.0])


def test_bad_files_raise_input_errors_naming_the_path(tmp_path):
    with pytest.raises(CineMAInputError, match="not found"):
        read_label_file(tmp_path / "missing.nii.gz")
    (tmp_path / "junk.nii.gz").write_bytes(b"not a nifti")
    with pytest.raises(CineMAInputError, match="junk.nii.gz"):
        read_label_file(tmp_path / "junk.nii.gz")
    nib.save(nib.Nifti1Image(np.full((3, 3, 3), 0.5, np.float32), np.eye(4)), str(tmp_path / "img.nii.gz"))
    with pytest.raises(CineMAInputError, match="non-integer"):
        read_label_file(tmp_path / "img.nii.gz")
    nib.save(nib.Nifti1Image(np.zeros((3, 3), np.uint8), np.eye(4)), str(tmp_path / "flat.nii.gz"))
    with pytest.raises(CineMAInputError, match="3-D or 4-D"):
        read_label_file(tmp_path / "flat.nii.gz")
