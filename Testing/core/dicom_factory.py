"""Tiny synthetic cine DICOM series for the reader tests (pydicom only, written into a test's tmp_path).

Pixel values encode where and when each image belongs: pixel[row, col] = 1000*slice + 20*phase + col (+ offset),
so a test can check slice order, phase order and the x = column / y = row convention from the voxels alone.
Slices are numbered 0.. along the plane normal (ascending IPP . normal) unless ``reverse_instances`` numbers them
the other way round (as the Sunnybrook files do), and file names are shuffled so no test leans on name order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"


def rotation(ax: float, ay: float, az: float) -> np.ndarray:
    """A rotation matrix (degrees about x, then y, then z): its columns are row dir, column dir, normal."""
    a, b, c = np.radians([ax, ay, az])
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def plane_with_normal(normal: np.ndarray, hint: np.ndarray = np.array([1.0, 0.0, 0.0])) -> np.ndarray:
    """A rotation whose third column is ``normal`` (LPS)."""
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    row = hint - (hint @ n) * n
    if np.linalg.norm(row) < 1e-6:
        row = np.array([0.0, 1.0, 0.0]) - n[1] * n
    row /= np.linalg.norm(row)
    return np.stack([row, np.cross(n, row), n], axis=1)


def lax_plane_normal(sax_normal: np.ndarray, angle_deg: float) -> np.ndarray:
    """Normal (LPS) of a long-axis plane containing the SAX normal, its trace rotated ``angle_deg`` about the
    base-to-apex axis from the trace of the plane whose normal is 'superior' (the ideal 4-chamber plane)."""
    u = np.asarray(sax_normal, float) / np.linalg.norm(sax_normal)
    if u @ np.array([1.0, -1.0, -1.0]) < 0:  # point to the apex: patient left, anterior, inferior
        u = -u
    s = np.array([0.0, 0.0, 1.0]) - u[2] * u
    ref = np.cross(u, s / np.linalg.norm(s))
    a = np.radians(angle_deg)
    trace = ref * np.cos(a) + np.cross(u, ref) * np.sin(a)  # Rodrigues; ref is perpendicular to u
    return np.cross(u, trace)


@dataclass
class SeriesSpec:
    """What one synthetic series looks like (LPS geometry, like DICOM)."""

    n_slices: int = 4
    n_phases: int = 5
    rows: int = 10
    cols: int = 12
    pixel_spacing: tuple[float, float] = (1.5, 1.25)  # (row spacing, column spacing)
    gap: float = 8.0
    rot: np.ndarray = field(default_factory=lambda: rotation(20, -35, 10))
    origin: np.ndarray = field(default_factory=lambda: np.array([-40.0, 25.0, 60.0]))
    description: str = "cine_sa"
    series_number: int = 5
    series_uid: str = field(default_factory=generate_uid)
    frame_of_reference: str = "1.2.826.0.1.3680043.8.498.1"
    trigger_step: float = 40.0
    reverse_instances: bool = False
    value_offset: int = 0
    patient: dict[str, object] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def normal(self) -> np.ndarray:
        return self.rot[:, 2]

    def ipp(self, k: int) -> np.ndarray:
        return self.origin + k * self.gap * self.normal

    def pixels(self, k: int, t: int) -> np.ndarray:
        img = np.tile(np.arange(self.cols, dtype=np.uint16), (self.rows, 1))
        return (img + 1000 * k + 20 * t + self.value_offset).astype(np.uint16)

    def expected_affine_ras(self) -> np.ndarray:
        aff = np.eye(4)
        aff[:3, 0] = self.rot[:, 0] * self.pixel_spacing[1]
        aff[:3, 1] = self.rot[:, 1] * self.pixel_spacing[0]
        aff[:3, 2] = self.normal * self.gap
        aff[:3, 3] = self.origin
        return np.diag([-1.0, -1.0, 1.0, 1.0]) @ aff


def base_dataset(spec: SeriesSpec, sop_class: str = MR_IMAGE) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    ds.PatientID = "SYNTH001"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.SeriesInstanceUID = spec.series_uid
    ds.SeriesNumber = spec.series_number
    ds.SeriesDescription = spec.description
    ds.FrameOfReferenceUID = spec.frame_of_reference
    ds.Rows, ds.Columns = spec.rows, spec.cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    for key, value in {**spec.patient, **spec.extra}.items():
        setattr(ds, key, value)
    return ds


def write_series(folder: Path, spec: SeriesSpec, seed: int = 0, omit: tuple[str, ...] = ()) -> list[Path]:
    """One classic single-frame file per (slice, phase); tags named in ``omit`` are left out."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"im{spec.series_uid[-8:]}_{i:03d}.dcm" for i in range(spec.n_slices * spec.n_phases)]
    random.Random(seed).shuffle(names)
    paths = []
    for k in range(spec.n_slices):
        order_k = spec.n_slices - 1 - k if spec.reverse_instances else k
        for t in range(spec.n_phases):
            ds = base_dataset(spec)
            ds.InstanceNumber = order_k * spec.n_phases + t + 1
            ds.ImagePositionPatient = [round(float(v), 6) for v in spec.ipp(k)]
            ds.ImageOrientationPatient = [round(float(v), 8) for v in np.concatenate([spec.rot[:, 0], spec.rot[:, 1]])]
            ds.PixelSpacing = list(spec.pixel_spacing)
            ds.SliceThickness = spec.gap
            if spec.trigger_step:
                ds.TriggerTime = round(10.0 + t * spec.trigger_step + 0.3 * k, 3)
            ds.PixelData = spec.pixels(k, t).tobytes()
            for tag in omit:
                if tag in ds:
                    delattr(ds, tag)
            path = folder / names[len(paths)]
            ds.save_as(path, enforce_file_format=True)
            paths.append(path)
    return paths


def write_per_slice_series(folder: Path, spec: SeriesSpec) -> list[Path]:
    """The same stack stored as one series per slice (own SeriesInstanceUID and number per slice)."""
    paths = []
    for k in range(spec.n_slices):
        one = SeriesSpec(**{**spec.__dict__, "n_slices": 1, "series_uid": generate_uid(),
                            "series_number": spec.series_number + k, "origin": spec.ipp(k), "value_offset": 1000 * k})
        paths += write_series(folder, one, seed=k)
    return paths


def write_enhanced(path: Path, spec: SeriesSpec) -> Path:
    """One enhanced MR multi-frame file holding the whole stack (frames interleaved: phase-major)."""
    ds = base_dataset(spec, ENHANCED_MR)
    ds.InstanceNumber = 1
    frames, items = [], []
    for t in range(spec.n_phases):
        for k in reversed(range(spec.n_slices)):  # stored in an order that is neither position nor time
            item = Dataset()
            pos, sync, content = Dataset(), Dataset(), Dataset()
            pos.ImagePositionPatient = [float(v) for v in spec.ipp(k)]
            sync.NominalCardiacTriggerDelayTime = 10.0 + t * spec.trigger_step
            content.TemporalPositionIndex = t + 1
            content.InStackPositionNumber = k + 1
            item.PlanePositionSequence = Sequence([pos])
            item.CardiacSynchronizationSequence = Sequence([sync])
            item.FrameContentSequence = Sequence([content])
            items.append(item)
            frames.append(spec.pixels(k, t))
    shared, ori, meas = Dataset(), Dataset(), Dataset()
    ori.ImageOrientationPatient = [float(v) for v in np.concatenate([spec.rot[:, 0], spec.rot[:, 1]])]
    meas.PixelSpacing = list(spec.pixel_spacing)
    meas.SliceThickness = spec.gap
    shared.PlaneOrientationSequence = Sequence([ori])
    shared.PixelMeasuresSequence = Sequence([meas])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    ds.NumberOfFrames = len(frames)
    ds.PixelData = np.stack(frames).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def read_back(path: Path) -> Dataset:
    """A written file, for tests that tamper with one."""
    return pydicom.dcmread(str(path))
