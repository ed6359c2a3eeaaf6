"""Enclosure by myocardium: rays from a candidate centre must cross a dark band around a bright round pool.

Why: anatomy. The LV blood pool is enclosed all round by myocardium (5-15 mm thick, much darker than blood in cine
bSSFP and gradient echo alike), the septum included; the RV's free wall is thin and its crescent opens onto fat and
lung; the aorta and vessels have thin walls in bright fat; fat and bowel are not ringed by a thick dark band. This is
the single-frame cue that tells the LV from other bright round things when there is no motion to go by.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

N_RAYS = 24
STEP_MM = 1.25
REACH_MM = 55.0
POOL_MM = 5.0  # the pool's own level is read within this radius
MIN_EDGE_MM = 6.0  # an edge nearer than this is the peak sitting on a dark spot, not the pool's border
MAX_EDGE_MM = 45.0  # pools larger than a 45 mm radius are not an LV (dilated LVs reach ~40 mm)
DARK_FRACTION = 0.6  # myocardium is darker than 60 % of the pool's intensity
BAND_MM = 3.75  # and stays dark over at least this depth (it is >= 5 mm thick)
WALL_MAX_MM = 20.0  # the LV wall is 5-15 mm thick: beyond it lies something else (RV blood, fat, lung, liver)
CHANGE = 0.15  # of the pool level: how much the profile must change beyond the wall
ROUND_CV = 0.35  # Gaussian width of the penalty on the edge radius's coefficient of variation


def enclosure(image2d: np.ndarray, centre_ij: np.ndarray, spacing2d: np.ndarray) -> float:
    """Share of rays that leave a bright pool across a dark wall (thinner than WALL_MAX_MM, with something
    brighter or darker beyond it), times how round the pool's edge is; in [0, 1]."""
    angles = np.linspace(0.0, 2.0 * np.pi, N_RAYS, endpoint=False)
    radii = np.arange(0.0, REACH_MM + STEP_MM / 2, STEP_MM)
    di = np.outer(np.cos(angles), radii) / spacing2d[0]
    dj = np.outer(np.sin(angles), radii) / spacing2d[1]
    coords = np.stack([centre_ij[0] + di, centre_ij[1] + dj])
    profiles = ndimage.map_coordinates(image2d, coords.reshape(2, -1), order=1, mode="nearest").reshape(di.shape)
    pool = float(np.median(profiles[:, radii <= POOL_MM]))
    if pool <= 1e-6:
        return 0.0
    dark = profiles < DARK_FRACTION * pool
    band = max(1, int(round(BAND_MM / STEP_MM)))
    run = ndimage.uniform_filter1d(dark.astype(float), size=band, axis=1, origin=-(band // 2)) >= 1.0 - 1e-6
    edges = []
    wall = max(1, int(round(6.0 / STEP_MM)))
    beyond = int(round(WALL_MAX_MM / STEP_MM))
    for ray in range(N_RAYS):
        hit = np.flatnonzero(run[ray] & (radii >= MIN_EDGE_MM) & (radii <= MAX_EDGE_MM))
        if not hit.size:
            continue
        e = int(hit[0])
        level = float(np.median(profiles[ray, e:e + wall]))
        after = profiles[ray, e + wall:e + beyond]
        # a wall, not a step onto a large darker region: beyond it the intensity changes again (up or down)
        if after.size and float(np.abs(after - level).max()) > CHANGE * pool:
            edges.append(radii[e])
    if not edges:
        return 0.0
    share = len(edges) / N_RAYS
    edges = np.array(edges)
    cv = float(edges.std() / max(edges.mean(), 1e-6))
    return share * float(np.exp(-cv ** 2 / (2.0 * ROUND_CV ** 2)))


def enclosure_over(mean3d: np.ndarray, centre_ij: np.ndarray, slices: range, spacing2d: np.ndarray) -> float:
    """Mean enclosure over the given slices at one in-plane position."""
    return float(np.mean([enclosure(mean3d[..., k], centre_ij, spacing2d) for k in slices]))
