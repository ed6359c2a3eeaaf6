"""Read a label map (or image) file into (x, y, z[, t]) + RAS affine: NIfTI via nibabel, NRRD/MHA/other 3-D via
SimpleITK.

The ACDC trap: some NIfTI files carry an sform with unit scaling while the true spacing is only in pixdim, so
``img.affine`` says 1 mm voxels and volumes come out 5-38x too small. When the affine's column norms disagree
with the header zooms we keep the affine's directions, take the spacing from the zooms, and warn.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.study import affine_from_itk

NIFTI_SUFFIXES = (".nii", ".nii.gz")


def reconcile_affine(affine: np.ndarray, zooms: tuple[float, ...], path: str | Path) -> np.ndarray:
    """The affine with its column lengths set to the header zooms when they disagree (warning once per file)."""
    affine = np.asarray(affine, dtype=float).copy()
    zooms_arr = np.asarray(zooms[:3], dtype=float)
    norms = np.linalg.norm(affine[:3, :3], axis=0)
    if np.any(zooms_arr <= 0) or np.allclose(norms, zooms_arr, rtol=1e-3):
        return affine
    directions = np.where(norms > 0, affine[:3, :3] / np.where(norms > 0, norms, 1.0), np.eye(3))
    affine[:3, :3] = directions * zooms_arr
    warnings.warn(f"{path}: affine spacing {np.round(norms, 4).tolist()} mm disagrees with header pixdim "
                  f"{np.round(zooms_arr, 4).tolist()} mm; using pixdim (the sform carries no real scaling)",
                  UserWarning, stacklevel=3)
    return affine


def _as_labels(data: np.ndarray, path: Path) -> np.ndarray:
    if data.ndim not in (3, 4):
        raise CineMAInputError(path, f"expected a 3-D or 4-D label map, got {data.ndim}-D shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise CineMAInputError(path, "label map contains NaN or infinite values")
    if not np.issubdtype(data.dtype, np.integer) and not np.array_equal(data, np.round(data)):
        raise CineMAInputError(path, "label map has non-integer values (is this an image rather than labels?)")
    if data.size and (data.min() < 0 or data.max() > 255):
        raise CineMAInputError(path, f"label values {data.min()}..{data.max()} outside 0..255")
    return data.astype(np.uint8)


def _read_nifti(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import nibabel as nib

    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except Exception as err:  # nibabel raises many types for corrupt files
        raise CineMAInputError(path, f"cannot read NIfTI: {err}") from None
    if data.ndim < 3:
        raise CineMAInputError(path, f"expected a 3-D or 4-D volume, got {data.ndim}-D shape {data.shape}")
    return data, reconcile_affine(img.affine, img.header.get_zooms(), path)


def _read_itk(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import SimpleITK as sitk

    try:
        img = sitk.ReadImage(str(path))
    except RuntimeError as err:
        raise CineMAInputError(path, f"cannot read image: {str(err).strip().splitlines()[-1]}") from None
    if img.GetDimension() != 3 or img.GetNumberOfComponentsPerPixel() != 1:
        raise CineMAInputError(path, "non-NIfTI files must be 3-D single-component (use NIfTI for 4-D)")
    data = np.transpose(sitk.GetArrayFromImage(img), (2, 1, 0))
    return data, affine_from_itk(img.GetSpacing(), img.GetOrigin(), np.array(img.GetDirection()))


def read_volume_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Any 3-D/4-D volume (x, y, z[, t]) in its stored dtype and its voxel-to-RAS affine (ACDC trap handled)."""
    path = Path(path)
    if not path.is_file():
        raise CineMAInputError(path, "file not found")
    is_nifti = path.name.lower().endswith(NIFTI_SUFFIXES)
    data, affine = _read_nifti(path) if is_nifti else _read_itk(path)
    data = np.asarray(data)
    if data.ndim == 5 and data.shape[3] == 1:  # (x, y, z, 1, t) NIfTI-style time axis
        data = data[:, :, :, 0, :]
    return data, affine


def read_label_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Labels (x, y, z) or (x, y, z, t) as uint8 in the file's own label values, and the voxel-to-RAS affine."""
    data, affine = read_volume_file(path)
    return _as_labels(data, Path(path)), affine
