"""Writing one DICOM file with preamble and file meta, on pydicom 3 and on pydicom 2.

Why: pydicom 3 needs Python >= 3.10, so Slicer 5.8 (Python 3.9) gets pydicom 2, whose ``save_as`` has no
``enforce_file_format`` (it has ``write_like_original`` instead).
"""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset


def save_dataset(ds: Dataset, path: str | Path) -> None:
    """Write ``ds`` to ``path`` as a conformant DICOM file (128-byte preamble, 'DICM', file meta)."""
    try:
        ds.save_as(str(path), enforce_file_format=True)
    except TypeError:  # pydicom < 3
        ds.save_as(str(path), write_like_original=False)
