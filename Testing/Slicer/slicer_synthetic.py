"""A tiny beating-heart cine with known labels and landmarks, for scene tests that must run in seconds.

Not the project phantom (that lives in ``CineMALib.phantom``): just concentric discs whose radius shrinks and
recovers over the frames, on an oblique, flipped grid so axis-order or RAS/LPS mistakes change the numbers.
"""

from __future__ import annotations

import numpy as np

from CineMALib.labels import LV, MYO, RV
from CineMALib.results import AnalysisResults, ViewResult
from CineMALib.study import CineStudy, CineView, StudyMetadata, voxel_to_world

SHAPE = (28, 24, 4)
N_FRAMES = 6
ES_FRAME = 3
TIMES_MS = np.arange(N_FRAMES) * 45.0


def oblique_affine(spacing: tuple[float, float, float], origin: tuple[float, float, float]) -> np.ndarray:
    """A rotated, partly flipped voxel -> RAS affine."""
    angle = np.deg2rad(30.0)
    rot = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag([-spacing[0], spacing[1], spacing[2]])
    affine[:3, 3] = origin
    return affine


def lv_radius(t: int) -> float:
    """LV radius in voxels: largest only at frame 0 (ED), smallest only at ``ES_FRAME``."""
    return 7.0 - 2.0 * np.sin(np.pi * t / N_FRAMES)


def sax_labels(shape: tuple[int, int, int] = SHAPE) -> np.ndarray:
    """(x, y, z, t) labels: LV disc, a 2-voxel myocardial ring and an RV disc beside it, on the middle slices."""
    x, y = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    labels = np.zeros((*shape, N_FRAMES), dtype=np.uint8)
    for t in range(N_FRAMES):
        radius = lv_radius(t)
        dist = np.hypot(x - 16.0, y - 12.0)
        frame = np.zeros(shape[:2], dtype=np.uint8)
        frame[np.hypot(x - 6.0, y - 12.0) < 4.0 + 0.3 * radius] = RV
        frame[dist < radius + 2.0] = MYO
        frame[dist < radius] = LV
        labels[:, :, 1:3, t] = frame[:, :, None]
    return labels


def image_from_labels(labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """bSSFP-like intensities (bright blood, dark muscle) plus a little noise."""
    rng = np.random.default_rng(seed)
    lut = np.array([0.4, 0.95, 0.28, 1.0], dtype=np.float32)
    return (lut[labels] + rng.normal(0.0, 0.02, labels.shape)).astype(np.float32)


def lax_landmarks(affine: np.ndarray) -> dict[str, np.ndarray]:
    """Mitral hinges and apex of a 4C view, the hinges moving towards the apex until ``ES_FRAME``."""
    tracks = {}
    base = {"mitral_lateral": (20.0, 6.0), "mitral_septal": (10.0, 6.0), "apex": (15.0, 26.0)}
    for name, (i, j) in base.items():
        shift = np.array([0.0 if name == "apex" else 2.0 * np.sin(np.pi * t / N_FRAMES) for t in range(N_FRAMES)])
        ijk = np.stack([np.full(N_FRAMES, i), j + shift, np.zeros(N_FRAMES)], axis=1)
        tracks[name] = voxel_to_world(affine, ijk)
    return tracks


def study_and_results() -> tuple[CineStudy, AnalysisResults]:
    """A SAX + 4C study with its labels (SAX) and landmarks (4C) as an analysis would return them."""
    sax_affine = oblique_affine((1.8, 1.8, 10.0), (40.0, -20.0, 15.0))
    lax_affine = oblique_affine((1.5, 1.5, 8.0), (-10.0, 30.0, 60.0))
    labels = sax_labels()
    lax_labels = np.zeros((30, 32, 1, N_FRAMES), dtype=np.uint8)
    study = CineStudy(
        {"sax": CineView("sax", image_from_labels(labels), sax_affine, TIMES_MS.copy()),
         "lax_4c": CineView("lax_4c", image_from_labels(lax_labels, 1), lax_affine, TIMES_MS.copy())},
        StudyMetadata(height_cm=172.0, weight_kg=70.0, sex="F"), study_id="synthetic")
    results = AnalysisResults(
        "synthetic",
        {"sax": ViewResult("sax", sax_affine, labels, tuple(range(N_FRAMES))),
         "lax_4c": ViewResult("lax_4c", lax_affine, None, (), lax_landmarks(lax_affine))},
        ed_frame=0, es_frame=ES_FRAME, phase_method="synthetic truth")
    return study, results
