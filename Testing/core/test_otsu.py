"""Otsu's threshold now comes from scikit-image: it must equal the numpy implementation it replaced (the localisation
and the intensity ED/ES proxy were tuned with it), bin for bin."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.localise.pool import otsu_threshold


def numpy_otsu(values: np.ndarray, bins: int = 128) -> float:
    """The former hand-written version (CineMALib/localise/pool.py before issue 14)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2.0
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    return float(centres[int(np.argmax(w0 * w1 * (mu0 - mu1) ** 2))])


@pytest.mark.parametrize("seed", range(20))
def test_same_threshold_as_the_numpy_version(seed: int) -> None:
    rng = np.random.default_rng(seed)
    dark = rng.normal(rng.uniform(0, 100), rng.uniform(1, 20), rng.integers(50, 3000))
    bright = rng.normal(rng.uniform(150, 400), rng.uniform(1, 40), rng.integers(50, 3000))
    values = np.concatenate([dark, bright]).astype(np.float32 if seed % 2 else np.float64)
    assert otsu_threshold(values) == numpy_otsu(values)
    assert dark.mean() < otsu_threshold(values) < bright.mean()
