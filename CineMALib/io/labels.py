"""Read a label map file (NIfTI or NRRD) into (x, y, z[, t]) uint8 labels and its voxel-to-RAS affine.

Why through :func:`~CineMALib.io.reader.read_volume_file`: one reader, so label maps get the same checks and the
same geometry as images, including the ACDC trap (a unit-scaled sform whose real spacing is only in pixdim; see
:mod:`CineMALib.io.nifti`), which is fixed in one place with one warning. What is checked here is only what makes
a volume a label map: 3-D or 4-D, finite whole numbers in 0..255.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.io.detect import sniff_file
from CineMALib.io.nifti import raw_header
from CineMALib.io.nrrd import read_nrrd_header
from CineMALib.io.reader import read_volume_file


def _declared_dims(path: Path, kind: str) -> int:
    """Axes the file declares (the reader pads a 2-D image to (x, y, 1, 1); a label map must be 3-D or 4-D)."""
    if kind == "nifti":
        return len(raw_header(path).get_data_shape())
    header, _ = read_nrrd_header(path)
    return int(header.get("dimension", len(header.get("sizes", []))))


def as_labels(data: np.ndarray, path: Path) -> np.ndarray:
    """``data`` as uint8 labels, refusing what cannot be a label map (NaN, fractions, values beyond 0..255)."""
    if not np.all(np.isfinite(data)):
        raise CineMAInputError(path, "label map contains NaN or infinite values")
    if not np.array_equal(data, np.round(data)):
        raise CineMAInputError(path, "label map has non-integer values (is this an image rather than labels?)")
    if data.size and (data.min() < 0 or data.max() > 255):
        raise CineMAInputError(path, f"label values {data.min():g}..{data.max():g} outside 0..255")
    return data.astype(np.uint8)


def read_label_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Labels (x, y, z) or (x, y, z, t) as uint8 in the file's own label values, and the voxel-to-RAS affine."""
    path = Path(path)
    if not path.exists():
        raise CineMAInputError(path, "file not found")
    kind = sniff_file(path)
    if kind == "dicom":
        raise CineMAInputError(path, "is a DICOM file; a DICOM SEG is read with CineMALib.exchange.seg_read")
    dims = _declared_dims(path, kind)
    if dims < 3:
        raise CineMAInputError(path, f"expected a 3-D or 4-D label map, got a {dims}-D image")
    vol = read_volume_file(path, check_values=False)
    data = vol.data[..., 0] if vol.data.shape[3] == 1 else vol.data
    return as_labels(data, path), vol.affine
