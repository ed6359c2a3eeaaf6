"""Oblique imaging planes: a SAX stack perpendicular to the (slightly mis-planned) long axis and 2C/3C/4C planes
that contain the LV long axis. Each plane stack is a voxel grid with a voxel-index -> RAS affine.

Axis convention of every stack: i runs along ``u`` (image columns), j along ``v`` (image rows), k along
``n = u x v`` (so DICOM's slice normal from ImageOrientationPatient points the same way as k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from CineMALib.phantom.anatomy import HeartFrame, HeartShapes, heart_hull_points
from CineMALib.phantom.params import ImagingParams

SLICE_THICKNESS_MM = 8.0
SLICE_PITCH_MM = 10.0
LAX_VIEWS: tuple[str, ...] = ("lax_2c", "lax_3c", "lax_4c")


@dataclass(frozen=True)
class PlaneStack:
    """A stack of parallel planes: origin = centre of voxel (0, 0, 0) in RAS; ``axes`` columns u, v, n (unit)."""

    name: str
    origin: np.ndarray
    axes: np.ndarray
    spacing: tuple[float, float, float]  # du, dv, slice pitch (mm)
    shape: tuple[int, int, int]
    thickness: float
    heart_angle_deg: float | None = None  # LAX only: in-plane direction of the plane about the long axis

    @property
    def affine(self) -> np.ndarray:
        aff = np.eye(4)
        aff[:3, :3] = self.axes * np.asarray(self.spacing)[None, :]
        aff[:3, 3] = self.origin
        return aff

    @property
    def normal(self) -> np.ndarray:
        return self.axes[:, 2]

    def points(self, offsets_mm: np.ndarray, to_frame: np.ndarray | None = None,
               frame_origin: np.ndarray | None = None) -> np.ndarray:
        """Voxel centres (n_offsets, nx, ny, nz, 3), float32, shifted by ``offsets_mm`` along the normal.

        World (RAS) coordinates by default; with ``to_frame`` (3x3, columns = frame axes in RAS) and
        ``frame_origin`` the same points in that frame. Built by broadcasting three 1-D rows (no big matmul)."""
        nx, ny, nz = self.shape
        axes, origin = self.axes * np.asarray(self.spacing)[None, :], np.asarray(self.origin, dtype=float)
        normal = self.normal
        if to_frame is not None:
            axes, normal = to_frame.T @ axes, to_frame.T @ normal
            origin = to_frame.T @ (origin - np.asarray(frame_origin, dtype=float))
        f32 = np.float32
        i = (np.arange(nx)[:, None] * axes[:, 0][None, :]).astype(f32)[None, :, None, None, :]
        j = (np.arange(ny)[:, None] * axes[:, 1][None, :]).astype(f32)[None, None, :, None, :]
        k = (np.arange(nz)[:, None] * axes[:, 2][None, :] + origin).astype(f32)[None, None, None, :, :]
        off = (np.asarray(offsets_mm, dtype=float)[:, None] * normal[None, :]).astype(f32)
        return off[:, None, None, None, :] + k + j + i


def _rotate_about(vec: np.ndarray, axis: np.ndarray, deg: float) -> np.ndarray:
    """Rodrigues rotation of ``vec`` about unit ``axis``."""
    a = np.deg2rad(deg)
    return vec * np.cos(a) + np.cross(axis, vec) * np.sin(a) + axis * (axis @ vec) * (1.0 - np.cos(a))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def plan_sax(frame: HeartFrame, shapes: HeartShapes, imaging: ImagingParams, lv_centre: np.ndarray) -> PlaneStack:
    """SAX stack covering both ventricles at ED from beyond the apex to above the base, 8 mm slices every 10 mm."""
    ex, ey, ez = frame.rotation[:, 0], frame.rotation[:, 1], frame.rotation[:, 2]
    az = np.deg2rad(imaging.sax_tilt_azimuth_deg)
    n = _rotate_about(ez, _unit(np.cos(az) * ex + np.sin(az) * ey), imaging.sax_tilt_deg)
    n = _unit(n)
    u = _rotate_about(_unit(ex - (ex @ n) * n), n, imaging.sax_inplane_deg)
    v = np.cross(n, u)
    hull = frame.to_world(heart_hull_points(shapes, t=0))
    proj = (hull - lv_centre) @ n
    lo, hi = proj.min() - imaging.sax_margin_mm[0], proj.max() + imaging.sax_margin_mm[1]
    nz = int(np.ceil((hi - lo) / SLICE_PITCH_MM)) + 1
    first = 0.5 * (lo + hi) - 0.5 * (nz - 1) * SLICE_PITCH_MM
    nx, ny = imaging.sax_matrix
    du, dv = imaging.sax_spacing
    centre = lv_centre + imaging.sax_offset_mm[0] * u + imaging.sax_offset_mm[1] * v
    origin = centre - 0.5 * (nx - 1) * du * u - 0.5 * (ny - 1) * dv * v + first * n
    return PlaneStack("sax", origin, np.stack([u, v, n], axis=1), (du, dv, SLICE_PITCH_MM), (nx, ny, nz),
                      SLICE_THICKNESS_MM)


def plan_lax(name: str, frame: HeartFrame, shapes: HeartShapes, imaging: ImagingParams) -> PlaneStack:
    """A single long-axis plane containing the LV long axis, apex towards the top rows, one 8 mm slice."""
    theta = imaging.lax_angles_deg[name]
    d_heart = np.array([np.cos(np.deg2rad(theta)), np.sin(np.deg2rad(theta)), 0.0])
    u0 = frame.direction_to_world(d_heart)
    v0 = frame.rotation[:, 2]  # rows run apex -> base
    n = np.cross(u0, v0)
    u = _rotate_about(u0, n, imaging.lax_inplane_deg)
    v = np.cross(n, u)
    mid_z = 0.5 * (shapes.z_apex_epi + 30.0)  # centre between the apex and the atria
    centre = frame.to_world(np.array([0.0, 0.0, mid_z]))
    centre = centre + imaging.lax_offset_mm[0] * u + imaging.lax_offset_mm[1] * v
    nx, ny = imaging.lax_matrix
    d = imaging.lax_spacing
    origin = centre - 0.5 * (nx - 1) * d * u - 0.5 * (ny - 1) * d * v
    return PlaneStack(name, origin, np.stack([u, v, n], axis=1), (d, d, SLICE_THICKNESS_MM), (nx, ny, 1),
                      SLICE_THICKNESS_MM, heart_angle_deg=theta)
