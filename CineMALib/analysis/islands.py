"""Remove small disconnected islands (model speckle) from a label map, without losing the apical cap.

Why not plain 3-D connected components: SAX slices lie 8-10 mm apart, so a structure's pieces on neighbouring slices
need not touch face to face. The apical cap of myocardium is a small disc that sits *inside* the ring of the slice
above it (over that slice's blood pool) and shares no voxel column with the ring; 3-D components call it an island
and remove it, losing the whole apical slice of myocardium. Here a slice's piece belongs to the piece on the next
slice when their hole-filled outlines overlap; within a slice, pieces join only where they touch, as before.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Islands smaller than this fraction of a label's largest connected group are dropped (model speckle).
MIN_COMPONENT_FRACTION = 0.2


class _Groups:
    """Union-find over the per-slice pieces of one label."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _slice_pieces(mask: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(slice index, piece mask, hole-filled piece) for every in-plane connected piece of ``mask`` (x, y, z)."""
    pieces = []
    for k in range(mask.shape[2]):
        comp, n = ndimage.label(mask[:, :, k])
        for i in range(1, n + 1):
            piece = comp == i
            pieces.append((k, piece, ndimage.binary_fill_holes(piece)))
    return pieces


def clean_labels(labels: np.ndarray) -> np.ndarray:
    """Set to background every group of a foreground label smaller than ``MIN_COMPONENT_FRACTION`` of that label's
    largest group (``labels`` (x, y, z), in place and returned). Groups: in-plane connected pieces, linked across
    adjacent slices where their filled outlines overlap."""
    for value in np.unique(labels):
        if value == 0:
            continue
        pieces = _slice_pieces(labels == value)
        groups = _Groups(len(pieces))
        by_slice: dict[int, list[int]] = {}
        for i, (k, _, _) in enumerate(pieces):
            by_slice.setdefault(k, []).append(i)
        for i, (k, _, filled) in enumerate(pieces):
            for j in by_slice.get(k + 1, []):
                if np.logical_and(filled, pieces[j][2]).any():
                    groups.join(i, j)
        sizes: dict[int, int] = {}
        for i, (_, piece, _) in enumerate(pieces):
            root = groups.find(i)
            sizes[root] = sizes.get(root, 0) + int(piece.sum())
        if len(sizes) <= 1:
            continue
        smallest_kept = MIN_COMPONENT_FRACTION * max(sizes.values())
        for i, (k, piece, _) in enumerate(pieces):
            if sizes[groups.find(i)] < smallest_kept:
                labels[:, :, k][piece] = 0
    return labels
