"""Write a :class:`CineView` or a label array to NIfTI (.nii/.nii.gz) or NRRD (.nrrd/.seq.nrrd), atomically.

Atomic: the file is written to a hidden temporary file in the destination folder and then moved over the target
with ``os.replace``, so a reader (Slicer, another process) never sees a half-written file and a failed write leaves
any previous file intact.

NIfTI: sform and qform (code 1, scanner) both hold the affine, pixdim holds the voxel sizes (so the ACDC
pixdim rule of the reader gives back the same affine) and, for a cine with evenly spaced trigger times, pixdim[4]
holds the frame step in ms and ``toffset`` the first trigger time.
NRRD: Slicer's current volume-sequence layout (``kinds: domain domain domain list``, ``space:
left-posterior-superior``, trigger times in ``axis 3 index values`` with unit ms); a plain 3-D NRRD for one frame.
"""

from __future__ import annotations

import os
from pathlib import Path

import nibabel as nib
import nrrd
import numpy as np

from CineMALib.atomic import atomic_write
from CineMALib.errors import CineMAInputError
from CineMALib.io.detect import full_suffix
from CineMALib.study import LPS_TO_RAS, CineView

NIFTI = (".nii", ".nii.gz")
NRRD = (".nrrd", ".seq.nrrd")


def _check_suffix(path: Path) -> str:
    suffix = full_suffix(path)
    if suffix not in NIFTI + NRRD:
        raise CineMAInputError(path, f"cannot write {suffix or 'files without extension'}; use .nii, .nii.gz, "
                                     ".nrrd or .seq.nrrd")
    return suffix


def _even_step(times: np.ndarray | None) -> float | None:
    if times is None or len(times) < 2:
        return None
    steps = np.diff(times)
    return float(steps.mean()) if np.allclose(steps, steps.mean(), rtol=1e-4, atol=1e-3) else None


def _write_nifti(tmp: Path, data: np.ndarray, affine: np.ndarray, times: np.ndarray | None) -> None:
    img = nib.Nifti1Image(data, affine)
    img.set_sform(affine, code=1)
    img.set_qform(affine, code=1)
    zooms = list(np.linalg.norm(affine[:3, :3], axis=0))
    if data.ndim == 4:
        step = _even_step(times)
        zooms.append(step if step else 1.0)
        img.header.set_xyzt_units("mm", "msec" if step else "unknown")
        if step:
            img.header["toffset"] = float(times[0])
    else:
        img.header.set_xyzt_units("mm")
    img.header.set_zooms(zooms)
    nib.save(img, str(tmp))


def _write_nrrd(tmp: Path, data: np.ndarray, affine: np.ndarray, times: np.ndarray | None) -> None:
    lps = LPS_TO_RAS @ affine  # the flip is its own inverse
    header: dict[str, object] = {"space": "left-posterior-superior", "space origin": lps[:3, 3],
                                 "encoding": "gzip"}
    dirs = lps[:3, :3].T  # one row per voxel axis
    if data.ndim == 4:
        header["space directions"] = np.vstack([dirs, np.full((1, 3), np.nan)])
        header["kinds"] = ["domain", "domain", "domain", "list"]
        header["labels"] = ["", "", "", "time" if times is not None else "frame"]
        header["axis 3 index type"] = "numeric"
        values = times if times is not None else np.arange(data.shape[3])
        header["axis 3 index values"] = " ".join(f"{v:.6g}" for v in values)
        if times is not None:
            header["units"] = ["", "", "", "ms"]
        header["DataNodeClassName"] = "vtkMRMLScalarVolumeNode"
    else:
        header["space directions"] = dirs
        header["kinds"] = ["domain", "domain", "domain"]
    nrrd.write(str(tmp), np.asarray(data), header, index_order="F", compression_level=6)


def write_array(data: np.ndarray, affine: np.ndarray, path: str | os.PathLike[str],
                trigger_times_ms: np.ndarray | None = None) -> Path:
    """Write an (x, y, z[, t]) array on a voxel->RAS affine to NIfTI or NRRD (by the suffix); returns the path."""
    target = Path(path)
    suffix = _check_suffix(target)
    data = np.asarray(data)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim not in (3, 4):
        raise CineMAInputError(target, f"expected an (x, y, z) or (x, y, z, t) array, got shape {data.shape}")
    affine = np.asarray(affine, dtype=float)
    writer = _write_nifti if suffix in NIFTI else _write_nrrd
    return atomic_write(target, lambda tmp: writer(tmp, data, affine, trigger_times_ms))


def write_view(view: CineView, path: str | os.PathLike[str]) -> Path:
    """Write a cine view (its voxels, affine and trigger times); float32 on disk."""
    return write_array(view.data.astype(np.float32, copy=False), view.affine, path, view.trigger_times_ms)


def write_labels(labels: np.ndarray, affine: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write an integer label map (x, y, z[, t]) as uint8 on the given voxel->RAS affine."""
    labels = np.asarray(labels)
    if labels.dtype == bool:
        labels = labels.astype(np.uint8)
    if labels.size and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() > 255):
        raise CineMAInputError(path, "labels must be integers between 0 and 255")
    return write_array(labels.astype(np.uint8), affine, path)
