"""The SAX stage of an analysis: segment the cine with the model window at one centre and find ED/ES; verify the
cues' candidate centres by segmenting one frame at each. Split from :mod:`~CineMALib.analysis.pipeline`, which runs
these once per attempt of the plausibility gate (:mod:`~CineMALib.analysis.gate`).

``run`` is the pipeline's per-analysis state (study, options, device, progress, cancel, provenance, scorer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from CineMALib.analysis.end_slices import EndSliceProbabilities
from CineMALib.analysis.gate import Attempt
from CineMALib.analysis.plausibility import Plausibility
from CineMALib.analysis.segment import lv_centroid_world, lv_volumes_ml, segment_view
from CineMALib.analysis.verify import VERIFY_FRAME, Verification, candidate_centres, verify_candidates
from CineMALib.analysis.weights import HeadModels
from CineMALib.infer import check_cancel
from CineMALib.locate import LVLocation
from CineMALib.phases import PhaseSelection, estimate_ed_es_from_intensity, find_ed_es
from CineMALib.preprocess import ModelGrid, sax_model_grid
from CineMALib.study import CineView, world_to_voxel

#: Re-centre the SAX window when the first segmentation's LV centroid is this far (mm) from the located centre.
RECENTRE_MM = 12.0


def segment_sax(run: Any, head: HeadModels, grid: ModelGrid, frames: Sequence[int], centre: np.ndarray,
                store: EndSliceProbabilities) -> tuple[np.ndarray, ModelGrid, np.ndarray]:
    """SAX labels for ``frames``; after the first frame, re-centre the window once if the LV is far off-centre
    (never away from a user-given centre: the window stays where the user put it). The end slices' probabilities
    go to ``store`` (for the end-slice check against the 4C view)."""
    sax = run.study["sax"]
    stage, total = "segmentation_sax", len(frames)
    kwargs = dict(batch_size=run.options.batch_size, device=run.device, stage=stage, cancel=run.cancel,
                  keep=store.keep)
    labels = segment_view(head, sax, grid, frames[:1], progress=run.offset_progress(stage, 0, total), **kwargs)
    found = lv_centroid_world(labels[..., frames[0]], sax.affine)
    user = getattr(run.options, "lv_center", None) is not None
    if not user and found is not None and float(np.linalg.norm(found - centre)) > RECENTRE_MM:
        run.provenance["sax window"] = (f"re-centred on the first segmentation's LV centroid "
                                        f"({np.linalg.norm(found - centre):.1f} mm from the located centre)")
        grid, centre = sax_model_grid(sax, found), found
        labels = segment_view(head, sax, grid, frames[:1], progress=run.offset_progress(stage, 0, total), **kwargs)
    if len(frames) > 1:
        segment_view(head, sax, grid, frames[1:], progress=run.offset_progress(stage, 1, total), out=labels,
                     **kwargs)
    return labels, grid, centre


def sax_phases(run: Any, labels: np.ndarray | None, frames: Sequence[int],
               estimate: PhaseSelection | None, loc: LVLocation) -> tuple[int, int, str]:
    """ED/ES = max/min segmented LV volume over the analysed frames (in fast mode those are the two frames the
    intensity proxy chose); without SAX labels, the intensity proxy alone."""
    sax = run.study["sax"]
    if sax.n_frames == 1:
        return 0, 0, "single-frame study: ED = ES = frame 0"
    if labels is not None and len(frames) >= 2:
        pick = find_ed_es(lv_volumes_ml(labels, float(np.prod(sax.spacing)) / 1000.0, frames))
        method = f"ED = max, ES = min segmented LV volume over {len(frames)} analysed frames"
        if estimate is not None:
            method += " (fast mode: frames chosen from the LV blood-pool area over the cine)"
    else:
        pick = estimate or estimate_ed_es_from_intensity(sax, loc)
        method = "ED/ES from the LV blood-pool area over the cine (intensity proxy)"
    if pick.warning:
        run.provenance["phase warning"] = pick.warning
    return pick.ed, pick.es, method


@dataclass
class SaxRun:
    """The SAX segmentation and ED/ES at one model-window centre (one attempt of the gate)."""

    centre: np.ndarray
    grid: ModelGrid
    labels: np.ndarray | None
    frames: list[int]
    estimate: PhaseSelection | None
    ed: int
    es: int
    method: str
    store: EndSliceProbabilities
    loc: LVLocation


def sax_at(run: Any, head: HeadModels | None, attempt: Attempt, loc: LVLocation) -> SaxRun:
    """Segment the SAX cine with the model window at ``attempt`` (re-centred once if the LV is far off) and find
    ED/ES; without a head, only the window and the intensity proxy's ED/ES."""
    sax = run.study["sax"]
    centre = np.asarray(attempt.centre_world, dtype=float)
    here = replace(loc, center_world=centre, center_voxel=world_to_voxel(sax.affine, centre))
    estimate = estimate_ed_es_from_intensity(sax, here) if run.options.fast and sax.n_frames > 1 else None
    frames = sorted({estimate.ed, estimate.es}) if estimate is not None else list(range(sax.n_frames))
    grid = sax_model_grid(sax, centre)
    if grid.warning:
        run.provenance["sax window"] = grid.warning
    check_cancel(run.cancel, "segmentation_sax")
    labels, store = None, EndSliceProbabilities()
    if head is not None:
        labels, grid, centre = segment_sax(run, head, grid, frames, centre, store)
    ed, es, method = sax_phases(run, labels, frames, estimate, here)
    return SaxRun(centre, grid, labels, frames, estimate, ed, es, method, store, here)


def verify_at_candidates(run: Any, head: HeadModels, loc: LVLocation) -> Verification:
    """Segment frame 0 in the model window at each of the cues' best candidates and score it."""
    sax = run.study["sax"]
    frame = CineView(sax.name, sax.data[..., VERIFY_FRAME:VERIFY_FRAME + 1], sax.affine)
    candidates = candidate_centres(loc)
    done: list[int] = []

    def segment(centre: np.ndarray) -> np.ndarray:
        check_cancel(run.cancel, "verify")
        labels = segment_view(head, frame, sax_model_grid(frame, centre), [0], batch_size=1, device=run.device,
                              stage="verify", cancel=run.cancel)[..., 0]
        done.append(1)
        run.report("verify", len(done), len(candidates))
        return labels

    return verify_candidates(candidates, segment, sax.affine, run.scorer)


def gate_score(run: Any, attempt: Attempt, sax_run: SaxRun) -> Plausibility:
    """The gate's score of one attempt: the whole SAX stack at its ED, against the window's final centre (the
    attempt's, or where the first frame re-centred it)."""
    del attempt
    assert sax_run.labels is not None
    return run.scorer(sax_run.labels[..., sax_run.ed], run.study["sax"].affine, sax_run.centre, True)
