"""One frame of named landmarks <-> a ``vtkMRMLMarkupsFiducialNode`` whose control-point labels are the names."""

from __future__ import annotations

from typing import Any

import numpy as np

from .fingerprint import HASH_ATTRIBUTE, points_hash

#: Point-list colour (selected and unselected) so CineMA landmarks stand out from the user's own markups.
LANDMARK_COLOR = (1.0, 0.85, 0.1)


def frame_points(landmarks_world: dict[str, np.ndarray], frame: int) -> dict[str, np.ndarray]:
    """Name -> RAS point at ``frame``, leaving out names whose point is missing (NaN) there."""
    points = {}
    for name, track in landmarks_world.items():
        track = np.asarray(track, dtype=float)
        if frame < track.shape[0] and np.all(np.isfinite(track[frame])):
            points[name] = track[frame]
    return points


def new_fiducials(points: dict[str, np.ndarray]) -> Any:
    """A point list (not in a scene) with one control point per landmark, labelled with its name."""
    import slicer
    import vtk

    node = slicer.vtkMRMLMarkupsFiducialNode()
    for name, xyz in points.items():
        node.AddControlPoint(vtk.vtkVector3d(*(float(v) for v in xyz)), name)
    node.SetAttribute(HASH_ATTRIBUTE, points_hash(points))
    return node


def points_of(node: Any) -> dict[str, np.ndarray]:
    """Label -> RAS position of every defined control point (the user may have moved, added or removed some)."""
    points = {}
    for i in range(node.GetNumberOfControlPoints()):
        if node.GetNthControlPointPositionStatus(i) != node.PositionDefined:
            continue
        xyz = [0.0, 0.0, 0.0]
        node.GetNthControlPointPositionWorld(i, xyz)
        points[node.GetNthControlPointLabel(i)] = np.asarray(xyz, dtype=float)
    return points


def is_fiducials_edited(node: Any) -> bool:
    """True when the points differ from what CineMA wrote."""
    stored = node.GetAttribute(HASH_ATTRIBUTE)
    return stored is None or stored != points_hash(points_of(node))


def style_landmarks(node: Any) -> None:
    """Display colour and text for a point list already in the scene (display nodes need the scene)."""
    node.CreateDefaultDisplayNodes()
    display = node.GetDisplayNode()
    if display is not None:
        display.SetSelectedColor(*LANDMARK_COLOR)
        display.SetColor(*LANDMARK_COLOR)
