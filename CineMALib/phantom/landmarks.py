"""Landmark truth per frame: mitral hinge points where each LAX plane cuts the cavity rim on the mitral plane, the
epicardial apex (on the long axis, hence in every LAX plane) and, on 4C, the lateral tricuspid hinge (RV free wall
on the tricuspid plane). All points lie exactly in their LAX plane because every LAX plane contains the long axis.
"""

from __future__ import annotations

import numpy as np

from CineMALib.phantom.anatomy import HeartFrame, HeartShapes
from CineMALib.phantom.geometry import PlaneStack
from CineMALib.results import LANDMARK_NAMES, TRICUSPID_LATERAL


def _direction(stack: PlaneStack) -> np.ndarray:
    a = np.deg2rad(float(stack.heart_angle_deg))
    return np.array([np.cos(a), np.sin(a)])


def _tricuspid_hinge(shapes: HeartShapes, t: int, d: np.ndarray) -> np.ndarray:
    """RV ellipsoid rim on the tricuspid plane along -d (septal side of the 4C plane, the RV free wall)."""
    ax, ay = float(shapes.rv_ax[t]), float(shapes.rv_ay[t])
    cx, cy = float(shapes.rv_x[t]), float(shapes.rv_y)
    z = float(shapes.z_tv[t])
    k = 1.0 - ((z - float(shapes.rv_c[t])) / float(shapes.rv_b[t])) ** 2
    # points -s*d, s > 0: ((-s dx - cx)/ax)^2 + ((-s dy - cy)/ay)^2 = k
    qa = (d[0] / ax) ** 2 + (d[1] / ay) ** 2
    qb = 2.0 * (d[0] * cx / ax**2 + d[1] * cy / ay**2)
    qc = (cx / ax) ** 2 + (cy / ay) ** 2 - k
    s = (-qb + np.sqrt(max(qb * qb - 4.0 * qa * qc, 0.0))) / (2.0 * qa)
    return np.array([-s * d[0], -s * d[1], z])


def heart_landmarks(stack: PlaneStack, shapes: HeartShapes) -> dict[str, np.ndarray]:
    """Heart-frame landmarks (name -> (t, 3)) of a 2C or 4C plane."""
    d = _direction(stack)
    n = shapes.n_frames
    if stack.name == "lax_4c":  # d points laterally (+x)
        sign = 1.0 if d[0] >= 0 else -1.0
        positive, negative = "mitral_lateral", "mitral_septal"
    elif stack.name == "lax_2c":  # anterior is -y
        sign = 1.0 if d[1] <= 0 else -1.0
        positive, negative = "mitral_anterior", "mitral_inferior"
    else:
        return {}
    d = sign * d
    out = {positive: np.zeros((n, 3)), negative: np.zeros((n, 3)), "apex": np.zeros((n, 3))}
    for t in range(n):
        z = float(shapes.z_base[t])
        for name, vec in ((positive, d), (negative, -d)):
            r = shapes.lv_endo_radius(t, vec, z)
            out[name][t] = (r * vec[0], r * vec[1], z)
        out["apex"][t] = (0.0, 0.0, shapes.z_apex_epi)
    if stack.name == "lax_4c":
        out[TRICUSPID_LATERAL] = np.stack([_tricuspid_hinge(shapes, t, d) for t in range(n)])
    order = LANDMARK_NAMES[stack.name] + ((TRICUSPID_LATERAL,) if stack.name == "lax_4c" else ())
    return {name: out[name] for name in order}


def world_landmarks(stacks: dict[str, PlaneStack], frame: HeartFrame,
                    shapes: HeartShapes) -> dict[str, dict[str, np.ndarray]]:
    """RAS landmarks per LAX view that has landmark names (2C, 4C)."""
    result: dict[str, dict[str, np.ndarray]] = {}
    for view in LANDMARK_NAMES:
        if view in stacks:
            result[view] = {name: frame.to_world(pts) for name, pts in heart_landmarks(stacks[view], shapes).items()}
    return result
