"""Island removal keeps the apical cap of myocardium and still drops speckle."""

from __future__ import annotations

import numpy as np

from CineMALib.analysis.islands import clean_labels
from CineMALib.labels import LV, MYO


def _ring_stack() -> np.ndarray:
    """Slices 1-4: an LV blood pool inside a myocardial ring; slice 0: the apical cap, a myocardial disc that lies
    entirely over slice 1's blood pool (no voxel column shared with the ring)."""
    x, y = np.mgrid[:40, :40]
    r = np.hypot(x - 20, y - 20)
    labels = np.zeros((40, 40, 6), dtype=np.uint8)
    for k in range(1, 5):
        labels[:, :, k][r <= 14] = MYO
        labels[:, :, k][r <= 10] = LV
    labels[:, :, 0][r <= 6] = MYO
    return labels


def test_apical_cap_inside_the_ring_above_is_kept() -> None:
    labels = _ring_stack()
    cap = int((labels[:, :, 0] == MYO).sum())
    assert cap < 0.2 * int((labels == MYO).sum())  # small enough that 3-D components would call it an island
    clean_labels(labels)
    assert int((labels[:, :, 0] == MYO).sum()) == cap


def test_speckle_away_from_the_structure_is_removed() -> None:
    labels = _ring_stack()
    labels[35:38, 35:38, 2] = LV  # outside the ring: not part of the blood pool
    labels[2:4, 2:4, 5] = MYO  # on the slice beyond the base, outside every outline
    clean_labels(labels)
    assert not labels[35:38, 35:38, 2].any()
    assert not labels[2:4, 2:4, 5].any()
    assert int((labels[:, :, 1:5] == MYO).sum()) > 0


def test_two_dimensional_maps_keep_in_plane_behaviour() -> None:
    labels = np.zeros((30, 30, 1), dtype=np.uint8)
    labels[5:20, 5:20, 0] = LV
    labels[25:27, 25:27, 0] = LV
    clean_labels(labels)
    assert labels[10, 10, 0] == LV and labels[25, 25, 0] == 0
