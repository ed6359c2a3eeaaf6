"""Find the LV centre of a view from several independent cues and rank the candidates.

Cues (each can be switched off with ``cues=`` so the benchmark measures it alone): ``blob`` (bright round blob,
10-35 mm), ``harmonic`` (motion at the heart rate: first temporal harmonic), ``consistency`` (the candidate recurs
at the same place on every mid SAX slice), ``ring`` (the pool is enclosed by a dark myocardial wall),
``lax-planes`` (near the line where the 2C and 4C planes meet, from the affines alone), ``body`` (inside the
body: air is dark and border-connected; on SAX also deep inside it), ``sax-prior`` (a LAX plane: near the SAX
centre projected on it), ``sax-along`` (a LAX plane: the SAX centre's position along the long axis, the image's
across it, see :mod:`longaxis`) and ``centre-prior`` (weak: at most 15 % of a score, a tie-breaker). The per-pixel
cues multiply into a per-slice score; its through-slice consensus over the mid slices gives the candidates (its
peaks), which the ring cue re-ranks; soft cues are floored so that no single one can veto a candidate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from CineMALib.localise.body import body_mask, depth_term
from CineMALib.localise.candidates import consensus, peaks, run_of_slices
from CineMALib.localise.cues import MAX_FRAMES, cue_maps, normalise
from CineMALib.localise.longaxis import along_sax_axis
from CineMALib.localise.planes import lax_geometry, plane_of
from CineMALib.localise.pool import snap_to_pool
from CineMALib.localise.ring import enclosure_over
from CineMALib.localise.result import LOW_CONFIDENCE, LVCandidate, LVLocation, Refiner
from CineMALib.localise.score import cue_values, decided_by, term_maps
from CineMALib.study import CineStudy, CineView, voxel_to_world, world_to_voxel

ALL_CUES: tuple[str, ...] = ("blob", "harmonic", "consistency", "ring", "lax-planes", "body", "sax-prior",
                             "sax-along", "centre-prior")
RING_FLOOR = 0.2
RIVAL_MM = 30.0
KEEP_CANDIDATES = 8
SNAP_CANDIDATES = 5
SAX_PROJECTION_MAX_MM = 30.0


def slice_range(n_slices: int) -> range:
    """The mid-ventricular slices of a stack (middle half), where the LV cavity is largest and roundest."""
    if n_slices <= 2:
        return range(n_slices)
    lo = int(np.floor(0.25 * (n_slices - 1)))
    hi = int(np.ceil(0.75 * (n_slices - 1)))
    return range(lo, hi + 1)


def _enabled(cues: tuple[str, ...] | list[str] | None) -> set[str]:
    chosen = set(ALL_CUES if cues is None else cues)
    unknown = chosen - set(ALL_CUES)
    if unknown:
        raise ValueError(f"unknown localisation cue(s) {sorted(unknown)}; known: {', '.join(ALL_CUES)}")
    return chosen


def _sax_centre(view: CineView, study: CineStudy | None, given: np.ndarray | None,
                enabled: set[str]) -> np.ndarray | None:
    """The SAX centre (RAS mm) for a LAX plane when within 30 mm of it and inside its field of view."""
    if not view.is_2d or view.name == "sax" or "sax-prior" not in enabled:
        return None
    if given is None:
        if study is None or "sax" not in study:
            return None
        given = locate_lv_center(study["sax"], study,
                                 cues=tuple(c for c in enabled if c not in ("sax-prior", "sax-along"))).center_world
    idx = world_to_voxel(view.affine, np.asarray(given, dtype=float))
    if not all(-0.5 <= idx[a] <= view.shape[a] - 0.5 for a in range(2)) \
            or abs(idx[2]) * view.spacing[2] > SAX_PROJECTION_MAX_MM:
        return None
    return np.asarray(given, dtype=float)


def _blank(view: CineView, method: str) -> LVLocation:
    voxel = np.array([view.shape[0] // 2, view.shape[1] // 2, view.shape[2] // 2], dtype=float)
    return LVLocation(center_voxel=voxel, center_world=voxel_to_world(view.affine, voxel), confidence=0.0,
                      method=method, warning=f"view {view.name!r}: no LV candidate found (blank or empty image); "
                      "give the LV centre by hand")


def locate_lv_center(view: CineView, study: CineStudy | None = None, refine: Refiner | None = None, *,
                     sax_center_world: np.ndarray | None = None,
                     cues: tuple[str, ...] | list[str] | None = None) -> LVLocation:
    """Locate the LV blood-pool centre of ``view`` (SAX stack or LAX plane) from the images and the study geometry.

    ``study``: its LAX planes give the long axis (``lax-planes``); for a LAX ``view`` its SAX stack gives a prior
    (``sax_center_world`` gives that centre directly). ``refine``: optional (view, first estimate) -> better
    estimate. ``cues``: the cues to use (default all, see :data:`ALL_CUES`)."""
    enabled = _enabled(cues)
    slices = slice_range(view.shape[2])
    maps = cue_maps(view.data, view.spacing, slices, "blob" in enabled, "harmonic" in enabled)
    sp = maps.spacing2d
    if float(maps.mean.max()) <= 1e-6:
        return _finish(view, _blank(view, "none"), refine)
    body = None
    if "body" in enabled:
        inside = body_mask(maps.mean, sp)
        # depth only on SAX stacks: on a LAX plane the long LV runs along the lung, its centre is not deep
        body = inside * depth_term(inside, sp) if not view.is_2d else inside.astype(float)
    geometry = lax_geometry(study, view) if "lax-planes" in enabled else None
    sax_centre = _sax_centre(view, study, sax_center_world, enabled)
    terms = term_maps(view, maps, enabled, body, geometry, sax_centre)
    if not terms:
        raise ValueError(f"view {view.name!r}: no localisation cue applies (cues={sorted(enabled)})")
    pixel = np.ones(maps.mean.shape)
    for term in terms.values():
        pixel = pixel * term
    total = consensus(pixel[..., slices.start:slices.stop]) if "consistency" in enabled \
        else pixel[..., slices.start:slices.stop].mean(axis=2)
    if float(total.max()) <= 1e-9:
        return _finish(view, _blank(view, "none"), refine)
    location = _choose(view, maps, pixel, total, terms, slices, sax_centre, geometry, enabled)
    if sax_centre is not None and study is not None and "sax" in study and "sax-along" in enabled:
        location = _along_sax_axis(view, study["sax"], location, sax_centre)
    return _finish(view, location, refine)


def _along_sax_axis(view: CineView, sax: CineView, location: LVLocation, sax_centre: np.ndarray) -> LVLocation:
    """A LAX plane's centre moved along the LV long axis (the SAX normal) to the SAX centre's level
    (:mod:`longaxis`); unchanged when the SAX normal leaves the plane or the two disagree."""
    moved = along_sax_axis(location.center_world, sax_centre, sax.affine[:3, 2], plane_of(view).normal)
    if moved is None:
        return location
    voxel = world_to_voxel(view.affine, moved)
    voxel[2] = location.center_voxel[2]
    world = voxel_to_world(view.affine, voxel)
    first = [replace(location.candidates[0], center_voxel=voxel, center_world=world)] if location.candidates else []
    return replace(location, center_voxel=voxel, center_world=world, candidates=first + location.candidates[1:],
                   method=location.method + "+sax-along", cue=location.cue + "+sax-along")


def _recurrence(pixel: np.ndarray, p: tuple[int, int], slices: range) -> float:
    """Through-slice consistency alone: geometric over arithmetic mean of the position's relative score on the
    mid slices (1 when it scores alike on every slice, low when one slice carries it)."""
    best = np.maximum(pixel[..., slices.start:slices.stop].max(axis=(0, 1)), 1e-12)
    rel = pixel[p[0], p[1], slices.start:slices.stop] / best
    geometric = float(np.exp(np.log(rel + 0.05).mean()) - 0.05)
    return float(np.clip(geometric / max(float(rel.mean()), 1e-12), 0.0, 1.0))


def _choose(view: CineView, maps, pixel: np.ndarray, total: np.ndarray,  # noqa: ANN001
            terms: dict[str, np.ndarray], slices: range, sax_centre: np.ndarray | None,
            geometry, enabled: set[str]) -> LVLocation:  # noqa: ANN001
    """The best peaks (re-ranked by enclosure), snapped to their blood pools; confidence, method, deciding cues."""
    sp = maps.spacing2d
    found = [tuple(int(v) for v in p) for p in peaks(total, sp, KEEP_CANDIDATES)]
    values = []
    for p in found:
        v = cue_values(terms, p, slices)
        if view.shape[2] > 1 and "consistency" in enabled:
            v["consistency"] = _recurrence(pixel, p, slices)
        if "ring" in enabled:
            v["ring"] = RING_FLOOR + (1.0 - RING_FLOOR) * enclosure_over(maps.mean, np.array(p, float), slices, sp)
        values.append(v)
    score = np.array([float(total[p]) * v.get("ring", 1.0) for p, v in zip(found, values)])
    order = [int(i) for i in np.argsort(-score, kind="stable")]
    best = order[0]
    world = [voxel_to_world(view.affine, np.array([*maps.to_source(np.array(p)), 0.0])) for p in found]
    rival = next((i for i in order[1:] if np.linalg.norm(world[i] - world[best]) > RIVAL_MM), None)
    margin = 1.0 if rival is None else float(np.clip(1.0 - score[rival] / max(score[best], 1e-12), 0.0, 1.0))
    frames = np.unique(np.linspace(0, view.n_frames - 1, min(view.n_frames, MAX_FRAMES)).round().astype(int))
    candidates, snapped_best = [], False
    for rank, i in enumerate(order):
        p = found[i]
        lo, hi = run_of_slices(pixel[p[0], p[1], :], slices)
        k = (lo + hi) // 2  # the slice the pool is snapped on; the centre itself sits mid-run (may be k + 0.5)
        ij = np.clip(maps.to_source(np.array(p)), 0, np.array(view.shape[:2]) - 1)
        snapped = False
        # no snapping on a LAX plane: there the cavity's bright component runs through the open mitral valve
        # into the atrium (the mean over the cine), so its centroid is not the LV centre
        if rank < SNAP_CANDIDATES and not view.is_2d:
            mean_slice = normalise(view.data[:, :, k, frames]).mean(axis=-1)
            ij, snapped = snap_to_pool(mean_slice, tuple(int(v) for v in np.rint(ij)), view.spacing[:2])
        if rank == 0:
            snapped_best = snapped
        voxel = np.array([ij[0], ij[1], (lo + hi) / 2.0])
        candidates.append(LVCandidate(center_voxel=voxel, center_world=voxel_to_world(view.affine, voxel),
                                      score=float(score[i]), cues=values[i]))
    confidence = float(score[best]) * (0.75 + 0.25 * margin)
    if not snapped_best and not view.is_2d:  # a SAX peak whose pool could not be delineated
        confidence *= 0.8
    if view.is_2d and sax_centre is None and (geometry is None or geometry.line is None):
        confidence *= 0.6  # a long-axis plane alone: the atria and the aortic root compete
    used = list(terms) + (["consistency"] if view.shape[2] > 1 else []) + (["ring"] if "ring" in enabled else [])
    method = "+".join(c for c in ALL_CUES if c in used) + ("+pool-centroid" if snapped_best else "")
    decided = decided_by({k: v for k, v in values[best].items() if k in ALL_CUES},
                         None if rival is None else values[rival])
    chosen = candidates[0]
    return LVLocation(center_voxel=chosen.center_voxel, center_world=chosen.center_world,
                      confidence=float(np.clip(confidence, 0.0, 1.0)), method=method, candidates=candidates,
                      cue=decided)


def _finish(view: CineView, location: LVLocation, refine: Refiner | None) -> LVLocation:
    if refine is not None:
        location = refine(view, location)
    if location.confidence < LOW_CONFIDENCE and location.warning is None:
        location = replace(location, warning=(
            f"view {view.name!r}: LV centre found with low confidence ({location.confidence:.2f}); check the "
            "model window placement or give the centre by hand"))
    return location


def locate_study(study: CineStudy, refine: Refiner | None = None,
                 cues: tuple[str, ...] | list[str] | None = None) -> dict[str, LVLocation]:
    """LV centre of every view: the SAX stack first (with the LAX planes' long axis), then each LAX plane steered
    by the SAX centre."""
    out: dict[str, LVLocation] = {}
    sax_center = None
    if "sax" in study:
        out["sax"] = locate_lv_center(study["sax"], study, refine=refine, cues=cues)
        sax_center = out["sax"].center_world
    for name, view in study.views.items():
        if name != "sax":
            out[name] = locate_lv_center(view, study, refine=refine, sax_center_world=sax_center, cues=cues)
    return out
