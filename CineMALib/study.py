"""The in-memory cine study: per view a 4-D (x, y, z, t) array with its voxel-to-world affine.

Geometry convention (kept everywhere in CineMALib): arrays are indexed in NIfTI/ITK order (i, j, k, t), and
``affine`` maps a 0-based voxel index (i, j, k, 1) to **RAS** world millimetres, as in NIfTI/nibabel. DICOM and
ITK (LPS) geometry is converted on read with :func:`lps_to_ras`; never apply a flip silently elsewhere.
A 2-D long-axis cine has z = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

VIEW_NAMES: tuple[str, ...] = ("sax", "lax_2c", "lax_3c", "lax_4c")
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def lax_frame(sax_frame: int, n_sax: int | None, n_lax: int) -> int:
    """The long-axis frame matching a SAX frame: the same index, or the same fraction of the cycle if counts differ.

    Why here: the analysis (which LAX frames to segment, end-slice checks), the measurements (long-axis function)
    and the QC montage all pair frames across views the same way."""
    if n_sax is None or n_sax == n_lax:
        return sax_frame
    return int(round(sax_frame * n_lax / n_sax)) % n_lax


def lps_to_ras(affine_lps: np.ndarray) -> np.ndarray:
    """Convert a voxel-to-LPS affine (DICOM, ITK) into a voxel-to-RAS affine (NIfTI, Slicer)."""
    return LPS_TO_RAS @ np.asarray(affine_lps, dtype=float)


def affine_from_itk(spacing: tuple[float, ...], origin: tuple[float, ...], direction: np.ndarray) -> np.ndarray:
    """Voxel-to-RAS affine from ITK/SimpleITK (LPS) spacing, origin and 3x3 direction."""
    aff = np.eye(4)
    aff[:3, :3] = np.asarray(direction, dtype=float).reshape(3, 3) @ np.diag(np.asarray(spacing, dtype=float)[:3])
    aff[:3, 3] = np.asarray(origin, dtype=float)[:3]
    return lps_to_ras(aff)


def spacing_from_affine(affine: np.ndarray) -> np.ndarray:
    """Voxel size (mm) along i, j, k: the norms of the affine's first three columns."""
    return np.linalg.norm(np.asarray(affine, dtype=float)[:3, :3], axis=0)


def voxel_to_world(affine: np.ndarray, ijk: np.ndarray) -> np.ndarray:
    """Map (..., 3) voxel indices to (..., 3) world (RAS mm) points."""
    ijk = np.asarray(ijk, dtype=float)
    return ijk @ affine[:3, :3].T + affine[:3, 3]


def world_to_voxel(affine: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """Map (..., 3) world (RAS mm) points to (..., 3) continuous voxel indices."""
    inv = np.linalg.inv(affine)
    xyz = np.asarray(xyz, dtype=float)
    return xyz @ inv[:3, :3].T + inv[:3, 3]


@dataclass
class CineView:
    """One cine view: ``data`` (x, y, z, t) float32, ``affine`` voxel -> RAS mm, optional trigger times (ms)."""

    name: str
    data: np.ndarray
    affine: np.ndarray
    trigger_times_ms: np.ndarray | None = None
    sources: tuple[Path, ...] = ()
    #: :class:`CineMALib.io.dicom_refs.DicomRefs` when read from DICOM: the SOP instance of each (z, t) image, which
    #: DICOM SEG/SR export references; None for NIfTI/NRRD input.
    dicom_refs: Any = None

    def __post_init__(self) -> None:
        if self.data.ndim == 3:
            self.data = self.data[..., np.newaxis]
        if self.data.ndim != 4:
            raise ValueError(f"view {self.name!r}: expected a 4-D (x, y, z, t) array, got shape {self.data.shape}")
        self.affine = np.asarray(self.affine, dtype=float)
        if self.affine.shape != (4, 4) or not np.all(np.isfinite(self.affine)):
            raise ValueError(f"view {self.name!r}: affine must be a finite 4x4 matrix")
        if abs(np.linalg.det(self.affine[:3, :3])) < 1e-9:
            raise ValueError(f"view {self.name!r}: affine is singular (zero spacing or degenerate directions)")
        if self.trigger_times_ms is not None:
            self.trigger_times_ms = np.asarray(self.trigger_times_ms, dtype=float)
            if self.trigger_times_ms.shape != (self.n_frames,):
                raise ValueError(f"view {self.name!r}: {self.trigger_times_ms.shape[0]} trigger times for "
                                 f"{self.n_frames} frames")

    @property
    def shape(self) -> tuple[int, int, int]:
        """Spatial shape (x, y, z)."""
        return tuple(int(s) for s in self.data.shape[:3])  # type: ignore[return-value]

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[3])

    @property
    def spacing(self) -> np.ndarray:
        """Voxel size in mm along i, j, k."""
        return spacing_from_affine(self.affine)

    @property
    def is_2d(self) -> bool:
        return self.data.shape[2] == 1

    def frame(self, t: int) -> np.ndarray:
        """The 3-D (x, y, z) array of frame ``t`` (a view, not a copy)."""
        return self.data[..., t]


@dataclass
class StudyMetadata:
    """Patient and acquisition facts that measurements use when present."""

    patient_id: str | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    sex: str | None = None  # "M" or "F"
    heart_rate_bpm: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class CineStudy:
    """A cine CMR study: the views present (``sax``, ``lax_2c``, ``lax_3c``, ``lax_4c``) and metadata."""

    views: dict[str, CineView]
    metadata: StudyMetadata = field(default_factory=StudyMetadata)
    study_id: str = "study"
    source: Path | None = None

    def __post_init__(self) -> None:
        for key, view in self.views.items():
            if key not in VIEW_NAMES:
                raise ValueError(f"unknown view {key!r}; expected one of {VIEW_NAMES}")
            if view.name != key:
                raise ValueError(f"view stored under {key!r} is named {view.name!r}")

    def __contains__(self, view: str) -> bool:
        return view in self.views

    def __getitem__(self, view: str) -> CineView:
        return self.views[view]
