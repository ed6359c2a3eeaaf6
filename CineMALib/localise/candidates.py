"""Candidates: peaks of the through-slice consensus of the per-slice score.

Why a consensus: the LV is a tube through the mid slices of a SAX stack, whose axis is close to the stack normal
(the stack is planned perpendicular to it). A position must score well on every mid slice (geometric mean of each
slice's score relative to its own best): a bright moving blob on one slice that does not recur on the neighbouring
slices at the same place (a vessel crossing obliquely, the stomach, a coil marker) is not it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

PEAK_SEPARATION_MM = 20.0
MAX_CANDIDATES = 8
MIN_PEAK_FRACTION = 0.05  # of the best score
RUN_FRACTION = 0.4


def consensus(maps: np.ndarray) -> np.ndarray:
    """Geometric mean over slices (last axis) of each slice's score relative to its own best, in [0, 1]."""
    rel = maps / np.maximum(maps.max(axis=(0, 1), keepdims=True), 1e-12)
    return np.clip(np.exp(np.log(rel + 0.05).mean(axis=2)) - 0.05, 0.0, 1.0)


def peaks(score2d: np.ndarray, spacing2d: np.ndarray, limit: int = MAX_CANDIDATES) -> np.ndarray:
    """Local maxima (i, j) of a score, best first, at least PEAK_SEPARATION_MM apart."""
    best = float(score2d.max())
    if best <= 0.0:
        return np.zeros((0, 2), dtype=int)
    size = np.maximum(3, (np.ceil(PEAK_SEPARATION_MM / spacing2d) // 2 * 2 + 1).astype(int))
    local = (score2d == ndimage.maximum_filter(score2d, size=tuple(size), mode="constant", cval=-np.inf)) \
        & (score2d >= MIN_PEAK_FRACTION * best)
    found = np.argwhere(local)
    found = found[np.argsort(-score2d[local], kind="stable")]
    kept: list[np.ndarray] = []
    for p in found:  # plateaus give neighbouring maxima: keep one per separation disc
        if all(np.hypot(*((p - q) * spacing2d)) >= PEAK_SEPARATION_MM for q in kept):
            kept.append(p)
        if len(kept) == limit:
            break
    return np.array(kept, dtype=int).reshape(-1, 2)


def run_of_slices(column: np.ndarray, slices: range) -> tuple[int, int]:
    """First and last slice of the run, around the best mid slice, whose score stays above RUN_FRACTION of the
    best: the through-plane extent of the LV tube, whose middle is not always the middle of the stack."""
    best = slices.start + int(np.argmax(column[slices.start:slices.stop]))
    keep = column >= RUN_FRACTION * column[best]
    lo = best
    while lo > 0 and keep[lo - 1]:
        lo -= 1
    hi = best
    while hi < len(column) - 1 and keep[hi + 1]:
        hi += 1
    return lo, hi


def middle_of_run(column: np.ndarray, slices: range) -> int:
    """The slice in the middle of :func:`run_of_slices` (rounded down)."""
    lo, hi = run_of_slices(column, slices)
    return (lo + hi) // 2
