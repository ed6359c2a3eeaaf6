"""Remove small disconnected islands (model speckle) from a label map, without losing the apical cap.

Why not plain 3-D connected components: SAX slices lie 8-10 mm apart, so a structure's pieces on neighbouring slices
need not touch face to face. The apical cap of myocardium is a small disc that sits *inside* the ring of the slice
above it (over that slice's blood pool) and shares no voxel column with the ring; 3-D components call it an island
and remove it, losing the whole apical slice of myocardium. Here a slice's piece belongs to the piece on the next
slice when their hole-filled outlines overlap; within a slice, pieces join where they touch or where one lies inside
the other's outline.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: Islands smaller than this fraction of a label's largest connected group are dropped (model speckle).
MIN_COMPONENT_FRACTION = 0.2


def _groups(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-slice pieces of ``mask`` (x, y, z) as one id map (0 off the mask), each piece's group, and the voxel
    count of every group. Graph nodes: the pieces, and each slice's filled outlines (connected parts of the
    hole-filled slice mask); a piece joins the outline that holds it, an outline joins those it overlaps on the next
    slice. Vectorised, so a speckled map (an unsure model) costs no more than a clean one."""
    pieces = np.zeros(mask.shape, dtype=np.int64)
    outlines = np.zeros(mask.shape, dtype=np.int64)
    n_pieces = n_outlines = 0
    for k in range(mask.shape[2]):
        piece, n = ndimage.label(mask[:, :, k])
        pieces[:, :, k] = np.where(piece > 0, piece + n_pieces, 0)
        outline, m = ndimage.label(ndimage.binary_fill_holes(mask[:, :, k]))
        outlines[:, :, k] = np.where(outline > 0, outline + n_outlines, 0)
        n_pieces, n_outlines = n_pieces + n, n_outlines + m
    below, above = outlines[:, :, :-1], outlines[:, :, 1:]
    overlap = (below > 0) & (above > 0)
    rows = np.concatenate([pieces[mask], n_pieces + below[overlap]])
    cols = np.concatenate([n_pieces + outlines[mask], n_pieces + above[overlap]])
    size = n_pieces + n_outlines + 1
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(size, size))
    _, group = connected_components(graph, directed=False)
    return pieces, group, np.bincount(group[pieces[mask]], minlength=int(group.max()) + 1)


def clean_labels(labels: np.ndarray) -> np.ndarray:
    """Set to background every group of a foreground label smaller than ``MIN_COMPONENT_FRACTION`` of that label's
    largest group (``labels`` (x, y, z), in place and returned). Groups: in-plane connected pieces, joined across
    adjacent slices where their filled outlines overlap."""
    for value in np.unique(labels):
        if value == 0:
            continue
        mask = labels == value
        pieces, group, sizes = _groups(mask)
        if np.count_nonzero(sizes) <= 1:
            continue
        small = sizes[group] < MIN_COMPONENT_FRACTION * sizes.max()
        labels[mask & small[pieces]] = 0
    return labels
