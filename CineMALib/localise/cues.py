"""Per-pixel image cues on a coarse in-plane grid: a round bright blob, motion at the heart rate, a weak centre prior.

Why these: the LV blood pool is a bright, round blob 10-35 mm in radius inside dark myocardium (a scale-normalised
Laplacian-of-Gaussian peak), and a cine covers one R-R interval, so the ventricles' wall motion is periodic at one
cycle per cine: the first temporal harmonic (the DFT component at one cycle per frame count) captures it, while
flow artefacts, noise and partial pulsation spread over the other harmonics (the standard deviation sums them all).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

BLOB_RADII_MM: tuple[float, ...] = (10.0, 14.0, 19.0, 26.0, 35.0)
ANALYSIS_MM = 2.5  # pixel size of the coarse grid (the blobs are 10-35 mm: finer pixels only cost time)
MOTION_SMOOTH_MM = 12.0  # spreads the moving wall ring of a beating ventricle into its centre
MAX_FRAMES = 30  # evenly spaced frames that enter the statistics: bounded memory and time


def normalise(data: np.ndarray) -> np.ndarray:
    """Robust [0, 1] scaling (1st-99th percentile) so thresholds do not depend on the scanner's units."""
    flat = data.reshape(-1)
    lo, hi = np.percentile(flat[:: max(1, flat.size // 2_000_000)], [1.0, 99.0])
    if hi <= lo:
        return np.zeros_like(data, dtype=np.float32)
    return np.clip((data - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def first_harmonic(data: np.ndarray, frames: np.ndarray, n_frames: int) -> np.ndarray:
    """Amplitude of the temporal Fourier component at one cycle per ``n_frames`` (one R-R interval), per voxel.

    ``data`` (..., m) holds frames ``frames`` of the cine (evenly spaced over it); each frame keeps its own phase
    angle 2 pi f / n_frames, so a subsampled cine still measures the heart-rate component."""
    phase = 2.0 * np.pi * np.asarray(frames, dtype=float) / float(n_frames)
    re = np.tensordot(data, np.cos(phase).astype(np.float32), axes=([-1], [0]))
    im = np.tensordot(data, np.sin(phase).astype(np.float32), axes=([-1], [0]))
    return (2.0 / len(frames)) * np.hypot(re, im)


def blob_response(image2d: np.ndarray, spacing2d: np.ndarray) -> np.ndarray:
    """Max over radii of the scale-normalised negative LoG: high at the centre of bright round blobs.

    A blob of radius r counts only where it lies wholly inside the field of view (centre >= r from the border):
    beyond the border nothing is known, and a bright band cut by the border (subcutaneous fat, an arm) would
    otherwise look like a blob through the filter's edge handling."""
    best = np.zeros(image2d.shape, dtype=np.float32)
    ii, jj = np.indices(image2d.shape, dtype=float)
    to_border = np.minimum.reduce([(ii + 0.5) * spacing2d[0], (image2d.shape[0] - 0.5 - ii) * spacing2d[0],
                                   (jj + 0.5) * spacing2d[1], (image2d.shape[1] - 0.5 - jj) * spacing2d[1]])
    for radius in BLOB_RADII_MM:
        sigma_mm = radius / np.sqrt(2.0)
        response = -(sigma_mm ** 2) * ndimage.gaussian_laplace(image2d, sigma=sigma_mm / spacing2d)
        best = np.maximum(best, np.where(to_border >= radius, response, 0.0))
    return best


@dataclass
class CueMaps:
    """The view's cues on the coarse grid (x, y, z) and how that grid maps to the view's own in-plane grid."""

    mean: np.ndarray  # mean image over the frames, [0, 1]
    blob: np.ndarray  # >= 0
    harmonic: np.ndarray | None  # smoothed first-harmonic amplitude, ~[0, 1]; None for a single frame
    zoom: np.ndarray  # coarse pixels per source pixel along i, j
    spacing2d: np.ndarray  # coarse pixel size (mm)

    def to_source(self, ij: np.ndarray) -> np.ndarray:
        """Coarse (i, j) -> continuous source (i, j) (pixel centres of both grids cover the same extent)."""
        return (np.asarray(ij, dtype=float) + 0.5) / self.zoom - 0.5

    def to_coarse(self, ij: np.ndarray) -> np.ndarray:
        return (np.asarray(ij, dtype=float) + 0.5) * self.zoom - 0.5


def cue_maps(data4d: np.ndarray, spacing: np.ndarray, slices: range, use_blob: bool = True,
             use_harmonic: bool = True) -> CueMaps:
    """Mean, blob and first-harmonic maps of a (x, y, z, t) cine on a grid of about ANALYSIS_MM pixels."""
    n_frames = data4d.shape[3]
    frames = np.unique(np.linspace(0, n_frames - 1, min(n_frames, MAX_FRAMES)).round().astype(int))
    data = normalise(data4d[..., frames])
    zoom = np.minimum(1.0, np.asarray(spacing[:2], dtype=float) / ANALYSIS_MM)
    mean = ndimage.zoom(data.mean(axis=3), (*zoom, 1.0), order=1, grid_mode=True, mode="nearest")
    zoom = np.array(mean.shape[:2], dtype=float) / np.array(data4d.shape[:2], dtype=float)
    spacing2d = np.asarray(spacing[:2], dtype=float) / zoom
    harmonic = None
    if use_harmonic and len(frames) > 1:
        amp = first_harmonic(data, frames, n_frames)
        if float(amp.max()) > 1e-3:
            amp = ndimage.zoom(amp, (*zoom, 1.0), order=1, grid_mode=True, mode="nearest")
            amp = ndimage.gaussian_filter(amp, sigma=(*(MOTION_SMOOTH_MM / spacing2d), 0.0))
            scale = float(np.percentile(amp[..., slices.start:slices.stop], 99.5))
            harmonic = np.clip(amp / max(scale, 1e-6), 0.0, 1.0)
    if use_blob:
        blob = np.stack([blob_response(mean[..., k], spacing2d)
                         for k in range(mean.shape[2])], axis=-1)
    else:
        blob = np.ones_like(mean)
    return CueMaps(mean=mean, blob=blob, harmonic=harmonic, zoom=zoom, spacing2d=spacing2d)
