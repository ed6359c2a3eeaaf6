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
from CineMALib.analysis.islands import MIN_COMPONENT_FRACTION
from CineMALib.analysis.plausibility import Plausibility
from CineMALib.analysis.segment import lv_centroid_world, lv_volumes_ml, segment_view
from CineMALib.analysis.verify import VERIFY_FRAME, Verification, candidate_centres, verify_candidates
from CineMALib.analysis.weights import HeadModels
from CineMALib.infer import check_cancel
from CineMALib.locate import LVLocation
from CineMALib.phases import Phases, decide_ed_es, estimate_ed_es_from_intensity
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
    removed: dict[int, int] = {}
    kwargs = dict(batch_size=run.options.batch_size, device=run.device, stage=stage, cancel=run.cancel,
                  keep=store.keep, percentile_clip=run.options.clips_percentiles, clean=run.options.basal_check,
                  removed=removed)
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
    record_islands(run.provenance, "sax", removed)
    return labels, grid, centre


def record_islands(provenance: dict[str, str], view: str, removed: dict[int, int]) -> None:
    """Say in the provenance how many voxels the island removal (an end-slice heuristic) set to background."""
    key = f"island removal {view}"
    provenance.pop(key, None)  # a repeated attempt replaces the last one's count
    if removed:
        provenance[key] = (f"set {sum(removed.values())} voxels over {len(removed)} frame(s) to background: pieces "
                           f"of a label smaller than {MIN_COMPONENT_FRACTION:.0%} of its largest connected group")


#: How a user-given ED/ES frame is described in the method of every ED/ES-dependent number.
GIVEN_BY = "given by the user (--ed-frame/--es-frame or the Slicer panel)"


def sax_phases(run: Any, labels: np.ndarray | None, frames: Sequence[int],
               estimate: Phases | None, loc: LVLocation) -> Phases:
    """The ED/ES decision (:func:`~CineMALib.phases.decide_ed_es`) on the segmented LV volumes of the analysed
    frames (in fast mode the two frames the intensity proxy or the user chose), with the user's frames from the
    options; without SAX labels, on the intensity proxy alone."""
    sax = run.study["sax"]
    given = {"ed": run.options.ed_frame, "es": run.options.es_frame}
    if sax.n_frames == 1:
        return Phases(0, 0, "single-frame study", "single-frame study")
    if labels is not None and len(frames) >= 2:
        volumes = lv_volumes_ml(labels, float(np.prod(sax.spacing)) / 1000.0, frames)
        pick = decide_ed_es(volumes, given_by=GIVEN_BY, quantity="segmented LV volume", **given)
    else:
        pick = estimate or estimate_ed_es_from_intensity(sax, loc, **given)
    if pick.warning:
        run.provenance["phase warning"] = pick.warning
    return pick


@dataclass
class SaxRun:
    """The SAX segmentation and ED/ES at one model-window centre (one attempt of the gate)."""

    centre: np.ndarray
    grid: ModelGrid
    labels: np.ndarray | None
    frames: list[int]
    estimate: Phases | None
    phases: Phases
    store: EndSliceProbabilities
    loc: LVLocation

    @property
    def ed(self) -> int:
        return self.phases.ed

    @property
    def es(self) -> int:
        return self.phases.es


def sax_at(run: Any, head: HeadModels | None, attempt: Attempt, loc: LVLocation) -> SaxRun:
    """Segment the SAX cine with the model window at ``attempt`` (re-centred once if the LV is far off) and find
    ED/ES; without a head, only the window and the intensity proxy's ED/ES."""
    sax = run.study["sax"]
    centre = np.asarray(attempt.centre_world, dtype=float)
    here = replace(loc, center_world=centre, center_voxel=world_to_voxel(sax.affine, centre))
    frames, estimate = fast_frames(run, here)
    grid = sax_model_grid(sax, centre)
    if grid.warning:
        run.provenance["sax window"] = grid.warning
    check_cancel(run.cancel, "segmentation_sax")
    labels, store = None, EndSliceProbabilities()
    if head is not None:
        labels, grid, centre = segment_sax(run, head, grid, frames, centre, store)
    return SaxRun(centre, grid, labels, frames, estimate, sax_phases(run, labels, frames, estimate, here), store,
                  here)


def fast_frames(run: Any, loc: LVLocation) -> tuple[list[int], Phases | None]:
    """The SAX frames to segment, and the intensity proxy's pick: every frame; in fast mode the user's ED/ES
    frames, completed by the intensity proxy for a phase not given."""
    sax, options = run.study["sax"], run.options
    if not options.fast or sax.n_frames < 2:
        return list(range(sax.n_frames)), None
    if options.ed_frame is not None and options.es_frame is not None:
        run.provenance["fast mode frames"] = "the user's ED and ES frames"
        return sorted({options.ed_frame, options.es_frame}), None
    estimate = estimate_ed_es_from_intensity(sax, loc, ed=options.ed_frame, es=options.es_frame)
    run.provenance["fast mode frames"] = (f"ED {estimate.ed} ({estimate.ed_method}), ES {estimate.es} "
                                          f"({estimate.es_method})")
    return sorted({estimate.ed, estimate.es}), estimate


def verify_at_candidates(run: Any, head: HeadModels, loc: LVLocation) -> Verification:
    """Segment frame 0 in the model window at each of the cues' best candidates and score it."""
    sax = run.study["sax"]
    frame = CineView(sax.name, sax.data[..., VERIFY_FRAME:VERIFY_FRAME + 1], sax.affine)
    candidates = candidate_centres(loc)
    done: list[int] = []

    def segment(centre: np.ndarray) -> np.ndarray:
        check_cancel(run.cancel, "verify")
        # island removal stays on here: these labels only score a candidate centre and never reach the user
        labels = segment_view(head, frame, sax_model_grid(frame, centre), [0], batch_size=1, device=run.device,
                              stage="verify", cancel=run.cancel, percentile_clip=run.options.clips_percentiles,
                              clean=True)[..., 0]
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
