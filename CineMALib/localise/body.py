"""Where the body is: air is dark and connected to the image border; the torso is a large connected region.

Why: outside the body there is no heart, yet bright round things turn up there (a coil marker, an arm in cross
section, ghosting); they must not become candidates. Physics: air gives no MR signal, so its intensity is the noise
floor, far below any tissue; anatomy: the heart lies inside a chest cross-section far larger than a 100 mm disc.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from CineMALib.localise.pool import otsu_threshold

MIN_BODY_MM2 = np.pi * 50.0 ** 2  # a chest cross-section holding a heart is much larger than a 100 mm disc
AIR_FRACTION = 0.25  # air (noise floor) is far darker than Otsu's dark/bright threshold; tissue is not
SMOOTH_MM = 2.0


def body_mask_2d(image2d: np.ndarray, spacing2d: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Pixels inside the body on one slice: not dark-and-border-connected air, in a component >= MIN_BODY_MM2
    (every pixel when the slice has no air touching its border, e.g. a field of view inside the chest)."""
    smooth = ndimage.gaussian_filter(image2d, SMOOTH_MM / np.asarray(spacing2d, dtype=float))
    if threshold is None:
        threshold = AIR_FRACTION * otsu_threshold(smooth.ravel())
    dark = smooth < threshold
    labels, _ = ndimage.label(dark)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    air = np.isin(labels, border[border > 0])
    if not air.any():
        return np.ones(image2d.shape, dtype=bool)
    components, n = ndimage.label(~air)
    if n == 0:
        return np.zeros(image2d.shape, dtype=bool)
    areas = ndimage.sum_labels(np.ones_like(components), components, index=np.arange(1, n + 1))
    pixel_mm2 = float(spacing2d[0] * spacing2d[1])
    keep = np.flatnonzero(areas * pixel_mm2 >= MIN_BODY_MM2) + 1
    if keep.size == 0:  # a small field of view or an unusual image: remove nothing but the air
        keep = np.arange(1, n + 1)
    return np.isin(components, keep)


def body_mask(mean3d: np.ndarray, spacing2d: np.ndarray) -> np.ndarray:
    """Per-slice body mask of a (x, y, z) mean image (one air threshold for the whole stack)."""
    smooth = ndimage.gaussian_filter(mean3d, (*(SMOOTH_MM / np.asarray(spacing2d, dtype=float)), 0.0))
    threshold = AIR_FRACTION * otsu_threshold(smooth.ravel())
    return np.stack([body_mask_2d(mean3d[..., k], spacing2d, threshold) for k in range(mean3d.shape[2])], axis=-1)


DEPTH_SIGMA_MM = 20.0
DEPTH_FLOOR = 0.1


def depth_term(body3d: np.ndarray, spacing2d: np.ndarray) -> np.ndarray:
    """Per pixel, how deep inside the body it lies, as a term in [DEPTH_FLOOR, 1]: 1 - exp(-d^2 / 2 sigma^2) of
    the distance d (mm) to the nearest air pixel. Anatomy: the LV pool centre lies behind the chest wall, the right
    ventricle or the lung, some 35 mm or more from any air, while subcutaneous fat and arms sit at the surface.
    1 everywhere on a slice without air (a field of view inside the chest says nothing about depth)."""
    out = np.ones(body3d.shape, dtype=np.float32)
    for k in range(body3d.shape[2]):
        if body3d[..., k].all():
            continue
        d = ndimage.distance_transform_edt(body3d[..., k], sampling=np.asarray(spacing2d, dtype=float))
        out[..., k] = DEPTH_FLOOR + (1.0 - DEPTH_FLOOR) * (1.0 - np.exp(-d ** 2 / (2.0 * DEPTH_SIGMA_MM ** 2)))
    return out
