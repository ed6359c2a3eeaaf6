"""Tell 2-, 3- and 4-chamber long-axis planes apart from geometry alone (when no description names them).

Every long-axis (LAX) plane contains the LV long axis ``u``; what differs is its rotation about ``u``. We measure
that rotation as the angle of the plane's trace in the short-axis plane, about ``u`` pointing from base to apex
(towards the patient's left, anterior and inferior), from a reference trace: the one of a plane whose normal is the
patient's superior axis projected off ``u`` (an ideal horizontal long axis, i.e. 4-chamber view).

Planning practice: the 2C plane is usually prescribed roughly perpendicular to the 4C plane (through the anterior
and inferior walls), and the 3C plane through the LV outflow tract and aortic valve, a further 45-60 deg on (the
anteroseptal and inferolateral walls). About ``u`` (base to apex) the traces therefore sit near 0 (4C), 85 (2C) and
130 deg (3C): :data:`LAX_CENTRES_DEG`, the layout of the team phantom's planning too (4C 0, 2C -90, 3C -135 deg
+/- 10 about its apex-to-base axis, i.e. +90 and +135 about ours). A real 4C plane can sit 30 deg or more off the
reference, so with two or more unnamed planes a common offset is fitted and mainly their *relative* angles decide;
one plane alone goes to the nearest centre. Angles are modulo 180 deg (a plane has no front).
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

LAX_CENTRES_DEG: dict[str, float] = {"lax_4c": 0.0, "lax_2c": 85.0, "lax_3c": 130.0}
SUPERIOR_LPS = np.array([0.0, 0.0, 1.0])
APEX_LPS = np.array([1.0, -1.0, -1.0]) / np.sqrt(3.0)  # patient left, anterior, inferior (LPS)
OFFSET_WEIGHT = 0.25  # prior on the common offset, relative to the per-plane residuals


def _unit(v: np.ndarray) -> np.ndarray:
    return np.asarray(v, dtype=float) / np.linalg.norm(v)


def apex_pointing(axis: np.ndarray) -> np.ndarray:
    """The long axis as a unit vector pointing from base to apex (LPS)."""
    u = _unit(axis)
    return -u if u @ APEX_LPS < 0 else u


def long_axis_from_planes(normals: list[np.ndarray]) -> np.ndarray | None:
    """The line shared by two LAX planes (their normals' cross product), or None if they are nearly parallel."""
    for a in range(len(normals)):
        for b in range(a + 1, len(normals)):
            axis = np.cross(normals[a], normals[b])
            if np.linalg.norm(axis) > 0.3:
                return apex_pointing(axis)
    return None


def trace_angle_deg(lax_normal: np.ndarray, long_axis: np.ndarray) -> float:
    """Rotation (0-180 deg) about the apex-pointing long axis of a LAX plane's trace, from the reference trace."""
    u = apex_pointing(long_axis)
    s = SUPERIOR_LPS - (SUPERIOR_LPS @ u) * u
    if np.linalg.norm(s) < 1e-6:  # long axis exactly head-foot: fall back to the anterior axis
        s = np.array([0.0, -1.0, 0.0]) - (u[1] * -1.0) * u
    reference = np.cross(u, _unit(s))
    trace = np.cross(u, _unit(lax_normal))
    if np.linalg.norm(trace) < 1e-6:
        return float("nan")  # the plane is perpendicular to the long axis: not a LAX plane
    trace = _unit(trace)
    angle = np.degrees(np.arctan2(u @ np.cross(reference, trace), reference @ trace))
    return float(angle % 180.0)


def _circ(delta: float) -> float:
    """Distance between two angles modulo 180 (0-90)."""
    d = abs(delta) % 180.0
    return min(d, 180.0 - d)


def _circular_mean(angles: list[float]) -> float:
    """Mean of angles modulo 180 (doubled-angle trick)."""
    z = np.mean(np.exp(2j * np.radians(angles)))
    return float(np.degrees(np.angle(z)) / 2.0)


def assign_by_angle(angles: list[float], free: list[str]) -> list[str] | None:
    """A distinct view name per angle (same order) that best fits the anatomical centres, or None if impossible."""
    if len(angles) > len(free) or not angles or not np.all(np.isfinite(angles)):
        return None
    best, best_cost = None, np.inf
    for names in permutations(free, len(angles)):
        centres = [LAX_CENTRES_DEG[n] for n in names]
        offset = _circular_mean([a - c for a, c in zip(angles, centres)])
        cost = sum(_circ(a - c - offset) ** 2 for a, c in zip(angles, centres)) + OFFSET_WEIGHT * _circ(offset) ** 2
        if cost < best_cost:
            best, best_cost = list(names), cost
    return best
