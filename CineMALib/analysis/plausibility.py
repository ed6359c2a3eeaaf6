"""Does a SAX segmentation look like a heart? One score in [0, 1] from anatomy, used twice: to verify candidate LV
centres (a crop on each, ED frame) and as the gate after the analysis (:mod:`CineMALib.analysis.gate`).

Why these parts (each 1 where anatomy is ordinary, falling to 0 where it is impossible; ranges from physiology, not
fitted to any data set): on mid-ventricular short-axis slices the LV blood pool is a ring's inside, enclosed by
myocardium all round (papillary muscles lie inside it); the RV lies beside the LV, against the septum; the LV cavity
is 15-85 mm across at end-diastole (small hypertrophied hearts and children to severe dilatation; normal adults
about 38-58 mm) and its wall 3-35 mm thick (thinned scar to severe hypertrophy; normal 6-11 mm); a crop placed on
the LV has the segmentation's LV centroid within about one cavity radius of its centre. Over the whole stack, the
LV blood-pool volume at ED is 20-500 mL (infant to severe dilatation). The score is the geometric mean of the parts,
so one impossible part fails it; ``PASS`` is its midpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from CineMALib.labels import LV, MYO, RV

PASS = 0.5
#: (impossible below, ordinary from, ordinary up to, impossible above): trapezoids in log space.
LV_DIAMETER_MM = (8.0, 15.0, 85.0, 130.0)
WALL_MM = (1.0, 3.0, 35.0, 55.0)
LVEDV_ML = (5.0, 20.0, 500.0, 1000.0)
#: The LV centroid may lie this far (in-plane, mm) from the crop centre before the part starts to fall (a cavity
#: radius) and is impossible beyond the second (outside the heart: cavity radius + wall + RV width).
CENTRED_MM = (25.0, 60.0)
FLOOR = 0.01  # a part's smallest value (so the geometric mean stays defined and one zero part fails)


@dataclass
class Plausibility:
    """The score, its parts (name -> [0, 1]), the LV centroid (RAS mm, whole stack) to re-centre on, and why it is
    low (the weakest parts, in words)."""

    score: float
    parts: dict[str, float] = field(default_factory=dict)
    lv_centroid_world: np.ndarray | None = None

    @property
    def passed(self) -> bool:
        return self.score >= PASS

    def describe(self) -> str:
        parts = ", ".join(f"{name} {value:.2f}" for name, value in self.parts.items())
        return f"score {self.score:.2f}" + (f" ({parts})" if parts else "")


def _trapezoid(value: float, limits: tuple[float, float, float, float]) -> float:
    """1 inside [limits[1], limits[2]], 0 outside [limits[0], limits[3]], linear in log(value) between."""
    lo0, lo1, hi1, hi0 = (np.log(v) for v in limits)
    if not np.isfinite(value) or value <= 0:
        return 0.0
    x = np.log(value)
    if x < lo1:
        return float(np.clip((x - lo0) / (lo1 - lo0), 0.0, 1.0))
    if x > hi1:
        return float(np.clip((hi0 - x) / (hi0 - hi1), 0.0, 1.0))
    return 1.0


def _spacing(affine: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.asarray(affine, dtype=float)[:3, :3], axis=0)


def mid_slices(labels3d: np.ndarray) -> list[int]:
    """The middle third (at least one) of the slices holding LV: mid-ventricular, where the ring is closed."""
    present = np.flatnonzero((labels3d == LV).any(axis=(0, 1)))
    if present.size == 0:
        return []
    n = present.size
    lo, hi = n // 3, n - n // 3
    return [int(k) for k in present[lo:max(hi, lo + 1)]]


def _enclosure(lv: np.ndarray, labels2d: np.ndarray) -> float:
    """Share of the pixels just outside the LV (4-neighbours) that are myocardium."""
    ring = ndimage.binary_dilation(lv) & ~lv
    return float((labels2d[ring] == MYO).mean()) if ring.any() else 0.0


def _wall_mm(lv_area: float, myo_area: float) -> float:
    """Mean wall thickness of an annulus with that cavity and wall area: sqrt(A_myo / pi + r^2) - r."""
    r = np.sqrt(lv_area / np.pi)
    return float(np.sqrt(myo_area / np.pi + r * r) - r)


def _rv_beside(labels2d: np.ndarray) -> float:
    """1 when some RV touches the myocardium (across the septum), else 0."""
    rv = labels2d == RV
    return float(rv.any() and (ndimage.binary_dilation(rv, iterations=2) & (labels2d == MYO)).any())


def score_segmentation(labels3d: np.ndarray, affine: np.ndarray, centre_world: np.ndarray | None = None,
                       whole_stack: bool = False) -> Plausibility:
    """Plausibility of one frame's SAX labels (x, y, z; CineMA labels) on a grid with ``affine``.

    ``centre_world``: the crop centre (RAS mm) whose distance to the LV centroid is scored (in-plane);
    ``whole_stack``: the labels cover the whole LV (after an analysis), so its ED volume is scored too.
    """
    labels3d = np.asarray(labels3d)
    spacing = _spacing(affine)
    pixel_mm2 = float(spacing[0] * spacing[1])
    slices = mid_slices(labels3d)
    if not slices:
        names = ["LV enclosed", "LV diameter", "wall", "RV beside"] + (["centred"] if centre_world is not None else [])
        return Plausibility(0.0, {n: 0.0 for n in names})
    enclosed, diameter, wall, rv = [], [], [], []
    for k in slices:
        plane = labels3d[..., k]
        lv = plane == LV
        lv_area, myo_area = float(lv.sum()) * pixel_mm2, float((plane == MYO).sum()) * pixel_mm2
        enclosed.append(_enclosure(lv, plane))
        diameter.append(_trapezoid(2.0 * np.sqrt(lv_area / np.pi), LV_DIAMETER_MM))
        wall.append(_trapezoid(_wall_mm(lv_area, myo_area), WALL_MM))
        rv.append(_rv_beside(plane))
    parts = {"LV enclosed": float(np.mean(enclosed)), "LV diameter": float(np.mean(diameter)),
             "wall": float(np.mean(wall)), "RV beside": float(np.mean(rv))}
    idx = np.argwhere(labels3d == LV).mean(axis=0)
    centroid = idx @ np.asarray(affine, dtype=float)[:3, :3].T + np.asarray(affine, dtype=float)[:3, 3]
    if centre_world is not None:
        normal = np.asarray(affine, dtype=float)[:3, 2] / max(spacing[2], 1e-9)
        offset = centroid - np.asarray(centre_world, dtype=float).reshape(3)
        in_plane = float(np.linalg.norm(offset - np.dot(offset, normal) * normal))
        near, far = CENTRED_MM
        parts["centred"] = float(np.clip((far - in_plane) / (far - near), 0.0, 1.0))
    if whole_stack:
        volume_ml = float((labels3d == LV).sum()) * pixel_mm2 * float(spacing[2]) / 1000.0
        parts["LV volume"] = _trapezoid(volume_ml, LVEDV_ML)
    score = float(np.exp(np.mean(np.log(np.maximum(list(parts.values()), FLOOR)))))
    return Plausibility(score, parts, centroid)
