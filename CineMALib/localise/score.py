"""Per-pixel cue terms of a view and their product; which cues set the winner apart from its best rival.

Terms are in [0, 1]. Image cues are relative to the view itself (blob to its best, harmonic to the strongest
motion), so no constant depends on the scanner's units. Soft cues are floored (the geometry cues can be off by a
planning error, the centre prior is weak by design) so that one of them alone never vetoes a position.
"""

from __future__ import annotations

import numpy as np

from CineMALib.localise.cues import CueMaps
from CineMALib.localise.planes import LaxGeometry, line_through_slice
from CineMALib.study import CineView, voxel_to_world, world_to_voxel

MOTION_FLOOR = 0.25
LAX_SIGMA_MM = 12.0  # typical distance of the SAX LV centre from the planned long axis
LAX_FLOOR = 0.2
SAX_PRIOR_SIGMA_MM = 12.0
SAX_PRIOR_FLOOR = 0.0
CENTRE_PRIOR_WEIGHT = 0.15  # weak: at most 15 % of a score, a tie-breaker (hearts sit anywhere in a field of view)
CENTRE_PRIOR_SIGMA = 0.35  # of the field-of-view diagonal
DECIDING_RATIO = 1.1  # a cue "decided" when it favours the winner over the rival by at least this factor


def _gauss(d2: np.ndarray, sigma: float, floor: float) -> np.ndarray:
    return floor + (1.0 - floor) * np.exp(-np.asarray(d2, dtype=float) / (2.0 * sigma ** 2))


def _coarse_world(view: CineView, maps: CueMaps) -> np.ndarray:
    """World (RAS mm) of every coarse pixel centre, (x, y, z, 3)."""
    shape = maps.mean.shape
    ii, jj = np.indices(shape[:2], dtype=float)
    src = maps.to_source(np.stack([ii, jj], axis=-1))
    out = np.empty((*shape, 3))
    for k in range(shape[2]):
        ijk = np.concatenate([src, np.full((*shape[:2], 1), float(k))], axis=-1)
        out[:, :, k] = voxel_to_world(view.affine, ijk)
    return out


def term_maps(view: CineView, maps: CueMaps, enabled: set[str], body: np.ndarray | None,
              geometry: LaxGeometry | None, sax_centre: np.ndarray | None) -> dict[str, np.ndarray]:
    """Each enabled cue as a (x, y, z) map on the coarse grid."""
    shape = maps.mean.shape
    sp = maps.spacing2d
    terms: dict[str, np.ndarray] = {}
    if "blob" in enabled:
        terms["blob"] = maps.blob / max(float(maps.blob.max()), 1e-12)
    if maps.harmonic is not None:
        terms["harmonic"] = MOTION_FLOOR + (1.0 - MOTION_FLOOR) * maps.harmonic
    if body is not None:
        terms["body"] = body
    world = None
    if geometry is not None and geometry.kind != "none":
        world = _coarse_world(view, maps)
        terms["lax-planes"] = _gauss(geometry.distance(world) ** 2, LAX_SIGMA_MM, LAX_FLOOR)
    if sax_centre is not None:
        ij = maps.to_coarse(world_to_voxel(view.affine, sax_centre)[:2])
        ii, jj = np.indices(shape[:2], dtype=float)
        d2 = ((ii - ij[0]) * sp[0]) ** 2 + ((jj - ij[1]) * sp[1]) ** 2
        terms["sax-prior"] = np.repeat(_gauss(d2, SAX_PRIOR_SIGMA_MM, SAX_PRIOR_FLOOR)[..., None], shape[2], axis=2)
    if "centre-prior" in enabled and sax_centre is None:  # on a LAX plane the SAX prior replaces it
        ii, jj = np.indices(shape[:2], dtype=float)
        d2 = ((ii - (shape[0] - 1) / 2.0) * sp[0]) ** 2 + ((jj - (shape[1] - 1) / 2.0) * sp[1]) ** 2
        sigma = CENTRE_PRIOR_SIGMA * float(np.hypot(shape[0] * sp[0], shape[1] * sp[1]))
        prior = 1.0 - CENTRE_PRIOR_WEIGHT + CENTRE_PRIOR_WEIGHT * np.exp(-d2 / (2.0 * sigma ** 2))
        terms["centre-prior"] = np.repeat(prior[..., None], shape[2], axis=2)
    return terms


def cue_values(terms: dict[str, np.ndarray], ij: tuple[int, int], slices: range) -> dict[str, float]:
    """Each cue's mean term over ``slices`` at coarse pixel ``ij``."""
    return {name: float(t[ij[0], ij[1], slices.start:slices.stop].mean()) for name, t in terms.items()}


def decided_by(best: dict[str, float], rival: dict[str, float] | None) -> str:
    """Cues that favour the winner over its best rival (>= 30 mm away) by DECIDING_RATIO, strongest first; all
    cues used when there is no rival."""
    if rival is None:
        return "+".join(best) or "none"
    ratios = {name: best[name] / max(rival.get(name, 0.0), 1e-12) for name in best}
    winners = sorted((r, name) for name, r in ratios.items() if r >= DECIDING_RATIO)
    if not winners:
        winners = [max((r, name) for name, r in ratios.items())]
    return "+".join(name for _, name in reversed(winners))
