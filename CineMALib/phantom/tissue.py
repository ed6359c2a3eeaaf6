"""Tissue classes of sample points: the moving heart (heart frame) painted over a static torso (world frame).

Each class has an intensity in :class:`~CineMALib.phantom.params.ImagingParams.contrast`; class 0 ("none") in the
heart pass means "no cardiac structure here, keep the torso". Labels follow CineMA (0 bg, 1 RV, 2 MYO, 3 LV);
papillary muscles are dark but labelled LV (papillary muscles included in the blood pool, stated in truth.json).
"""

from __future__ import annotations

import numpy as np

from CineMALib.labels import LV, MYO, RV
from CineMALib.phantom.anatomy import HeartShapes

TISSUES: tuple[str, ...] = ("none", "air", "tissue", "fat", "muscle", "lung", "liver", "bone", "vessel", "wall",
                            "myocardium", "lv_blood", "rv_blood", "atrial_blood")
T = {name: np.uint8(i) for i, name in enumerate(TISSUES)}
AORTA_LENGTH_MM = 90.0


def intensity_lut(contrast: dict[str, float]) -> np.ndarray:
    """Class id -> relative intensity (float32)."""
    return np.array([0.0] + [contrast[name] for name in TISSUES[1:]], dtype=np.float32)


def _q(x: np.ndarray, y: np.ndarray, z: np.ndarray, centre: tuple[float, float, float],
       semi: tuple[float, float, float]) -> np.ndarray:
    """Normalised ellipsoid quadratic form (<= 1 inside); float32 in, float32 out."""
    dx = (x - float(centre[0])) * float(1.0 / semi[0])
    dy = (y - float(centre[1])) * float(1.0 / semi[1])
    dz = (z - float(centre[2])) * float(1.0 / semi[2])
    return dx * dx + dy * dy + dz * dz


def _grown(q: np.ndarray, margin: float, radius: float) -> np.ndarray:
    """Inside the ellipsoid grown by ``margin`` mm (approximation exact for a sphere of ``radius``)."""
    return q <= float((1.0 + margin / radius) ** 2)


def classify_heart(q_pts: np.ndarray, sh: HeartShapes, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(tissue class, CineMA label) of heart-frame points (N, 3) at frame t."""
    x, y, z = q_pts[:, 0], q_pts[:, 1], q_pts[:, 2]
    cls = np.zeros(x.shape, dtype=np.uint8)
    lab = np.zeros(x.shape, dtype=np.uint8)
    zb, ztv = float(sh.z_base[t]), float(sh.z_tv[t])
    below_b, below_tv = z <= zb, z <= ztv
    septal = x <= float(sh.rv_cut_x)
    septal_wall = x <= float(sh.rv_cut_x) + sh.rv_wall
    r_epi = 0.5 * float(sh.epi_ax[t] + sh.epi_ay[t])
    r_rv = 0.5 * float(sh.rv_ax[t] + sh.rv_ay[t])
    q_epi = _q(x, y, z, (0.0, 0.0, sh.lv_c[t]), (sh.epi_ax[t], sh.epi_ay[t], sh.epi_b[t]))
    q_rv = _q(x, y, z, (sh.rv_x[t], sh.rv_y, sh.rv_c[t]), (sh.rv_ax[t], sh.rv_ay[t], sh.rv_b[t]))
    la_c = sh.la_semi[t]
    q_la = _q(x, y, z, (sh.la_xy[0], sh.la_xy[1], zb + 0.75 * la_c[2]), tuple(la_c))
    ra = sh.ra_semi
    q_ra = _q(x, y, z, (sh.ra_xy[0], sh.ra_xy[1], ztv + 0.75 * ra[2]), tuple(ra))
    # pericardium / mediastinal tissue hugging the heart, then epicardial and AV-groove fat around the ventricles
    cls[_grown(q_epi, sh.fat + 3.0, r_epi) | (_grown(q_rv, sh.rv_wall + sh.fat + 3.0, r_rv) & septal_wall) |
        (_grown(q_la, 5.0, float(la_c.mean())) & (z > zb - 5.0)) |
        (_grown(q_ra, 5.0, float(ra.mean())) & (z > ztv - 5.0))] = T["tissue"]
    cls[(_grown(q_epi, sh.fat, r_epi) & (z <= zb + 2.0)) |
        (_grown(q_rv, sh.rv_wall + sh.fat, r_rv) & (z <= ztv + 2.0) & septal_wall)] = T["fat"]
    # atria: thin dark walls, bright blood above the valve planes
    cls[(_grown(q_la, 2.0, float(la_c.mean())) & (z > zb - 1.0)) |
        (_grown(q_ra, 2.0, float(ra.mean())) & (z > ztv - 1.0))] = T["wall"]
    cls[((q_la <= 1.0) & ~below_b) | ((q_ra <= 1.0) & ~below_tv)] = T["atrial_blood"]
    # ascending aorta: a tilted tube rooted on the LV base, valve closed in diastole
    root = np.array([sh.aorta_root_xy[0], sh.aorta_root_xy[1], zb], dtype=np.float32)
    d = sh.aorta_dir.astype(np.float32)
    vx, vy, vz = x - root[0], y - root[1], z - root[2]
    axial = vx * d[0] + vy * d[1] + vz * d[2]
    radial2 = vx * vx + vy * vy + vz * vz - axial * axial
    in_tube = (axial >= -1.0) & (axial <= AORTA_LENGTH_MM)
    cls[in_tube & (radial2 <= (sh.aorta_radius + 2.0) ** 2)] = T["wall"]
    ao_blood = in_tube & (axial >= 0.0) & (radial2 <= sh.aorta_radius**2)
    cls[ao_blood] = T["atrial_blood"]
    if not sh.systole[t]:
        cls[ao_blood & (axial <= 1.5)] = T["wall"]
    # RV: free wall, then the crescent (RV ellipsoid minus the LV epicardium)
    cls[_grown(q_rv, sh.rv_wall, r_rv) & (z <= ztv + 1.0) & septal_wall] = T["wall"]
    lv_epi = (q_epi <= 1.0) & below_b
    rv_blood = (q_rv <= 1.0) & below_tv & septal & ~lv_epi
    cls[rv_blood] = T["rv_blood"]
    lab[rv_blood] = RV
    # LV myocardium and cavity (truncated at the mitral plane)
    cls[lv_epi] = T["myocardium"]
    lab[lv_epi] = MYO
    q_endo = _q(x, y, z, (0.0, 0.0, sh.lv_c[t]), (sh.lv_ax[t], sh.lv_ay[t], sh.lv_b[t]))
    cavity = (q_endo <= 1.0) & below_b
    cls[cavity] = T["lv_blood"]
    lab[cavity] = LV
    cls[cavity & _papillary(x, y, z, sh, t)] = T["myocardium"]
    if sh.systole[t]:  # closed mitral and tricuspid leaflets: thin dark discs just above the valve planes
        cls[(z > zb) & (z <= zb + 1.5) & (q_endo <= 1.1)] = T["wall"]
        cls[(z > ztv) & (z <= ztv + 1.5) & (q_rv <= 1.0) & septal & ~lv_epi] = T["wall"]
    return cls, lab


def _papillary(x: np.ndarray, y: np.ndarray, z: np.ndarray, sh: HeartShapes, t: int) -> np.ndarray:
    """Two papillary muscles (anterolateral, posteromedial) standing on the wall in the mid cavity."""
    length = float(sh.z_base[t] - (sh.lv_c[t] - sh.lv_b[t]))
    zc = float(sh.lv_c[t] - sh.lv_b[t]) + 0.42 * length
    inside = np.zeros(x.shape, dtype=bool)
    for deg in sh.papillary_deg:
        a = np.deg2rad(deg)
        r = 0.72 * float(min(sh.lv_ax[t], sh.lv_ay[t]))
        inside |= _q(x, y, z, (r * np.cos(a), r * np.sin(a), zc), (4.5, 4.5, 0.18 * length)) <= 1.0
    return inside


def classify_torso(p: np.ndarray, torso: dict[str, float]) -> np.ndarray:
    """Static torso classes of world (RAS) points (N, 3): subcutaneous fat, chest-wall muscle, lungs on both sides of
    the heart above the diaphragm, liver below it on the right, spine, spinal canal and descending aorta."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    bx, by = torso["bx"], torso["by"]
    cls = np.full(x.shape, T["air"], dtype=np.uint8)
    cls[(x / bx) ** 2 + (y / by) ** 2 <= 1.0] = T["fat"]
    fat, mus = torso["fat"], torso["fat"] + 12.0
    cls[(x / (bx - fat)) ** 2 + (y / (by - fat)) ** 2 <= 1.0] = T["muscle"]
    cls[(x / (bx - mus)) ** 2 + (y / (by - mus)) ** 2 <= 1.0] = T["tissue"]
    # diaphragm: a shallow dome under the apex, higher on the right (RAS +x)
    dx, dy = x - torso["apex_x"], y - torso["apex_y"]
    above = z > torso["diaphragm_z"] + 0.15 * dx - 0.001 * (dx * dx + dy * dy)
    for cx, half in ((0.40 * bx, 0.38 * bx), (-0.42 * bx, 0.42 * bx)):
        in_lung = ((x - cx) / half) ** 2 + ((y + 0.05 * by) / (0.76 * (by - mus))) ** 2 <= 1.0
        cls[in_lung & above] = T["lung"]
    cls[~above & (x > -0.3 * bx) & ((x / (bx - mus)) ** 2 + (y / (by - mus)) ** 2 <= 1.0)] = T["liver"]
    spine_y = -by + 42.0
    cls[x**2 + (y - spine_y) ** 2 <= 18.0**2] = T["bone"]
    cls[x**2 + (y - spine_y + 24.0) ** 2 <= 7.0**2] = T["vessel"]  # spinal canal (bright CSF)
    cls[(x + 26.0) ** 2 + (y - spine_y - 16.0) ** 2 <= 11.0**2] = T["vessel"]  # descending aorta
    return cls
