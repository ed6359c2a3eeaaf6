"""Known truth of a phantom, two ways (they differ by the disc-summation error, as a real analysis would):

* ``continuous``: the anatomy itself. LV cavity and myocardium from the closed-form truncated-ellipsoid volumes,
  RV crescent from a 0.75 mm midpoint grid; ED/ES = argmax/argmin of the continuous LV volume.
* ``discretised``: voxel counts of the SAX label volumes x (dx * dy * slice pitch), ED/ES = argmax/argmin of that
  LV volume; what a perfect segmentation of these images followed by disc summation gives.

LV mass = myocardial volume at ED x 1.05 g/mL. MAPSE = mean displacement ED -> ES of the four mitral hinges (2C
anterior/inferior, 4C lateral/septal); TAPSE = displacement of the 4C lateral tricuspid hinge. ``MAPSE (mm)`` and
``TAPSE (mm)`` are Euclidean (CineMA's convention); the longitudinal (projected on the long axis) values are extra keys.
"""

from __future__ import annotations

import numpy as np

from CineMALib.labels import LV, MYO, RV
from CineMALib.phantom.anatomy import HeartShapes
from CineMALib.phantom.tissue import classify_heart
from CineMALib.results import TRICUSPID_LATERAL
from CineMALib.study import spacing_from_affine

MYOCARDIAL_DENSITY_G_PER_ML = 1.05
GRID_STEP_MM = 0.75
MITRAL_HINGES: dict[str, tuple[str, ...]] = {"lax_2c": ("mitral_anterior", "mitral_inferior"),
                                              "lax_4c": ("mitral_lateral", "mitral_septal")}
CONVENTIONS: dict[str, str] = {
    "ED/ES": "ED = argmax, ES = argmin of the LV blood-pool volume over frames (0-based frame indices); RV values at "
             "the LV-defined ED/ES frames",
    "discretised": "voxel count of the SAX label map (labels taken at slice centre) x dx*dy*slice pitch",
    "continuous": "LV cavity and myocardium: closed-form truncated-ellipsoid volumes; RV: 0.75 mm midpoint grid",
    "LV mass": "myocardial volume at ED x 1.05 g/mL",
    "papillary muscles": "included in the LV blood pool (label 3)",
    "MAPSE (mm)": "Euclidean displacement ED->ES, mean of the 2C anterior/inferior and 4C lateral/septal hinges",
    "TAPSE (mm)": "Euclidean displacement ED->ES of the 4C lateral tricuspid hinge",
    "longitudinal": "displacement projected on the LV long axis (apex->base unit vector)",
    "labels": "0 background, 1 RV blood pool, 2 LV myocardium, 3 LV blood pool (CineMA/ACDC order)",
}


def grid_label_volumes(shapes: HeartShapes, t: int, lo: np.ndarray, hi: np.ndarray,
                       step: float = GRID_STEP_MM) -> dict[int, float]:
    """Label volumes (mL) at frame t counted on a midpoint grid over the heart-frame box [lo, hi]."""
    axes = [np.arange(a + 0.5 * step, b, step, dtype=np.float32) for a, b in zip(lo, hi)]
    counts = {RV: 0, MYO: 0, LV: 0}
    gx, gy = np.meshgrid(axes[0], axes[1], indexing="ij")
    plane = np.stack([gx.ravel(), gy.ravel()], axis=1)
    for chunk in np.array_split(axes[2], max(1, len(axes[2]) // 24)):
        pts = np.empty((plane.shape[0] * len(chunk), 3), dtype=np.float32)
        pts[:, :2] = np.tile(plane, (len(chunk), 1))
        pts[:, 2] = np.repeat(chunk, plane.shape[0])
        _, lab = classify_heart(pts, shapes, t)
        binc = np.bincount(lab, minlength=4)
        for key in counts:
            counts[key] += int(binc[key])
    return {key: value * step**3 / 1000.0 for key, value in counts.items()}


def rv_box(shapes: HeartShapes, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Heart-frame bounds of the RV cavity at frame t."""
    lo = np.array([shapes.rv_x[t] - shapes.rv_ax[t], shapes.rv_y - shapes.rv_ay[t], shapes.rv_c[t] - shapes.rv_b[t]])
    hi = np.array([shapes.rv_x[t] + shapes.rv_ax[t], shapes.rv_y + shapes.rv_ay[t], shapes.z_tv[t]])
    return lo, hi


def displacement(points: dict[str, np.ndarray], names: tuple[str, ...], ed: int, es: int,
                 axis: np.ndarray) -> tuple[float, float]:
    """(longitudinal, Euclidean) displacement ED -> ES averaged over the named points (world mm)."""
    deltas = np.stack([points[name][ed] - points[name][es] for name in names])
    return float(np.mean(np.abs(deltas @ axis))), float(np.mean(np.linalg.norm(deltas, axis=1)))


def summarise(lv: np.ndarray, rv: dict[int, float], myo_ed: float, ed: int, es: int,
              landmarks: dict[str, dict[str, np.ndarray]], long_axis: np.ndarray) -> dict[str, float | int]:
    """The measurement table (ukbb_cardiac column names) from volumes at ED/ES and the landmark tracks."""
    lv_ed, lv_es = float(lv[ed]), float(lv[es])
    rv_ed, rv_es = float(rv[ed]), float(rv[es])
    hinges = [(view, name) for view, names in MITRAL_HINGES.items() for name in names if view in landmarks]
    mitral = {f"{v}/{n}": landmarks[v][n] for v, n in hinges}
    mapse_long, mapse_euc = displacement(mitral, tuple(mitral), ed, es, long_axis)
    tricuspid = {"tv": landmarks["lax_4c"][TRICUSPID_LATERAL]}
    tapse_long, tapse_euc = displacement(tricuspid, ("tv",), ed, es, long_axis)
    return {
        "LVEDV (mL)": lv_ed, "LVESV (mL)": lv_es, "LVSV (mL)": lv_ed - lv_es,
        "LVEF (%)": 100.0 * (lv_ed - lv_es) / lv_ed, "LVM (g)": myo_ed * MYOCARDIAL_DENSITY_G_PER_ML,
        "RVEDV (mL)": rv_ed, "RVESV (mL)": rv_es, "RVSV (mL)": rv_ed - rv_es,
        "RVEF (%)": 100.0 * (rv_ed - rv_es) / rv_ed, "ED frame": int(ed), "ES frame": int(es),
        "MAPSE (mm)": mapse_euc, "MAPSE longitudinal (mm)": mapse_long, "MAPSE euclidean (mm)": mapse_euc,
        "TAPSE (mm)": tapse_euc, "TAPSE longitudinal (mm)": tapse_long, "TAPSE euclidean (mm)": tapse_euc,
    }


def label_volume_curves(labels: np.ndarray, affine: np.ndarray) -> dict[int, np.ndarray]:
    """Per-frame label volumes (mL) of a SAX label map: voxel count x dx*dy*slice pitch."""
    voxel_ml = float(np.prod(spacing_from_affine(affine))) / 1000.0
    return {key: (labels == key).sum(axis=(0, 1, 2)).astype(float) * voxel_ml for key in (RV, MYO, LV)}


def continuous_truth(shapes: HeartShapes, landmarks: dict[str, dict[str, np.ndarray]],
                     long_axis: np.ndarray) -> dict[str, float | int]:
    lv = shapes.lv_volume_ml
    ed, es = int(np.argmax(lv)), int(np.argmin(lv))
    rv = {t: grid_label_volumes(shapes, t, *rv_box(shapes, t))[RV] for t in sorted({ed, es})}
    return summarise(lv, rv, shapes.myo_volume_ml, ed, es, landmarks, long_axis)


def discretised_truth(sax_labels: np.ndarray, sax_affine: np.ndarray, landmarks: dict[str, dict[str, np.ndarray]],
                      long_axis: np.ndarray) -> tuple[dict[str, float | int], dict[int, np.ndarray]]:
    curves = label_volume_curves(sax_labels, sax_affine)
    ed, es = int(np.argmax(curves[LV])), int(np.argmin(curves[LV]))
    rv = {t: float(curves[RV][t]) for t in (ed, es)}
    return summarise(curves[LV], rv, float(curves[MYO][ed]), ed, es, landmarks, long_axis), curves
