"""A read image before it is named as a view: the common currency of the NIfTI, NRRD and DICOM readers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from CineMALib.study import CineView


@dataclass
class Volume:
    """(x, y, z, t) float32 voxels, voxel->RAS affine, trigger times (ms) or None, and where it came from.

    ``view_hint`` is the view a description/file name suggested (None when it said nothing); ``label`` is a
    human-readable source description for messages (a file name, or a DICOM series number and description).
    """

    data: np.ndarray
    affine: np.ndarray
    trigger_times_ms: np.ndarray | None = None
    sources: tuple[Path, ...] = ()
    view_hint: str | None = None
    label: str = ""
    dicom_refs: Any = None  # CineMALib.io.dicom_refs.DicomRefs for a DICOM stack: the source image per (z, t)

    def to_view(self, name: str) -> CineView:
        """The named :class:`CineView` (data is not copied)."""
        return CineView(name=name, data=self.data, affine=self.affine, trigger_times_ms=self.trigger_times_ms,
                        sources=self.sources, dicom_refs=self.dicom_refs)
