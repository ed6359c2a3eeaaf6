"""On a LAX plane with its SAX stack: across the long axis from the plane's image, along it from the SAX stack.

Why: on a long-axis plane the image cues see the LV well across its axis (the septum and the lateral wall are dark
on both sides of the pool) but not along it: the pool runs on through the open mitral valve into the atrium, so the
blob, ring and motion cues see one merged LV + atrium pool and drift towards the base. The SAX stack sees the other
direction: its normal is the LV long axis (a SAX stack is planned perpendicular to it) and the LV centre sits in
its run of LV slices. So the plane's candidate keeps its position across the axis and takes the SAX centre's along
it. No constant is fitted: the only number is how far from the plane the SAX normal may tilt (a LAX plane holds
the long axis).
"""

from __future__ import annotations

import numpy as np

IN_PLANE_MIN = 0.8  # cos of the SAX normal's tilt out of the plane (37 deg): beyond it this is no LAX plane
MAX_MOVE_MM = 30.0  # the SAX prior's own reach: a larger move means the two views disagree, keep the image's


def along_sax_axis(point_world: np.ndarray, sax_centre_world: np.ndarray, sax_normal_world: np.ndarray,
                   plane_normal_world: np.ndarray) -> np.ndarray | None:
    """``point_world`` (on the plane) moved along the SAX normal's in-plane direction to the SAX centre's position
    along it; None when the SAX normal leaves the plane or the move is implausibly large."""
    normal = np.asarray(plane_normal_world, dtype=float)
    normal = normal / np.linalg.norm(normal)
    axis = np.asarray(sax_normal_world, dtype=float)
    axis = axis / np.linalg.norm(axis)
    in_plane = axis - float(axis @ normal) * normal
    if float(np.linalg.norm(in_plane)) < IN_PLANE_MIN:
        return None
    in_plane = in_plane / np.linalg.norm(in_plane)
    point = np.asarray(point_world, dtype=float)
    shift = float((np.asarray(sax_centre_world, dtype=float) - point) @ in_plane)
    if abs(shift) > MAX_MOVE_MM:
        return None
    return point + shift * in_plane
