"""Read one NIfTI file (.nii / .nii.gz; 2-D, 3-D single frame or 4-D cine) into a :class:`Volume`.

Geometry: the voxel->RAS affine is the sform (else the qform), but the column lengths are forced to the header's
voxel sizes (pixdim) when they disagree. Why: ACDC files carry a unit-scaled sform (diag -1, -1, 1) while the real
spacing lives only in pixdim; trusting the sform would give 1 mm voxels and volumes 5-38x too small. Directions and
origin of the sform/qform are kept; a warning says so. Without any orientation (both codes 0) nibabel's default
(x flipped, from pixdim) is used, with a warning.

Time: the frame step ``pixdim[4]`` (plus ``toffset``) gives trigger times when the header's time unit is set
(s, ms, us); with an unknown unit a step > 1 is taken as milliseconds (warning), a step of 0 or 1 (a placeholder,
as in ACDC) gives None.
"""

from __future__ import annotations

import gzip
import io
import struct
import warnings
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.io.guards import check_affine, check_declared_shape, check_spacing, check_stored_bytes, check_voxels
from CineMALib.io.volume import Volume

_READ_ERRORS = (EOFError, OSError, zlib.error, gzip.BadGzipFile, ValueError, struct.error, MemoryError)
_TIME_UNIT_MS = {"sec": 1000.0, "msec": 1.0, "usec": 0.001}


def gzip_isize(path: Path) -> int:
    """Uncompressed size modulo 2**32 from a gzip trailer (the last 4 bytes)."""
    with open(path, "rb") as fh:
        fh.seek(-4, 2)
        return struct.unpack("<I", fh.read(4))[0]


def raw_header(path: Path) -> nib.Nifti1Header:
    """The header exactly as stored. Why: nibabel's loader silently "fixes" zero or negative pixdim to 1 or abs,
    which would hide a corrupt spacing; the raw values are checked here instead."""
    try:
        with nib.openers.ImageOpener(str(path)) as fobj:
            block = fobj.read(540)
    except _READ_ERRORS as err:
        raise CineMAInputError(path, f"NIfTI header cannot be read: the file is truncated or corrupt "
                                     f"({type(err).__name__}: {err})") from None
    sizes = {struct.unpack(f"{e}i", block[:4])[0] for e in "<>"} if len(block) >= 4 else set()
    klass = nib.Nifti2Header if 540 in sizes else nib.Nifti1Header
    need = 540 if klass is nib.Nifti2Header else 348
    if len(block) < need or not sizes & {348, 540}:
        raise CineMAInputError(path, f"not a NIfTI file: {len(block)} header bytes, no valid header size")
    try:
        return klass.from_fileobj(io.BytesIO(block[:need]), check=False)
    except _READ_ERRORS + (nib.spatialimages.HeaderDataError,) as err:
        raise CineMAInputError(path, f"NIfTI header is corrupt ({type(err).__name__}: {err})") from None


def load_header(path: Path) -> tuple[nib.Nifti1Image, np.ndarray]:
    """The nibabel image (voxels not read) and the raw pixdim[1:4], after refusing impossible headers."""
    raw = raw_header(path)
    shape = spatial_time_shape(path, raw.get_data_shape())
    voxels = check_declared_shape(path, shape)
    needed = int(raw["vox_offset"]) + voxels * raw.get_data_dtype().itemsize
    if str(path).lower().endswith(".gz"):
        if needed < 2**32:
            check_stored_bytes(path, needed, gzip_isize(path), compressed=True)
    else:
        check_stored_bytes(path, needed, path.stat().st_size, compressed=False)
    pixdim = np.asarray(raw["pixdim"][1:4], dtype=float)
    for ax in range(min(len(raw.get_data_shape()), 3)):
        if shape[ax] > 1:
            check_spacing(path, pixdim[ax:ax + 1], what=f"voxel spacing along {'xyz'[ax]} (pixdim[{ax + 1}])")
    try:
        img = nib.load(str(path))
    except _READ_ERRORS + (nib.filebasedimages.ImageFileError,) as err:
        raise CineMAInputError(path, f"not a readable NIfTI file ({type(err).__name__}: {err})") from None
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise CineMAInputError(path, f"not a NIfTI image (nibabel read it as {type(img).__name__})")
    return img, pixdim


def spatial_time_shape(path: Path, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(x, y, z, t) from a NIfTI shape; 5-D and higher only when the extra axes are singletons."""
    dims = list(shape)
    while len(dims) > 4 and dims[-1] == 1:
        dims.pop()
    if len(dims) > 4:
        raise CineMAInputError(path, f"{len(shape)}-D NIfTI of shape {tuple(shape)} (vector or multi-component "
                                     "data) is not a cine; expected x, y, z and time")
    if len(dims) < 2:
        raise CineMAInputError(path, f"NIfTI of shape {tuple(shape)} is not an image")
    dims += [1] * (4 - len(dims))
    return tuple(int(d) for d in dims)  # type: ignore[return-value]


def nifti_affine(path: Path, img: nib.Nifti1Image, shape: tuple[int, int, int, int],
                 pixdim: np.ndarray) -> np.ndarray:
    """Voxel->RAS affine with the (raw, checked) pixdim voxel sizes (see the module docstring for why)."""
    hdr = img.header
    sform_code, qform_code = int(hdr["sform_code"]), int(hdr["qform_code"])
    if sform_code > 0:
        base, source = hdr.get_sform(), "sform"
    elif qform_code > 0:
        base, source = hdr.get_qform(), "qform"
    else:
        base, source = hdr.get_base_affine(), None
        warnings.warn(f"{path.name}: no orientation in the NIfTI header (sform and qform codes are 0); "
                      "assuming the default NIfTI axes (x flipped) and origin at the centre", stacklevel=3)
    base = np.asarray(base, dtype=float)
    if base.shape != (4, 4) or not np.all(np.isfinite(base)):
        raise CineMAInputError(path, f"the NIfTI {source or 'default'} affine is not finite")
    norms = np.linalg.norm(base[:3, :3], axis=0)
    if np.any(norms < 1e-9):
        raise CineMAInputError(path, f"the NIfTI {source or 'default'} affine has a zero-length voxel axis")
    zooms = norms.copy()  # axes the header does not declare (a 2-D image's z) keep the affine's length
    for ax in range(min(len(img.shape), 3)):
        if np.isfinite(pixdim[ax]) and pixdim[ax] > 0:  # a single slice with a bad thickness keeps the affine's
            zooms[ax] = pixdim[ax]
    if source and not np.allclose(norms, zooms, rtol=1e-3, atol=1e-4):
        warnings.warn(f"{path.name}: the {source} voxel sizes ({_fmt(norms)}) disagree with the header pixdim "
                      f"({_fmt(zooms)}) mm; using pixdim with the {source} directions",
                      stacklevel=3)
        base[:3, :3] = base[:3, :3] / norms * zooms
    check_affine(path, base)
    return base


def _fmt(values: np.ndarray) -> str:
    return ", ".join(f"{float(v):.4g}" for v in values)


def nifti_times(path: Path, img: nib.Nifti1Image, n_frames: int) -> np.ndarray | None:
    """Trigger times in ms from pixdim[4] and the time unit, or None (see the module docstring)."""
    if n_frames < 2 or len(img.shape) < 4:
        return None
    dt = float(img.header["pixdim"][4])
    unit = img.header.get_xyzt_units()[1]
    if not np.isfinite(dt) or dt <= 0:
        return None
    if unit in _TIME_UNIT_MS:
        offset = float(img.header["toffset"]) if np.isfinite(img.header["toffset"]) else 0.0
        return (offset + np.arange(n_frames) * dt) * _TIME_UNIT_MS[unit]
    if dt > 1.0:
        warnings.warn(f"{path.name}: frame step {dt:g} has no time unit in the header; assuming milliseconds",
                      stacklevel=3)
        return np.arange(n_frames) * dt
    return None


def read_nifti(path: Path, check_values: bool = True) -> Volume:
    """One NIfTI file as a :class:`Volume` (float32 voxels, checked header, geometry and values; ``check_values``
    False skips the image checks of :func:`check_voxels`: an all-background label map is blank but valid)."""
    img, pixdim = load_header(path)
    shape = spatial_time_shape(path, img.shape)
    affine = nifti_affine(path, img, shape, pixdim)
    try:
        data = np.asarray(img.dataobj, dtype=np.float32).reshape(shape)
    except _READ_ERRORS as err:
        raise CineMAInputError(path, f"voxel data cannot be read: the file is truncated or corrupt "
                                     f"({type(err).__name__}: {err})") from None
    if check_values:
        check_voxels(path, data)
    return Volume(data=data, affine=affine, trigger_times_ms=nifti_times(path, img, shape[3]), sources=(path,),
                  label=path.name)
