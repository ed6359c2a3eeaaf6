"""Heart geometry per frame, in the heart frame (mm): origin = mitral-plane centre at ED, +z apex -> base,
+x towards the LV lateral wall (RV at -x), +y inferior (anterior at -y).

LV cavity = prolate ellipsoid truncated at the mitral plane; its radius is solved each frame in closed form to hit the
target volume. Myocardium = an offset ellipsoid shell whose thickness is solved so that its volume stays constant
(incompressible wall thickens in systole). The epicardial apex is fixed; the mitral plane descends by MAPSE * (1 - s).
RV = a larger truncated ellipsoid on the septal side minus the LV epicardium (a crescent), with its own tricuspid plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from CineMALib.phantom.params import HeartParams, PoseParams

RV_KAPPA = 0.3


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


@dataclass(frozen=True)
class HeartFrame:
    """Rigid map between heart-frame and world (RAS mm) coordinates; ``rotation`` columns are e_x, e_y, e_z in RAS."""

    origin: np.ndarray
    rotation: np.ndarray

    def to_heart(self, world: np.ndarray) -> np.ndarray:
        return (np.asarray(world) - self.origin) @ self.rotation

    def to_world(self, heart: np.ndarray) -> np.ndarray:
        return np.asarray(heart) @ self.rotation.T + self.origin

    def direction_to_world(self, heart_dir: np.ndarray) -> np.ndarray:
        return np.asarray(heart_dir) @ self.rotation.T


def make_heart_frame(pose: PoseParams, origin_offset_mm: float) -> HeartFrame:
    """Heart frame from the pose: e_x points away from the RV (which lies right-anterior of the LV)."""
    ez = _unit(np.asarray(pose.long_axis, dtype=float))
    rv_dir = _unit(np.array([1.0, 0.8, -0.3]))  # RAS: right, anterior, slightly inferior
    ex = -_unit(rv_dir - (rv_dir @ ez) * ez)
    roll = np.deg2rad(pose.roll_deg)
    ey = np.cross(ez, ex)
    ex, ey = np.cos(roll) * ex + np.sin(roll) * ey, -np.sin(roll) * ex + np.cos(roll) * ey
    rotation = np.stack([ex, ey, ez], axis=1)
    origin = np.asarray(pose.lv_centre, dtype=float) + ez * origin_offset_mm  # mitral centre above the LV centre
    return HeartFrame(origin=origin, rotation=rotation)


def cap_factor(semi_long: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Truncated-ellipsoid volume / (pi * a_x * a_y), for the part below z = centre + h (|h| <= semi_long)."""
    return (h + semi_long) - (h**3 + semi_long**3) / (3.0 * semi_long**2)


def truncated_ellipsoid_ml(ax: np.ndarray, ay: np.ndarray, semi_long: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Closed-form volume (mL) of an ellipsoid (semi-axes ax, ay, semi_long) below the plane at height h."""
    return np.pi * ax * ay * cap_factor(semi_long, h) / 1000.0


@dataclass
class HeartShapes:
    """Per-frame shape parameters (arrays of length n_frames unless noted); all lengths in mm, heart frame."""

    s: np.ndarray
    systole: np.ndarray
    z_base: np.ndarray
    lv_c: np.ndarray
    lv_ax: np.ndarray
    lv_ay: np.ndarray
    lv_b: np.ndarray
    epi_ax: np.ndarray
    epi_ay: np.ndarray
    epi_b: np.ndarray
    wall: np.ndarray
    z_apex_epi: float
    lv_volume_ml: np.ndarray
    myo_volume_ml: float
    rv_x: np.ndarray
    rv_y: float
    rv_cut_x: float  # the RV lies at x <= rv_cut_x (septal side)
    rv_c: np.ndarray
    rv_ax: np.ndarray
    rv_ay: np.ndarray
    rv_b: np.ndarray
    z_tv: np.ndarray
    rv_wall: float
    fat: float
    la_xy: tuple[float, float]
    la_semi: np.ndarray  # (n_frames, 3)
    ra_xy: tuple[float, float]
    ra_semi: np.ndarray  # (3,)
    aorta_root_xy: tuple[float, float]
    aorta_dir: np.ndarray  # (3,)
    aorta_radius: float
    papillary_deg: tuple[float, float]

    @property
    def n_frames(self) -> int:
        return int(self.s.shape[0])

    def lv_endo_radius(self, t: int, direction_xy: np.ndarray, z: float) -> float:
        """Radius of the LV cavity at height z along the in-plane unit direction (for landmarks)."""
        return _ellipse_radius(self.lv_ax[t], self.lv_ay[t], self.lv_b[t], z - self.lv_c[t], direction_xy)


def _ellipse_radius(ax: float, ay: float, b: float, dz: float, d: np.ndarray) -> float:
    scale = max(1.0 - (dz / b) ** 2, 0.0)
    return float(np.sqrt(scale) / np.sqrt((d[0] / ax) ** 2 + (d[1] / ay) ** 2))


def _solve_lv(heart: HeartParams, s: np.ndarray) -> dict[str, np.ndarray]:
    """Closed-form cavity radius per frame and a bisection on wall thickness for constant myocardial volume."""
    volume = (heart.lv_edv_ml * (1.0 - heart.lv_ef * (1.0 - s))) * 1000.0  # mm^3
    z_base = -heart.mapse_mm * (1.0 - s)
    gamma, kappa, ell = heart.apex_wall_ratio, heart.kappa, heart.ellipticity
    z_apex_epi = -heart.cavity_length_ed_mm - gamma * heart.wall_ed_mm
    f = (1.0 + kappa) - (1.0 + kappa**3) / 3.0

    def shape(w: np.ndarray) -> dict[str, np.ndarray]:
        length = z_base - (z_apex_epi + gamma * w)
        b = length / (1.0 + kappa)
        area = volume / (np.pi * b * f)
        ax = np.sqrt(area / ell)
        out = {"w": w, "b": b, "c": z_base - kappa * b, "ax": ax, "ay": ell * ax, "B": b + gamma * w}
        out["myo"] = truncated_ellipsoid_ml(ax + w, ell * ax + w, out["B"], kappa * b) - volume / 1000.0
        return out

    myo_target = float(shape(np.array([heart.wall_ed_mm]))["myo"][0])
    lo = np.full_like(s, 0.2 * heart.wall_ed_mm)
    hi = np.full_like(s, 4.0 * heart.wall_ed_mm)
    for _ in range(48):  # myocardial volume grows monotonically with wall thickness
        mid = 0.5 * (lo + hi)
        too_thin = shape(mid)["myo"] < myo_target
        lo, hi = np.where(too_thin, mid, lo), np.where(too_thin, hi, mid)
    out = shape(0.5 * (lo + hi))
    out.update(volume_ml=volume / 1000.0, z_base=z_base, z_apex_epi=np.array(z_apex_epi), myo_target=myo_target)
    return out


def _crescent_ml(rv: dict, lv: dict[str, np.ndarray], epi_ax: np.ndarray, t: int, step: float = 2.0) -> float:
    """RV cavity volume (RV ellipsoid below the tricuspid plane, septal side, minus the LV epicardium), coarse grid."""
    cx, cy, cz = float(rv["x"]), float(rv["y"]), float(rv["c"][t])
    ax, ay, b = float(rv["ax"][t]), float(rv["ay"][t]), float(rv["b"][t])
    x, y, z = np.meshgrid(np.arange(cx - ax, min(cx + ax, rv["cut_x"]), step), np.arange(cy - ay, cy + ay, step),
                          np.arange(cz - b, float(rv["z_tv"][t]), step), indexing="ij")
    in_rv = ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 + ((z - cz) / b) ** 2 <= 1.0
    epi_ay = lv["ay"][t] + lv["w"][t]
    in_epi = (x / epi_ax[t]) ** 2 + (y / epi_ay) ** 2 + ((z - lv["c"][t]) / lv["B"][t]) ** 2 <= 1.0
    in_epi &= z <= lv["z_base"][t]
    return float(np.count_nonzero(in_rv & ~in_epi)) * step**3 / 1000.0


def _solve_rv(heart: HeartParams, s: np.ndarray, lv: dict[str, np.ndarray], epi_ax: np.ndarray) -> dict:
    """RV ellipsoid per frame, cut to the septal side of the heart (x <= cut_x).

    At ED its free wall lies ``rv_width`` x (1.3 x LV cavity radius) outside the LV epicardium and its rim meets the
    epicardium at +-``rv_horn_deg`` from the septum (a crescent); apex 15 % up the LV; tricuspid plane descends by
    TAPSE * (1 - s). The free wall moves in (radius x shrinks a little faster than y); the emptying is bisected so
    that the crescent's EF at the ES frame matches ``heart.rv_ef``.
    """
    z_rv_apex = 0.85 * float(lv["z_apex_epi"])
    z_tv = -heart.tv_offset_mm - heart.tapse_mm * (1.0 - s)
    rv_b = (z_tv - z_rv_apex) / (1.0 + RV_KAPPA)
    r_epi = float(np.sqrt(epi_ax[0] * (lv["ay"][0] + lv["w"][0])))
    width = heart.rv_width * 1.3 * float(np.sqrt(lv["ax"][0] * lv["ay"][0]))  # sized to the cavity, not the wall
    cx = -heart.rv_centre * r_epi
    ax0 = r_epi + width + cx
    horn = np.deg2rad(heart.rv_horn_deg)
    hx = (cx + r_epi * np.cos(horn)) / ax0
    ay0 = r_epi * np.sin(horn) / np.sqrt(max(1.0 - hx * hx, 0.05))
    es = int(np.argmin(s))

    def geometry(ef_ellipsoid: float) -> dict:
        # cross-section area follows the ellipsoid volume over its (shortening) length: ax ~ scale^1.2, ay ~ scale^0.8
        scale = np.sqrt((1.0 - ef_ellipsoid * (1.0 - s)) * rv_b[0] / rv_b)
        return {"ax": ax0 * scale**1.2, "ay": ay0 * scale**0.8, "b": rv_b, "z_tv": z_tv,
                "c": z_tv - RV_KAPPA * rv_b, "x": cx, "y": -0.08 * r_epi, "cut_x": -0.05 * r_epi}

    ed_volume = _crescent_ml(geometry(0.0), lv, epi_ax, 0)
    target = ed_volume * (1.0 - heart.rv_ef * (1.0 - s[es]))
    lo, hi = 0.0, 0.95
    for _ in range(14):  # the ES crescent shrinks monotonically as the ellipsoid empties more
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _crescent_ml(geometry(mid), lv, epi_ax, es) > target else (lo, mid)
    return geometry(0.5 * (lo + hi))


def build_shapes(heart: HeartParams, s: np.ndarray, systole: np.ndarray) -> HeartShapes:
    """All per-frame shapes from the heart parameters and the volume curve s(t)."""
    lv = _solve_lv(heart, s)
    epi_ax, epi_ay = lv["ax"] + lv["w"], lv["ay"] + lv["w"]
    r_epi_ed = float(0.5 * (epi_ax[0] + epi_ay[0]))
    z_apex_epi = float(lv["z_apex_epi"])
    rv = _solve_rv(heart, s, lv, epi_ax)
    rv_ax, rv_ay, rv_b, z_tv = rv["ax"], rv["ay"], rv["b"], rv["z_tv"]
    # Left atrium grows in systole (filling from the veins), sits on the mitral plane posteriorly-inferiorly
    la_semi0 = np.array([0.62, 0.68, 0.78]) * r_epi_ed
    la_semi = la_semi0[None, :] * np.stack([np.ones_like(s), np.ones_like(s), 1.0 + 0.25 * (1.0 - s)], axis=1)
    la_angle = np.deg2rad(60.0)
    base_r = float(np.sqrt(max(1.0 - heart.kappa**2, 0.0)) * lv["ax"][0])
    ao_angle = np.deg2rad(-135.0)
    aorta_radius = float(np.clip(0.42 * base_r, 9.0, 16.0))
    root = 0.95 * (base_r - aorta_radius)
    return HeartShapes(
        s=s, systole=systole, z_base=lv["z_base"], lv_c=lv["c"], lv_ax=lv["ax"], lv_ay=lv["ay"], lv_b=lv["b"],
        epi_ax=epi_ax, epi_ay=epi_ay, epi_b=lv["B"], wall=lv["w"], z_apex_epi=z_apex_epi,
        lv_volume_ml=lv["volume_ml"], myo_volume_ml=float(lv["myo_target"]),
        rv_x=np.full_like(s, rv["x"]), rv_y=rv["y"], rv_cut_x=rv["cut_x"], rv_c=rv["c"], rv_ax=rv_ax, rv_ay=rv_ay,
        rv_b=rv_b,
        z_tv=z_tv, rv_wall=heart.rv_wall_mm, fat=heart.fat_mm,
        la_xy=(0.3 * r_epi_ed * np.cos(la_angle), 0.3 * r_epi_ed * np.sin(la_angle)), la_semi=la_semi,
        ra_xy=(float(rv["x"] - 0.6 * rv["ax"][0]), -0.05 * r_epi_ed), ra_semi=np.array([0.6, 0.62, 0.7]) * r_epi_ed,
        aorta_root_xy=(root * np.cos(ao_angle), root * np.sin(ao_angle)),
        aorta_dir=_unit(np.array([0.35 * np.cos(ao_angle), 0.35 * np.sin(ao_angle), 1.0])),
        aorta_radius=aorta_radius, papillary_deg=(-50.0, 100.0),
    )


def heart_hull_points(shapes: HeartShapes, t: int = 0, n: int = 24) -> np.ndarray:
    """Points on the LV epicardium and RV outer wall at frame t (heart frame), for planning slice coverage.

    Rings are sampled in height up to and including the valve planes (the truncation rims, where an oblique slice
    first meets the base), plus the epicardial apex."""
    theta = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    pts = [np.array([[0.0, 0.0, shapes.z_apex_epi]])]
    lv_top = (float(shapes.z_base[t]) - float(shapes.lv_c[t])) / float(shapes.epi_b[t])
    rv_top = (float(shapes.z_tv[t]) - float(shapes.rv_c[t])) / float(shapes.rv_b[t])
    for frac in np.linspace(-1.0, lv_top, n):
        r = np.sqrt(max(1.0 - frac**2, 0.0))
        pts.append(np.stack([shapes.epi_ax[t] * r * np.cos(theta), shapes.epi_ay[t] * r * np.sin(theta),
                             np.full(n, shapes.lv_c[t] + frac * shapes.epi_b[t])], axis=1))
    for frac in np.linspace(-1.0, rv_top, n):
        r = np.sqrt(max(1.0 - frac**2, 0.0))
        pts.append(np.stack([shapes.rv_x[t] + (shapes.rv_ax[t] + shapes.rv_wall) * r * np.cos(theta),
                             shapes.rv_y + (shapes.rv_ay[t] + shapes.rv_wall) * r * np.sin(theta),
                             np.full(n, shapes.rv_c[t] + frac * shapes.rv_b[t])], axis=1))
    return np.concatenate(pts, axis=0)
