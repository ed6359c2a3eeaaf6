"""``analyse_study``: a raw cine study in, labels/landmarks/scores on the study's own grids out.

Order (each step a plain call on plain data): locate the LV centre -> SAX model grid -> SAX segmentation (all frames,
or in fast mode only ED and ES found from an intensity proxy) -> ED/ES -> LAX-4C segmentation -> landmark tracking on
LAX 2C/4C -> end-slice checks of the SAX labels against the long-axis views (re-threshold and trim against the 4C
labels, cut at the mitral annulus from the landmarks; then ED/ES again) -> classification and EF regression from the
[ED, ES] pair. Heads are loaded one at a time and released after use, so peak memory is one head's weights plus one
batch. Optional heads whose checkpoints are absent for the chosen weights are skipped and the reason recorded in
``provenance``; the SAX segmentation is required.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from CineMALib.analysis.basal import trim_with_lax_4c, uncovered_end_slices
from CineMALib.analysis.end_slices import TOLERANCE, EndSliceProbabilities, calibrate_end_slices
from CineMALib.analysis.landmarks import track_landmarks
from CineMALib.analysis.options import AnalysisOptions
from CineMALib.analysis.scores import classify, regress
from CineMALib.analysis.segment import lv_centroid_world, lv_volumes_ml, segment_view
from CineMALib.analysis.valve_plane import (
    FILL_BELOW,
    MAX_CUT_FRACTION,
    clip_at_mitral_plane,
    fill_below_mitral_plane,
    mitral_annuli,
)
from CineMALib.analysis.weights import HeadModels, available, load_head
from CineMALib.errors import CineMAInputError, CineMAWeightsError
from CineMALib.infer import ProgressCallback, check_cancel, select_device
from CineMALib.labels import LV, MYO, RV
from CineMALib.locate import LVLocation, locate_lv_center
from CineMALib.measure.longaxis import lax_frame
from CineMALib.phases import PhaseSelection, estimate_ed_es_from_intensity, find_ed_es
from CineMALib.preprocess import ModelGrid, lax_model_grid, sax_model_grid
from CineMALib.results import AnalysisResults, ModelScore, ViewResult
from CineMALib.study import CineStudy

#: Re-centre the SAX window when the first segmentation's LV centroid is this far (mm) from the located centre.
RECENTRE_MM = 12.0
LANDMARK_VIEWS: tuple[str, ...] = ("lax_2c", "lax_4c")


@dataclass
class _Run:
    """Everything one analysis carries between steps (so the step functions stay short)."""

    study: CineStudy
    options: AnalysisOptions
    device: torch.device
    progress: ProgressCallback | None
    cancel: threading.Event | None
    provenance: dict[str, str] = field(default_factory=dict)

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def offset_progress(self, stage: str, offset: int, total: int) -> ProgressCallback:
        """A callback for one predict() call that reports within a stage spanning several calls."""
        return lambda _s, done, _t: self.report(stage, offset + done, total)

    def head(self, name: str, view: str, required: bool = False) -> HeadModels | None:
        """Load a head, or record why it is skipped (required heads raise)."""
        if name not in self.options.heads:
            return None
        reason = available(name, self.options, view)
        if reason is None:
            try:
                return self.timed(f"load {name} {view}", lambda: load_head(name, self.options, view, self.device))
            except CineMAWeightsError as err:
                if required:
                    raise
                reason = str(err)
        if required:
            raise CineMAWeightsError(f"{name} is required but cannot run: {reason}")
        self.provenance[f"skipped {name} {view}"] = reason
        return None

    def timed(self, stage: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.provenance[f"time {stage} (s)"] = f"{time.perf_counter() - start:.2f}"


def _release(head: HeadModels | None) -> None:
    if head is not None:
        head.release()
        gc.collect()


def _segment_sax(run: _Run, head: HeadModels, grid: ModelGrid, frames: Sequence[int], centre: np.ndarray,
                 store: EndSliceProbabilities) -> tuple[np.ndarray, ModelGrid]:
    """SAX labels for ``frames``; after the first frame, re-centre the window once if the LV is far off-centre.
    The end slices' probabilities go to ``store`` (for the end-slice check against the 4C view)."""
    sax = run.study["sax"]
    stage, total = "segmentation_sax", len(frames)
    kwargs = dict(batch_size=run.options.batch_size, device=run.device, stage=stage, cancel=run.cancel,
                  keep=store.keep)
    labels = segment_view(head, sax, grid, frames[:1], progress=run.offset_progress(stage, 0, total), **kwargs)
    found = lv_centroid_world(labels[..., frames[0]], sax.affine)
    if found is not None and float(np.linalg.norm(found - centre)) > RECENTRE_MM:
        run.provenance["sax window"] = (f"re-centred on the first segmentation's LV centroid "
                                        f"({np.linalg.norm(found - centre):.1f} mm from the located centre)")
        grid = sax_model_grid(sax, found)
        labels = segment_view(head, sax, grid, frames[:1], progress=run.offset_progress(stage, 0, total), **kwargs)
    if len(frames) > 1:
        segment_view(head, sax, grid, frames[1:], progress=run.offset_progress(stage, 1, total), out=labels,
                     **kwargs)
    return labels, grid


def _phases(run: _Run, labels: np.ndarray | None, frames: Sequence[int],
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


def _lax_frames(run: _Run, view: str, ed: int, es: int) -> list[int]:
    n_lax, n_sax = run.study[view].n_frames, run.study["sax"].n_frames
    if not run.options.fast:
        return list(range(n_lax))
    return sorted({lax_frame(ed, n_sax, n_lax), lax_frame(es, n_sax, n_lax)})


def _lax_views(run: _Run, results: AnalysisResults, centre: np.ndarray, ed: int, es: int) -> None:
    """LAX-4C segmentation and landmark tracking on 2C/4C (each skipped when its view or weights are absent)."""
    grids = {v: lax_model_grid(run.study[v], centre) for v in LANDMARK_VIEWS if v in run.study}
    for v, g in grids.items():
        if g.warning:
            run.provenance[f"{v} window"] = g.warning
    if "lax_4c" in grids:
        head = run.head("segmentation_lax_4c", "lax_4c")
        if head is not None:
            frames = _lax_frames(run, "lax_4c", ed, es)
            labels = run.timed("segmentation_lax_4c", lambda: segment_view(
                head, run.study["lax_4c"], grids["lax_4c"], frames, batch_size=run.options.batch_size,
                device=run.device, stage="segmentation_lax_4c", progress=run.progress, cancel=run.cancel))
            results.views["lax_4c"] = ViewResult("lax_4c", run.study["lax_4c"].affine.copy(), labels, tuple(frames))
            _release(head)
    for view, grid in grids.items():
        check_cancel(run.cancel, f"landmarks_{view}")
        head = run.head("landmarks", view)
        if head is None:
            continue
        frames = _lax_frames(run, view, ed, es)
        points = run.timed(f"landmarks_{view}", lambda: track_landmarks(
            head, run.study[view], grid, frames, batch_size=run.options.batch_size, device=run.device,
            stage=f"landmarks_{view}", progress=run.progress, cancel=run.cancel))
        if view not in results.views:
            results.views[view] = ViewResult(view, run.study[view].affine.copy(), None, tuple(frames))
        results.views[view].landmarks_world = points
        _release(head)


def _scores(run: _Run, grid: ModelGrid, ed: int, es: int) -> list[ModelScore]:
    """CVD classification and EF regression from the SAX [ED, ES] pair, when their checkpoints exist."""
    scores: list[ModelScore] = []
    for name, fn in (("classification_cvd", classify), ("regression_ef", regress)):
        check_cancel(run.cancel, name)
        head = run.head(name, "sax")
        if head is None:
            continue
        scores.append(run.timed(name, lambda: fn(head, run.study["sax"], grid, ed, es, device=run.device,
                                                 stage=name, progress=run.progress, cancel=run.cancel)))
        _release(head)
    return scores


def _count(changes: dict[int, dict[int, list[int]]]) -> str:
    """'MYO 3 slice-frame(s), RV 1 slice-frame(s) over 2 frame(s)' from frame -> label -> slices."""
    names = {RV: "RV", MYO: "MYO", LV: "LV"}
    per_label: dict[str, int] = {}
    for by_label in changes.values():
        for label, slices in by_label.items():
            per_label[names[label]] = per_label.get(names[label], 0) + len(slices)
    return ", ".join(f"{name} {n} slice-frame(s)" for name, n in per_label.items()) + f" over {len(changes)} frame(s)"


def _end_slice_checks(run: _Run, results: AnalysisResults, frames: Sequence[int], store: EndSliceProbabilities) -> bool:
    """Check the SAX end slices against the long-axis views: re-threshold those that grossly disagree with the
    LAX-4C segmentation (:mod:`CineMALib.analysis.end_slices`), clear those it contradicts (atrium taken for
    ventricle), then fill the LV over the mitral orifice just below and cut it beyond the annulus from the 2C/4C
    landmarks (:mod:`CineMALib.analysis.valve_plane`). True if any label changed."""
    labels, sax = results.views["sax"].labels, run.study["sax"]
    changed = False
    lax = results.views.get("lax_4c")
    if lax is not None and lax.labels is not None:
        args = (sax, lax.labels, run.study["lax_4c"], frames, lax.analysed_frames)
        calibrated = calibrate_end_slices(labels, store, *args)
        if calibrated:
            run.provenance["end-slice calibration"] = (
                "re-thresholded the model's probabilities on SAX end slices whose chord along the 4C line differed "
                f"from the LAX-4C segmentation's by more than {TOLERANCE:g}x: " + _count(calibrated))
        cleared = trim_with_lax_4c(labels, *args)
        if cleared:
            run.provenance["basal/apical slice check"] = (
                "cleared SAX end slices without that structure in the LAX-4C segmentation: " + _count(cleared))
        changed = bool(calibrated or cleared)
    tracks = {v: results.views[v].landmarks_world for v in LANDMARK_VIEWS
              if v in results.views and results.views[v].landmarks_world}
    annuli = mitral_annuli(tracks, {v: run.study[v].n_frames for v in tracks}, sax.n_frames, frames)
    filled = fill_below_mitral_plane(labels, sax, annuli, store.slices)
    store.slices.clear()
    if filled:
        run.provenance["mitral orifice fill"] = (
            "re-thresholded the model's LV probability (background voxels only) on SAX slices just below the mitral "
            f"annulus fitted to the 2C/4C hinge landmarks where the LV covered less than {FILL_BELOW:.0%} of the "
            f"orifice: {sum(map(len, filled.values()))} slice-frame(s) over {len(filled)} frame(s)")
    cut, refused = clip_at_mitral_plane(labels, sax, annuli)
    if cut:
        run.provenance["mitral plane cut"] = (
            f"removed LV/MYO voxels beyond the mitral annulus fitted to the 2C/4C hinge landmarks (over the orifice "
            f"only): {sum(cut.values())} voxels over {len(cut)} of {len(annuli)} frames")
    if refused:
        run.provenance[MITRAL_WARNING] = (
            f"no cut on frame(s) {', '.join(map(str, refused))}: the annulus from the landmarks would remove more than "
            f"{MAX_CUT_FRACTION:.0%} of the LV and myocardium there; check the landmarks")
    return changed or bool(filled or cut)


#: Provenance keys of warnings for the user to review (every key starting with ``REVIEW`` is printed by the CLI;
#: all provenance is in the HTML summary).
REVIEW = "review: "
COVERAGE_WARNING = REVIEW + "slice coverage"
MITRAL_WARNING = REVIEW + "mitral plane"


def _coverage_check(run: _Run, results: AnalysisResults) -> None:
    """Record, for review, ED/ES end slices of the LV/RV that the LAX-4C segmentation says are missing or too narrow
    (see :func:`uncovered_end_slices`); the labels are not changed."""
    lax = results.views.get("lax_4c")
    if lax is None or lax.labels is None:
        return
    frames = sorted({results.ed_frame, results.es_frame})
    warnings = uncovered_end_slices(results.views["sax"].labels, run.study["sax"], lax.labels, run.study["lax_4c"],
                                    frames, lax.analysed_frames)
    if warnings:
        run.provenance[COVERAGE_WARNING] = "; ".join(warnings)


def _check_study(study: CineStudy) -> None:
    if "sax" not in study:
        raise CineMAInputError(study.source, "no short-axis (sax) cine: the analysis needs a SAX stack "
                                             f"(views found: {', '.join(study.views) or 'none'})")


def analyse_study(study: CineStudy, options: AnalysisOptions | None = None,
                  progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None) -> AnalysisResults:
    """Run the configured heads on ``study``; all outputs are on the study's own grids (see module docstring).

    ``progress(stage, done, total)`` is called per batch; setting ``cancel`` raises
    :class:`~CineMALib.infer.Cancelled` at the next batch boundary.
    """
    options = options or AnalysisOptions()
    _check_study(study)
    run = _Run(study, options, select_device(options.device), progress, cancel)
    sax = study["sax"]
    run.report("locate", 0, 1)
    loc = run.timed("locate", lambda: locate_lv_center(sax, study))
    run.report("locate", 1, 1)
    run.provenance.update({"lv centre": f"{loc.method} (confidence {loc.confidence:.2f})", "device": str(run.device),
                           "weights": options.weights, "seeds": ",".join(map(str, options.seeds)),
                           "mode": "fast (ED/ES only)" if options.fast else "all frames"})
    if loc.warning:
        run.provenance["lv centre warning"] = loc.warning
    grid = sax_model_grid(sax, loc.center_world)
    if grid.warning:
        run.provenance["sax window"] = grid.warning
    check_cancel(cancel, "segmentation_sax")
    estimate = estimate_ed_es_from_intensity(sax, loc) if options.fast and sax.n_frames > 1 else None
    frames = sorted({estimate.ed, estimate.es}) if estimate is not None else list(range(sax.n_frames))
    head = run.head("segmentation_sax", "sax", required=True)
    labels, store = None, EndSliceProbabilities()
    if head is not None:
        labels, grid = run.timed("segmentation_sax",
                                 lambda: _segment_sax(run, head, grid, frames, loc.center_world, store))
        _release(head)
    ed, es, method = _phases(run, labels, frames, estimate, loc)
    results = AnalysisResults(study_id=study.study_id, ed_frame=ed, es_frame=es, phase_method=method)
    if labels is not None:
        results.views["sax"] = ViewResult("sax", sax.affine.copy(), labels, tuple(frames))
    centre = lv_centroid_world(labels[..., ed], sax.affine) if labels is not None else None
    _lax_views(run, results, loc.center_world if centre is None else centre, ed, es)
    if labels is not None and options.basal_check and run.timed("end-slice checks", lambda: _end_slice_checks(
            run, results, frames, store)):
        results.ed_frame, results.es_frame, results.phase_method = _phases(run, labels, frames, estimate, loc)
    if labels is not None:
        _coverage_check(run, results)
    results.scores = _scores(run, grid, results.ed_frame, results.es_frame)
    results.provenance = run.provenance
    run.report("done", 1, 1)
    return results
