"""Read NRRD files (.nrrd, .nhdr, Slicer ``.seq.nrrd`` volume sequences) into a :class:`Volume`.

A 4-D NRRD is a cine when exactly one axis is non-spatial (kind ``list`` or ``time``, or ``none`` in ``space
directions``); it may be first (older Slicer) or last (current Slicer). Trigger times come from the Slicer custom
field ``axis N index values`` (or the axis ``spacings``) when the axis label/unit says time; plain frame numbers
0..n-1 without a unit are not times (None). The header space (LPS, RAS, LAS) is converted to RAS.
"""

from __future__ import annotations

import gzip
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import nrrd
import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.io.guards import check_affine, check_declared_shape, check_stored_bytes, check_voxels
from CineMALib.io.volume import Volume

_SPACE_TO_RAS = {
    "right-anterior-superior": (1, 1, 1), "ras": (1, 1, 1),
    "left-posterior-superior": (-1, -1, 1), "lps": (-1, -1, 1),
    "left-anterior-superior": (-1, 1, 1), "las": (-1, 1, 1),
}
_NON_SPATIAL_KINDS = {"list", "time", "point", "vector", "covariant-vector", "normal", "stub", "scalar",
                      "complex", "2-vector", "3-color", "rgb-color", "hsv-color", "xyz-color", "4-color",
                      "rgba-color", "3-vector", "3-gradient", "3-normal", "4-vector", "quaternion"}
_TIME_KINDS = {"list", "time"}
_UNIT_MS = {"ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "s": 1000.0, "sec": 1000.0,
            "second": 1000.0, "seconds": 1000.0, "us": 0.001, "usec": 0.001}
_READ_ERRORS = (nrrd.NRRDError, EOFError, OSError, zlib.error, gzip.BadGzipFile, ValueError, TypeError,
                struct.error, KeyError, IndexError, MemoryError)


def read_nrrd_header(path: Path) -> tuple[dict[str, Any], int]:
    """The parsed header and the byte offset where attached data starts."""
    try:
        with open(path, "rb") as fh:
            header = nrrd.read_header(fh)
            offset = fh.tell()
    except _READ_ERRORS as err:
        raise CineMAInputError(path, f"NRRD header cannot be read ({type(err).__name__}: {err})") from None
    return header, offset


def nrrd_axes(path: Path, header: dict[str, Any]) -> tuple[list[int], int | None]:
    """Spatial axes and the one time/list axis (or None)."""
    ndim = int(header.get("dimension", len(header.get("sizes", []))))
    kinds = [str(k).lower() for k in header.get("kinds", ["domain"] * ndim)]
    dirs = header.get("space directions")
    spatial, other = [], []
    for ax in range(ndim):
        no_dir = dirs is not None and not np.all(np.isfinite(np.asarray(dirs[ax], dtype=float)))
        (other if kinds[ax] in _NON_SPATIAL_KINDS or no_dir else spatial).append(ax)
    if len(other) > 1 or (other and kinds[other[0]] not in _TIME_KINDS | {"domain", "space"} and
                          header["sizes"][other[0]] > 1):
        raise CineMAInputError(path, f"NRRD axes of kinds {kinds} hold vector or multi-component data; "
                                     "expected a scalar 3-D volume or a volume sequence")
    if not 2 <= len(spatial) <= 3:
        raise CineMAInputError(path, f"NRRD has {len(spatial)} spatial axes (kinds {kinds}); expected 2 or 3")
    return spatial, (other[0] if other else None)


def _affine(path: Path, header: dict[str, Any], spatial: list[int]) -> np.ndarray:
    """Voxel->RAS affine of the spatial axes (a 2-D image gets a 1 mm third axis along its normal)."""
    space = str(header.get("space", "")).lower()
    dirs = header.get("space directions")
    aff = np.eye(4)
    if dirs is not None:
        cols = [np.asarray(dirs[ax], dtype=float)[:3] for ax in spatial]
    else:
        spacings = np.asarray(header.get("spacings", [1.0] * int(header["dimension"])), dtype=float)
        cols = [np.eye(3)[i] * spacings[ax] for i, ax in enumerate(spatial)]
        warnings.warn(f"{path.name}: NRRD without 'space directions'; axes assumed aligned with the world",
                      stacklevel=3)
    if len(cols) == 2:
        normal = np.cross(cols[0], cols[1])
        cols.append(normal / max(np.linalg.norm(normal), 1e-12))
    aff[:3, :3] = np.stack(cols, axis=1)
    origin = header.get("space origin")
    if origin is not None:
        aff[:3, 3] = np.asarray(origin, dtype=float)[:3]
    if space in _SPACE_TO_RAS:
        aff = np.diag(list(_SPACE_TO_RAS[space]) + [1]) @ aff
    elif space or dirs is not None:
        warnings.warn(f"{path.name}: NRRD space {space or '(unset)'!r} is not anatomical; treating it as RAS",
                      stacklevel=3)
    check_affine(path, aff)
    return aff


def _times(header: dict[str, Any], axis: int, n: int) -> np.ndarray | None:
    """Trigger times (ms) of the time/list axis, when the header says they are times."""
    label = str((header.get("labels") or [""] * (axis + 1))[axis]).lower()
    unit = str((header.get("units") or [""] * (axis + 1))[axis]).lower().strip()
    unit = unit or str(header.get(f"axis {axis} index unit", "")).lower().strip()
    values: np.ndarray | None = None
    raw = header.get(f"axis {axis} index values")
    if raw is not None:
        try:
            values = np.asarray([float(v) for v in str(raw).split()], dtype=float)
        except ValueError:
            values = None
    if values is None or values.shape != (n,):
        spacing = np.asarray(header.get("spacings", [np.nan] * (axis + 1)), dtype=float)[axis]
        values = np.arange(n) * spacing if np.isfinite(spacing) and spacing > 0 else None
    if values is None or n < 2:
        return None
    if unit in _UNIT_MS:
        return values * _UNIT_MS[unit]
    looks_like_time = "time" in label or "trigger" in label or str(header.get("kinds")[axis]).lower() == "time"
    if looks_like_time and not np.array_equal(values, np.arange(n)):
        return values  # a time axis without a unit: milliseconds, the cine CMR convention
    return None


def read_nrrd(path: Path, check_values: bool = True) -> Volume:
    """One NRRD file as a :class:`Volume` with the time axis last (``check_values``: as for NIfTI)."""
    header, offset = read_nrrd_header(path)
    try:
        sizes = [int(s) for s in header["sizes"]]
    except (KeyError, TypeError, ValueError):
        raise CineMAInputError(path, "NRRD header has no valid 'sizes' field") from None
    spatial, t_axis = nrrd_axes(path, header)
    shape = [sizes[ax] for ax in spatial] + [1] * (3 - len(spatial)) + [sizes[t_axis] if t_axis is not None else 1]
    voxels = check_declared_shape(path, shape)
    _check_attached_bytes(path, header, offset, voxels)
    affine = _affine(path, header, spatial)
    try:
        data, _ = nrrd.read(str(path), index_order="F")
    except _READ_ERRORS as err:
        raise CineMAInputError(path, f"NRRD voxel data cannot be read: the file is truncated or corrupt "
                                     f"({type(err).__name__}: {err})") from None
    order = spatial + ([t_axis] if t_axis is not None else [])
    data = np.transpose(np.asarray(data), order).astype(np.float32, copy=False).reshape(shape)
    if check_values:
        check_voxels(path, data)
    times = _times(header, t_axis, shape[3]) if t_axis is not None else None
    return Volume(data=data, affine=affine, trigger_times_ms=times, sources=(path,), label=path.name)


def _check_attached_bytes(path: Path, header: dict[str, Any], offset: int, voxels: int) -> None:
    """For attached raw/gzip data, the file must hold at least the declared voxel bytes."""
    if "data file" in header or "datafile" in header:
        return
    try:
        itemsize = np.dtype(nrrd.reader._determine_datatype(header)).itemsize
    except Exception:  # an unknown type is reported by nrrd.read itself
        return
    needed = voxels * itemsize
    encoding = str(header.get("encoding", "raw")).lower()
    if encoding == "raw":
        check_stored_bytes(path, needed, path.stat().st_size - offset, compressed=False)
    elif encoding in ("gzip", "gz") and needed < 2**32:
        with open(path, "rb") as fh:
            fh.seek(-4, 2)
            check_stored_bytes(path, needed, struct.unpack("<I", fh.read(4))[0], compressed=True)
