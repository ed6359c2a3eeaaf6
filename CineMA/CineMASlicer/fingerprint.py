"""Content fingerprints stored as node attributes, so the module can tell whether the user edited a result.

Why hashes and not MTime: MTime changes on display tweaks and is not saved in a scene file; a hash of the label
voxels (or landmark positions) survives save/reload and changes only when the content does.
"""

from __future__ import annotations

import hashlib

import numpy as np

#: Node attribute holding the fingerprint of what CineMA wrote into the node.
HASH_ATTRIBUTE = "CineMA.contentSHA256"


def labels_hash(labels: np.ndarray) -> str:
    """SHA-256 of an (i, j, k) uint8 label array and its shape."""
    array = np.ascontiguousarray(np.asarray(labels, dtype=np.uint8))
    digest = hashlib.sha256(repr(array.shape).encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def points_hash(points: dict[str, np.ndarray]) -> str:
    """SHA-256 of named 3-D points rounded to 1 micrometre (sub-micron jitter from file round trips is no edit)."""
    digest = hashlib.sha256()
    for name in sorted(points):
        xyz = np.round(np.asarray(points[name], dtype=float), 3) + 0.0  # +0.0 folds -0.0 into 0.0
        digest.update(f"{name}:{xyz[0]:.3f},{xyz[1]:.3f},{xyz[2]:.3f};".encode())
    return digest.hexdigest()
