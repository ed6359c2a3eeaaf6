"""Snap a blob peak to the centroid of the bright blood pool around it (plus the small image helpers it needs).

Why: the scale-space peak of a blob sits where the Laplacian is strongest, which for a D-shaped or partly dark
(trabeculated, papillary muscles) pool is a few mm off its centroid; the label-derived centres the models were
trained with are pool centroids.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SNAP_MAX_MM = 20.0  # the pool centroid may move the blob peak this far at most (else the pool leaked)
SEARCH_MM = 45.0


def disk_footprint(radius_mm: float, spacing2d: np.ndarray) -> np.ndarray:
    """A 2-D disk structuring element of ``radius_mm`` on an anisotropic pixel grid."""
    r = np.maximum(np.ceil(radius_mm / np.asarray(spacing2d, dtype=float)), 1).astype(int)
    a, b = np.ogrid[-r[0]:r[0] + 1, -r[1]:r[1] + 1]
    return (a * spacing2d[0]) ** 2 + (b * spacing2d[1]) ** 2 <= radius_mm ** 2


def otsu_threshold(values: np.ndarray, bins: int = 128) -> float:
    """Otsu's threshold of a sample over ``bins`` histogram bins: scikit-image's ``threshold_otsu`` (the value of
    the last bin centre of the dark class; a constant sample gives its value). Imported here, not at module level,
    because a bare Slicer lacks scikit-image until the module's installer has run."""
    from skimage.filters import threshold_otsu

    return float(threshold_otsu(np.asarray(values).ravel(), nbins=bins))


def snap_to_pool(image2d: np.ndarray, peak: tuple[int, int], spacing2d: np.ndarray,
                 max_move_mm: float = SNAP_MAX_MM) -> tuple[np.ndarray, bool]:
    """Centroid of the bright component at the peak (Otsu threshold within 45 mm, 3 mm opening to cut thin
    bridges); the peak itself if the component is implausible (too small or large, a crescent, leaked)."""
    i0, j0 = (int(v) for v in peak)
    r = np.ceil(SEARCH_MM / np.asarray(spacing2d, dtype=float)).astype(int)
    lo = np.array([max(0, i0 - r[0]), max(0, j0 - r[1])])
    hi = np.array([min(image2d.shape[0], i0 + r[0] + 1), min(image2d.shape[1], j0 + r[1] + 1)])
    patch = image2d[lo[0]:hi[0], lo[1]:hi[1]]
    local = (i0 - lo[0], j0 - lo[1])
    ii, jj = np.indices(patch.shape, dtype=float)
    disk = np.hypot((ii - local[0]) * spacing2d[0], (jj - local[1]) * spacing2d[1]) <= SEARCH_MM
    values = patch[disk]
    if values.size < 10 or float(values.max() - values.min()) < 1e-6:
        return np.asarray(peak, dtype=float), False
    bright = ndimage.binary_opening((patch > otsu_threshold(values)) & disk, disk_footprint(3.0, spacing2d))
    components, _ = ndimage.label(bright)
    label = components[local]
    if label == 0:
        return np.asarray(peak, dtype=float), False
    member = components == label
    area_mm2 = float(member.sum() * spacing2d[0] * spacing2d[1])
    if not np.pi * 6.0 ** 2 <= area_mm2 <= np.pi * 40.0 ** 2:
        return np.asarray(peak, dtype=float), False
    centroid = np.argwhere(member).mean(axis=0)
    moved_mm = float(np.hypot(*((centroid - np.asarray(local)) * spacing2d)))
    if not member[tuple(np.rint(centroid).astype(int))] or moved_mm > max_move_mm:
        return np.asarray(peak, dtype=float), False  # a crescent, or the LV merged with the RV/atrium
    return centroid + lo, True
