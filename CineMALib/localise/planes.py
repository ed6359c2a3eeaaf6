"""Long-axis geometry from the affines alone: the LV long axis is where the 2C and 4C (and 3C) planes meet.

Why: every long-axis plane is planned through the LV apex and the middle of the mitral valve, so the planes share
the LV long axis; the SAX LV centre on each slice is where that line crosses the slice (what the UK Biobank
pipeline and ukbb_cardiac use to crop). With a single LAX plane, the centre lies near that plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from CineMALib.study import CineStudy, CineView

MIN_PLANE_ANGLE_DEG = 20.0  # planes closer to parallel than this do not define a line well


@dataclass
class Plane:
    """A view's plane: a point on it (RAS mm) and its unit normal."""

    point: np.ndarray
    normal: np.ndarray


@dataclass
class Line:
    """A line in RAS mm: a point and a unit direction."""

    point: np.ndarray
    direction: np.ndarray


def plane_of(view: CineView) -> Plane:
    """The plane of a single-slice view (through its slice centre, normal = i x j)."""
    normal = np.cross(view.affine[:3, 0], view.affine[:3, 1])
    centre = np.array([(view.shape[0] - 1) / 2.0, (view.shape[1] - 1) / 2.0, 0.0, 1.0])
    return Plane(point=(view.affine @ centre)[:3], normal=normal / np.linalg.norm(normal))


def intersection_line(planes: list[Plane], near: np.ndarray) -> Line | None:
    """Least-squares line shared by two or more planes (direction: the normals' common null vector), its point
    the one nearest ``near``; None when the planes are nearly parallel."""
    if len(planes) < 2:
        return None
    normals = np.array([p.normal for p in planes])
    _, sv, vt = np.linalg.svd(normals)
    direction = vt[-1]
    # the second-smallest singular value measures how far from parallel the planes are
    if sv[1] < np.sin(np.radians(MIN_PLANE_ANGLE_DEG)):
        return None
    rhs = np.array([p.normal @ p.point for p in planes] + [direction @ np.asarray(near, dtype=float)])
    point = np.linalg.lstsq(np.vstack([normals, direction]), rhs, rcond=None)[0]
    return Line(point=point, direction=direction)


def distance_to_line(points: np.ndarray, line: Line) -> np.ndarray:
    """Perpendicular distance (mm) of (..., 3) points from a line."""
    rel = np.asarray(points, dtype=float) - line.point
    return np.linalg.norm(rel - (rel @ line.direction)[..., None] * line.direction, axis=-1)


def distance_to_plane(points: np.ndarray, plane: Plane) -> np.ndarray:
    return np.abs((np.asarray(points, dtype=float) - plane.point) @ plane.normal)


def line_through_slice(line: Line, affine: np.ndarray, k: float) -> np.ndarray | None:
    """Voxel (i, j, k) where the line crosses slice ``k`` of a stack; None if the line runs within the slice."""
    normal = np.cross(affine[:3, 0], affine[:3, 1])
    origin = (affine @ [0.0, 0.0, k, 1.0])[:3]
    denom = float(line.direction @ normal)
    if abs(denom) < 1e-6 * np.linalg.norm(normal):
        return None
    t = float((origin - line.point) @ normal) / denom
    world = line.point + t * line.direction
    inv = np.linalg.inv(affine)
    return (inv @ np.append(world, 1.0))[:3]


@dataclass
class LaxGeometry:
    """What the study's long-axis planes say about where the LV centre of a view lies."""

    line: Line | None  # the planes' common line (>= 2 planes)
    planes: list[Plane]  # the LAX planes used (other than the view itself)

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Distance (mm) of world points from the long axis (or from the single plane); None if no geometry."""
        if self.line is not None:
            return distance_to_line(points, self.line)
        if len(self.planes) == 1:
            return distance_to_plane(points, self.planes[0])
        raise ValueError("no long-axis geometry: check .kind first")

    @property
    def kind(self) -> str:
        return "line" if self.line is not None else ("plane" if self.planes else "none")


def lax_geometry(study: CineStudy | None, view: CineView) -> LaxGeometry:
    """The LAX planes of ``study`` other than ``view`` and their common line (near the view's centre)."""
    if study is None:
        return LaxGeometry(None, [])
    planes = [plane_of(v) for name, v in study.views.items() if name.startswith("lax") and v is not view
              and v.is_2d]
    centre = view.affine @ np.array([(view.shape[0] - 1) / 2.0, (view.shape[1] - 1) / 2.0,
                                     (view.shape[2] - 1) / 2.0, 1.0])
    line = intersection_line(planes, centre[:3])
    if view.is_2d and line is None and planes:
        # a LAX view and one other plane: their own intersection lies in the view and holds the axis
        line = intersection_line(planes + [plane_of(view)], centre[:3])
    return LaxGeometry(line, planes)
