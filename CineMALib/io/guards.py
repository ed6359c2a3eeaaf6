"""Sanity checks that run before (and right after) voxels are read, so bad input fails fast with a clear message.

Why: a corrupt or hostile header can claim terabytes of voxels; we refuse it from the header and the file size,
before any array is allocated. Every failure is a :class:`CineMAInputError` naming the file and the problem.
Limits can be raised with the environment variables ``CINEMA_MAX_INPUT_VOXELS`` and ``CINEMA_MAX_AXIS``.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from CineMALib.errors import CineMAInputError

#: Largest number of voxels (x*y*z*t) one input may declare: 400 M voxels = 1.6 GB as float32.
MAX_VOXELS = int(os.environ.get("CINEMA_MAX_INPUT_VOXELS", 400_000_000))
#: Largest size of any one axis (in-plane matrix, slices or frames); real cine CMR stays far below it.
MAX_AXIS = int(os.environ.get("CINEMA_MAX_AXIS", 4096))


def check_path(path: str | os.PathLike[str]) -> Path:
    """The path as an absolute ``Path`` if it exists; a clear error for missing paths and symlink loops."""
    p = Path(path).expanduser()
    try:
        resolved = p.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        raise CineMAInputError(p, "symbolic link loop") from None
    except FileNotFoundError:
        if p.is_symlink():
            raise CineMAInputError(p, "dangling symbolic link: its target does not exist") from None
        raise CineMAInputError(p, "no such file or folder") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise CineMAInputError(p, "symbolic link loop") from None
        raise CineMAInputError(p, f"cannot access: {err.strerror or err}") from None
    if not os.access(resolved, os.R_OK):
        raise CineMAInputError(p, "permission denied: the file cannot be read")
    return resolved


def check_nonempty_file(path: Path) -> int:
    """The file size in bytes; an error for folders given as files and for empty files."""
    if not path.is_file():
        raise CineMAInputError(path, "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise CineMAInputError(path, "file is empty (0 bytes)")
    return size


def check_declared_shape(path: Path, shape: Sequence[int], what: str = "header") -> int:
    """Refuse a declared array shape that is empty, has an absurd axis, or is too large to hold; returns voxels."""
    dims = [int(s) for s in shape]
    if not dims or any(s <= 0 for s in dims):
        raise CineMAInputError(path, f"{what} declares an empty image of shape {tuple(dims)}")
    if max(dims) > MAX_AXIS:
        raise CineMAInputError(path, f"{what} declares shape {tuple(dims)}: an axis of {max(dims)} exceeds the "
                                     f"sane maximum of {MAX_AXIS} (corrupt header?)")
    voxels = int(np.prod(dims, dtype=np.int64))
    if voxels > MAX_VOXELS:
        raise CineMAInputError(path, f"{what} declares {voxels:,} voxels, more than the maximum {MAX_VOXELS:,} "
                                     f"(set CINEMA_MAX_INPUT_VOXELS to raise it)")
    return voxels


def check_stored_bytes(path: Path, needed: int, stored: int, compressed: bool) -> None:
    """Refuse a header whose declared voxel bytes exceed what the file actually stores (truncated or lying)."""
    if stored < needed:
        kind = "uncompressed size recorded in the gzip trailer" if compressed else "file size"
        raise CineMAInputError(path, f"header declares {needed:,} bytes of image data but the {kind} is only "
                                     f"{stored:,} bytes: the file is truncated or its header is corrupt")


def check_spacing(path: Path, spacing: Sequence[float], what: str = "voxel spacing") -> None:
    """Voxel sizes must be finite and positive."""
    sp = np.asarray(spacing, dtype=float)
    if not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        raise CineMAInputError(path, f"{what} must be positive and finite, but the header says "
                                     f"{', '.join(f'{float(s):g}' for s in sp)} mm")


def check_affine(path: Path, affine: np.ndarray) -> None:
    """A voxel-to-world affine must be finite and non-singular (zero spacing or collinear directions)."""
    a = np.asarray(affine, dtype=float)
    if a.shape != (4, 4) or not np.all(np.isfinite(a)):
        raise CineMAInputError(path, "orientation/position in the header is not a finite 4x4 transform")
    check_spacing(path, np.linalg.norm(a[:3, :3], axis=0))
    if abs(np.linalg.det(a[:3, :3])) < 1e-9:
        raise CineMAInputError(path, "voxel axes are degenerate (zero spacing or parallel directions)")


def check_voxels(path: Path | str, data: np.ndarray) -> None:
    """Refuse NaN/Inf voxels and blank (constant) images: neither can be analysed and both hide bugs downstream."""
    if data.size == 0:
        raise CineMAInputError(path, "image holds no voxels")
    if np.issubdtype(data.dtype, np.floating):
        bad = int(data.size - np.count_nonzero(np.isfinite(data)))
        if bad:
            raise CineMAInputError(path, f"{bad:,} of {data.size:,} voxels are NaN or infinite")
    lo, hi = data.min(), data.max()
    if lo == hi:
        raise CineMAInputError(path, f"image is blank: every voxel equals {float(lo):g}")
