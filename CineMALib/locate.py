"""Find the left-ventricle centre without labels, so the model window can be placed on a raw study.

Why classical: the released models need an LV-centred crop before they can run, and the official pipelines took
that centre from ground-truth labels (or from UK-Biobank plane intersections). Here the centre comes from two
image cues that hold on any cine: the LV blood pool is a bright, round blob 10-35 mm in radius surrounded by dark
myocardium (a scale-normalised Laplacian-of-Gaussian peak on the mid slices), and the beating heart is what
changes most over the cardiac cycle (temporal standard deviation). A weak prior towards the middle of the field of
view breaks ties with other bright round things (aorta, stomach). The blob peak is then snapped to the centroid of
the bright blood-pool component around it. A single-frame input works on the blob cue alone.

Long-axis planes: alone, a 4C/3C plane offers the atria and the aortic root as equally good blobs, so a LAX
result without a SAX stack has its confidence cut (it warns). With the study's SAX stack, the SAX centre projected
on the plane steers the search (:func:`locate_study` does SAX first, then each LAX view).

``refine`` lets a caller (the analysis helper) replace the result, e.g. with the centroid of a first-pass
segmentation on the model grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import ndimage

from CineMALib.study import CineStudy, CineView, voxel_to_world, world_to_voxel

BLOB_RADII_MM: tuple[float, ...] = (10.0, 14.0, 19.0, 26.0, 35.0)
LOW_CONFIDENCE = 0.5
MOTION_SMOOTH_MM = 12.0  # spreads the moving wall ring of a beating ventricle into its centre
ANALYSIS_MM = 2.5  # pixel size of the coarse grid the blob search runs on
SAX_PRIOR_SIGMA_MM = 25.0
SNAP_MAX_MM = 20.0  # the pool centroid may move the blob peak this far at most (else the pool leaked)
MAX_FRAMES = 30  # frames (evenly spaced) that enter the statistics; enough for the motion cue, bounded memory


@dataclass
class LVCandidate:
    """One possible LV centre: index in the view's grid (i, j, k), RAS mm, combined score and each cue's score."""

    center_voxel: np.ndarray
    center_world: np.ndarray
    score: float
    cues: dict[str, float] = field(default_factory=dict)


@dataclass
class LVLocation:
    """The located LV centre: index in the view's own grid (i, j, k), RAS mm, confidence in [0, 1].

    ``candidates``: best first, ``candidates[0]`` is the chosen one (empty when none were ranked, e.g. a refined
    or user-given centre); ``cue``: which cues decided (e.g. ``"harmonic+blob+lax-planes"``)."""

    center_voxel: np.ndarray
    center_world: np.ndarray
    confidence: float
    method: str
    warning: str | None = None
    candidates: list[LVCandidate] = field(default_factory=list)
    cue: str = ""


Refiner = Callable[[CineView, LVLocation], LVLocation]


def _normalise(data: np.ndarray) -> np.ndarray:
    """Robust [0, 1] scaling (1st-99th percentile) so thresholds do not depend on the scanner's units."""
    flat = data.reshape(-1)
    lo, hi = np.percentile(flat[:: max(1, flat.size // 2_000_000)], [1.0, 99.0])
    if hi <= lo:
        return np.zeros_like(data, dtype=np.float32)
    return np.clip((data - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def _blob_response(image2d: np.ndarray, spacing2d: np.ndarray) -> np.ndarray:
    """Max over radii of the scale-normalised negative LoG: high at the centre of bright round blobs."""
    best = np.full(image2d.shape, -np.inf, dtype=np.float32)
    for radius in BLOB_RADII_MM:
        sigma_mm = radius / np.sqrt(2.0)
        response = -(sigma_mm ** 2) * ndimage.gaussian_laplace(image2d, sigma=sigma_mm / spacing2d)
        best = np.maximum(best, response)
    return best


def _centre_prior(shape2d: tuple[int, int], spacing2d: np.ndarray) -> np.ndarray:
    """Gaussian weight (sigma = 35 % of the field-of-view diagonal) towards the middle of the plane."""
    ii, jj = np.indices(shape2d, dtype=float)
    di = (ii - (shape2d[0] - 1) / 2.0) * spacing2d[0]
    dj = (jj - (shape2d[1] - 1) / 2.0) * spacing2d[1]
    sigma = 0.35 * float(np.hypot(shape2d[0] * spacing2d[0], shape2d[1] * spacing2d[1]))
    return np.exp(-(di ** 2 + dj ** 2) / (2.0 * sigma ** 2))


def _slice_range(n_slices: int) -> range:
    """The mid-ventricular slices of a stack (middle half), where the LV cavity is largest and roundest."""
    if n_slices <= 2:
        return range(n_slices)
    lo = int(np.floor(0.25 * (n_slices - 1)))
    hi = int(np.ceil(0.75 * (n_slices - 1)))
    return range(lo, hi + 1)


@dataclass
class _Analysis:
    """Per-slice scores on the coarse analysis grid and how that grid maps to the view's own (in-plane)."""

    maps: np.ndarray  # (x, y, z) on the coarse grid
    zoom: np.ndarray  # coarse pixels per source pixel along i, j
    spacing2d: np.ndarray  # coarse pixel size (mm)
    moving: bool

    def to_source(self, ij: np.ndarray) -> np.ndarray:
        """Coarse (i, j) -> continuous source (i, j) (pixel centres of both grids cover the same extent)."""
        return (np.asarray(ij, dtype=float) + 0.5) / self.zoom - 0.5

    def to_coarse(self, ij: np.ndarray) -> np.ndarray:
        return (np.asarray(ij, dtype=float) + 0.5) * self.zoom - 0.5


def _gaussian_around(shape2d: tuple[int, ...], spacing2d: np.ndarray, centre_ij: np.ndarray, sigma_mm: float
                     ) -> np.ndarray:
    ii, jj = np.indices(shape2d[:2], dtype=float)
    d2 = ((ii - centre_ij[0]) * spacing2d[0]) ** 2 + ((jj - centre_ij[1]) * spacing2d[1]) ** 2
    return np.exp(-d2 / (2.0 * sigma_mm ** 2))


def _analyse(view: CineView, slices: range, prior_ij: np.ndarray | None) -> _Analysis:
    """Blob x motion x position scores per slice, computed on a grid of about ANALYSIS_MM pixels (the blobs are
    10-35 mm, so finer pixels only cost time). ``prior_ij``: source (i, j) of a SAX-derived prior, if any."""
    frames = np.unique(np.linspace(0, view.n_frames - 1, min(view.n_frames, MAX_FRAMES)).round().astype(int))
    data = _normalise(view.data[..., frames])
    zoom = np.minimum(1.0, view.spacing[:2] / ANALYSIS_MM)
    mean = ndimage.zoom(data.mean(axis=3), (*zoom, 1.0), order=1, grid_mode=True, mode="nearest")
    zoom = np.array(mean.shape[:2], dtype=float) / np.array(view.shape[:2], dtype=float)
    spacing2d = view.spacing[:2] / zoom
    std = data.std(axis=3)
    moving = len(frames) > 1 and float(std.max()) > 1e-3
    if moving:
        std = ndimage.zoom(std, (*zoom, 1.0), order=1, grid_mode=True, mode="nearest")
        std = ndimage.gaussian_filter(std, sigma=(*(MOTION_SMOOTH_MM / spacing2d), 0.0))
        std = std / max(float(np.percentile(std[..., slices.start:slices.stop], 99.5)), 1e-6)
    analysis = _Analysis(maps=np.empty(0), zoom=zoom, spacing2d=spacing2d, moving=moving)
    if prior_ij is None:
        weight = _centre_prior(mean.shape[:2], spacing2d)
    else:
        weight = _gaussian_around(mean.shape, spacing2d, analysis.to_coarse(prior_ij), SAX_PRIOR_SIGMA_MM)
    maps = []
    for k in range(view.shape[2]):
        score = np.clip(_blob_response(mean[..., k], spacing2d), 0.0, None) * weight
        if moving:
            score = score * (0.25 + np.clip(std[..., k], 0.0, 1.0))
        maps.append(score)
    analysis.maps = np.stack(maps, axis=-1)
    return analysis


def _consensus(maps: np.ndarray) -> np.ndarray:
    """Geometric mean over slices of each slice's score relative to its own best: a position must score well on
    every mid slice (the LV is a tube through the stack), one bright slice alone does not win. In [0, 1]."""
    rel = maps / np.maximum(maps.max(axis=(0, 1), keepdims=True), 1e-12)
    return np.clip(np.exp(np.log(rel + 0.05).mean(axis=2)) - 0.05, 0.0, 1.0)


def _middle_of_run(column: np.ndarray, slices: range) -> int:
    """Middle of the run of slices, around the best mid slice, whose score stays above 40 % of the best: the
    through-plane middle of the LV tube, which is not always the middle of the stack."""
    best = slices.start + int(np.argmax(column[slices.start:slices.stop]))
    keep = column >= 0.4 * column[best]
    lo = best
    while lo > 0 and keep[lo - 1]:
        lo -= 1
    hi = best
    while hi < len(column) - 1 and keep[hi + 1]:
        hi += 1
    return (lo + hi) // 2


def _peak_confidence(score2d: np.ndarray, peak: tuple[int, int], spacing2d: np.ndarray) -> float:
    """1 - (best rival peak farther than 30 mm) / (best peak): near 1 when one blob clearly wins."""
    best = float(score2d[peak])
    if best <= 0:
        return 0.0
    ii, jj = np.indices(score2d.shape, dtype=float)
    far = np.hypot((ii - peak[0]) * spacing2d[0], (jj - peak[1]) * spacing2d[1]) > 30.0
    local_max = score2d == ndimage.maximum_filter(score2d, size=5)
    rivals = score2d[far & local_max]
    rival = float(rivals.max()) if rivals.size else 0.0
    return float(np.clip(1.0 - rival / best, 0.0, 1.0))


def _snap_to_pool(image2d: np.ndarray, peak: tuple[int, int], spacing2d: np.ndarray) -> tuple[np.ndarray, bool]:
    """Centroid of the bright component at the peak (Otsu threshold within 45 mm, 3 mm opening to cut thin
    bridges); the peak itself if the component is implausible."""
    ii, jj = np.indices(image2d.shape, dtype=float)
    dist = np.hypot((ii - peak[0]) * spacing2d[0], (jj - peak[1]) * spacing2d[1])
    disk = dist <= 45.0
    values = image2d[disk]
    if values.size < 10 or float(values.max() - values.min()) < 1e-6:
        return np.asarray(peak, dtype=float), False
    threshold = otsu_threshold(values)
    bright = ndimage.binary_opening((image2d > threshold) & disk, disk_footprint(3.0, spacing2d))
    components, _ = ndimage.label(bright)
    label = components[peak]
    if label == 0:
        return np.asarray(peak, dtype=float), False
    member = components == label
    area_mm2 = float(member.sum() * spacing2d[0] * spacing2d[1])
    if not np.pi * 6.0 ** 2 <= area_mm2 <= np.pi * 40.0 ** 2:
        return np.asarray(peak, dtype=float), False
    centroid = np.argwhere(member).mean(axis=0)
    moved_mm = float(np.hypot(*((centroid - np.asarray(peak)) * spacing2d)))
    if not member[tuple(np.rint(centroid).astype(int))] or moved_mm > SNAP_MAX_MM:
        return np.asarray(peak, dtype=float), False  # a crescent, or the LV merged with the RV/atrium
    return centroid, True


def disk_footprint(radius_mm: float, spacing2d: np.ndarray) -> np.ndarray:
    """A 2-D disk structuring element of ``radius_mm`` on an anisotropic pixel grid."""
    r = np.maximum(np.ceil(radius_mm / np.asarray(spacing2d, dtype=float)), 1).astype(int)
    a, b = np.ogrid[-r[0]:r[0] + 1, -r[1]:r[1] + 1]
    return (a * spacing2d[0]) ** 2 + (b * spacing2d[1]) ** 2 <= radius_mm ** 2


def otsu_threshold(values: np.ndarray, bins: int = 128) -> float:
    """Otsu's threshold of a 1-D sample (numpy only, so no extra dependency)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2.0
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(centres[int(np.argmax(between))])


def _lax_prior_from_sax(view: CineView, study: CineStudy | None, sax_center_world: np.ndarray | None
                        ) -> np.ndarray | None:
    """Source (i, j) of the SAX LV centre projected on a long-axis plane, when available, within 30 mm of the
    plane and inside its field of view (it becomes a Gaussian prior, sigma 25 mm)."""
    if not view.is_2d or view.name == "sax":
        return None
    if sax_center_world is None:
        if study is None or "sax" not in study:
            return None
        sax_center_world = locate_lv_center(study["sax"]).center_world
    idx = world_to_voxel(view.affine, np.asarray(sax_center_world, dtype=float))
    if not all(-0.5 <= idx[a] <= view.shape[a] - 0.5 for a in range(2)) or abs(idx[2]) * view.spacing[2] > 30:
        return None
    return idx[:2]


def locate_lv_center(view: CineView, study: CineStudy | None = None, refine: Refiner | None = None, *,
                     sax_center_world: np.ndarray | None = None) -> LVLocation:
    """Locate the LV blood-pool centre of ``view`` (SAX stack or LAX plane) from the images alone.

    ``study``: when it holds a SAX stack and ``view`` is a long-axis plane, the SAX centre projected on the plane
    steers the search (``sax_center_world`` gives that centre directly and skips locating it again).
    ``refine``: optional callable (view, first estimate) -> better estimate.
    """
    prior = _lax_prior_from_sax(view, study, sax_center_world)
    slices = _slice_range(view.shape[2])
    analysis = _analyse(view, slices, prior)
    maps = analysis.maps
    total = _consensus(maps[..., slices.start:slices.stop])
    if float(total.max()) <= 1e-9:  # a blank image: nothing to find, say so from the middle of the plane
        total[:] = 0.0
        peak_c = tuple(int(n // 2) for n in total.shape)
    else:
        peak_c = tuple(int(v) for v in np.unravel_index(int(np.argmax(total)), total.shape))
    k = _middle_of_run(maps[peak_c[0], peak_c[1], :], slices)
    dominance = _peak_confidence(total, peak_c, analysis.spacing2d)
    # mostly slice-to-slice consistency of the winner, lowered when a distant rival blob scores nearly as well
    confidence = float(total[peak_c]) * (0.75 + 0.25 * dominance)
    source_ij = analysis.to_source(np.array(peak_c))
    peak = tuple(int(np.clip(np.rint(v), 0, n - 1)) for v, n in zip(source_ij, view.shape[:2]))
    mean_slice = _normalise(view.data[..., k, :]).mean(axis=-1)
    centre_ij, snapped = _snap_to_pool(mean_slice, peak, view.spacing[:2])
    if not snapped:
        confidence *= 0.8
    if view.is_2d and prior is None:  # a long-axis plane alone: other chambers and the aortic root compete
        confidence *= 0.6
    center_voxel = np.array([centre_ij[0], centre_ij[1], float(k)])
    cues = ["blob"] + (["motion"] if analysis.moving else []) + (["sax-prior"] if prior is not None else [])
    method = "+".join(cues) + ("+pool-centroid" if snapped else "")
    location = LVLocation(center_voxel=center_voxel, center_world=voxel_to_world(view.affine, center_voxel),
                          confidence=float(confidence), method=method)
    if refine is not None:
        location = refine(view, location)
    if location.confidence < LOW_CONFIDENCE and location.warning is None:
        location = replace(location, warning=(
            f"view {view.name!r}: LV centre found with low confidence ({location.confidence:.2f}); check the "
            "model window placement or give the centre by hand"))
    return location


def locate_study(study: CineStudy, refine: Refiner | None = None) -> dict[str, LVLocation]:
    """LV centre of every view: the SAX stack first, then each long-axis plane steered by the SAX centre."""
    out: dict[str, LVLocation] = {}
    sax_center = None
    if "sax" in study:
        out["sax"] = locate_lv_center(study["sax"], refine=refine)
        sax_center = out["sax"].center_world
    for name, view in study.views.items():
        if name != "sax":
            out[name] = locate_lv_center(view, refine=refine, sax_center_world=sax_center)
    return out
