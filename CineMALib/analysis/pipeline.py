"""``analyse_study``: a raw cine study in, labels/landmarks/scores on the study's own grids out.

Order (each step a plain call on plain data): locate the LV centre (or take the user's) -> verify the best few
candidates by segmenting a crop at each (:mod:`~CineMALib.analysis.verify`) -> SAX model grid -> SAX segmentation
(all frames, or in fast mode only ED and ES: the user's frames, else found from an intensity proxy) -> ED/ES
(:func:`~CineMALib.phases.decide_ed_es`, the user's frames win) -> plausibility gate, retrying at
the next verified candidate (:mod:`~CineMALib.analysis.gate`) -> LAX-4C segmentation -> landmark tracking on
LAX 2C/4C -> end-slice checks of the SAX labels against the long-axis views (re-threshold and trim against the 4C
labels, cut at the mitral annulus from the landmarks; ED/ES decided again only if they changed labels) ->
classification and EF regression from the
[ED, ES] pair. Heads are loaded one at a time and released after use, so peak memory is one head's weights plus one
batch; a cohort passes a :class:`~CineMALib.analysis.weights.HeadCache` instead, which keeps every head resident so
each checkpoint is read and hashed once per process. Optional heads whose checkpoints are absent for the chosen
weights are skipped and the reason recorded in ``provenance``; the SAX segmentation is required.
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
from CineMALib.analysis.gate import plan_attempts, record_centre, run_gate
from CineMALib.analysis.landmarks import track_landmarks
from CineMALib.analysis.options import DEMO_DATASET, AnalysisOptions
from CineMALib.analysis.plausibility import score_segmentation
from CineMALib.analysis.sax_stage import gate_score, record_islands, sax_at, sax_phases, verify_at_candidates
from CineMALib.analysis.scores import classify, regress
from CineMALib.analysis.segment import lv_centroid_world, segment_view
from CineMALib.analysis.valve_plane import (
    FILL_BELOW,
    MAX_CUT_FRACTION,
    clip_at_mitral_plane,
    fill_below_mitral_plane,
    mitral_annuli,
)
from CineMALib.analysis.verify import Scorer
from CineMALib.analysis.weights import HeadCache, HeadModels, available, load_head
from CineMALib.errors import CineMAInputError, CineMAWeightsError
from CineMALib.infer import ProgressCallback, check_cancel, select_device
from CineMALib.labels import LV, MYO, RV
from CineMALib.locate import locate_lv_center
from CineMALib.phases import check_given
from CineMALib.preprocess import ModelGrid, lax_model_grid
from CineMALib.provenance import REVIEW, format_ras
from CineMALib.results import AnalysisResults, ModelScore, ViewResult
from CineMALib.study import CineStudy, lax_frame
from CineMALib.user_centre import user_location

LANDMARK_VIEWS: tuple[str, ...] = ("lax_2c", "lax_4c")
#: Provenance of the model inputs' intensity step and of the end-slice heuristics (what ran, and why).
INTENSITY_CLIP = ("each frame clipped to its 0.95th..99.5th percentiles, rescaled to 0-255 levels (as the released "
                  "models' training data), then min-max scaled to [0, 1]")
INTENSITY_MINMAX = "each frame min-max scaled to [0, 1] (no percentile clip: the weights were trained without it)"
END_SLICE_ON = ("on (island removal, end slices against the LAX-4C view, mitral orifice fill and cut; tuned on "
                "phantoms, not measured on real labelled studies); each change is listed here")
END_SLICE_OFF = "off (the default; --end-slice-checks turns them on): labels as the models gave them"


@dataclass
class _Run:
    """Everything one analysis carries between steps (so the step functions stay short)."""

    study: CineStudy
    options: AnalysisOptions
    device: torch.device
    progress: ProgressCallback | None
    cancel: threading.Event | None
    provenance: dict[str, str] = field(default_factory=dict)
    scorer: Scorer = score_segmentation
    heads: HeadCache | None = None  # loaded heads kept across studies (a cohort); None: load and release each time

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
                load = self.heads.load if self.heads is not None else load_head
                return self.timed(f"load {name} {view}", lambda: load(name, self.options, view, self.device))
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


def _lax_frames(run: _Run, view: str, ed: int, es: int) -> list[int]:
    n_lax, n_sax = run.study[view].n_frames, run.study["sax"].n_frames
    if not run.options.fast:
        return list(range(n_lax))
    return sorted({lax_frame(ed, n_sax, n_lax), lax_frame(es, n_sax, n_lax)})


def _lax_views(run: _Run, results: AnalysisResults, centre: np.ndarray, ed: int, es: int) -> None:
    """LAX-4C segmentation and landmark tracking on 2C/4C (each skipped when its view or weights are absent)."""
    grids = {v: lax_model_grid(run.study[v], centre) for v in LANDMARK_VIEWS if v in run.study}
    for v, g in grids.items():
        _record_window(run, v, g)
        if g.warning:
            run.provenance[f"{v} window"] = g.warning
    if "lax_4c" in grids:
        head = run.head("segmentation_lax_4c", "lax_4c")
        if head is not None:
            frames = _lax_frames(run, "lax_4c", ed, es)
            removed: dict[int, int] = {}
            labels = run.timed("segmentation_lax_4c", lambda: segment_view(
                head, run.study["lax_4c"], grids["lax_4c"], frames, batch_size=run.options.batch_size,
                device=run.device, stage="segmentation_lax_4c", progress=run.progress, cancel=run.cancel,
                percentile_clip=run.options.clips_percentiles, clean=run.options.basal_check, removed=removed))
            record_islands(run.provenance, "lax_4c", removed)
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
            stage=f"landmarks_{view}", progress=run.progress, cancel=run.cancel,
            percentile_clip=run.options.clips_percentiles))
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
                                                 stage=name, progress=run.progress, cancel=run.cancel,
                                                 percentile_clip=run.options.clips_percentiles)))
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


def _record_window(run: _Run, view: str, grid: ModelGrid) -> None:
    """The model window's centre (RAS mm): for the QC montage and the Slicer ROI box (size: the grid's shape x
    spacing)."""
    middle = np.array([(n - 1) / 2.0 for n in grid.shape])
    run.provenance[f"model window centre {view} (RAS mm)"] = format_ras(grid.points_to_world(middle))


def _check_study(study: CineStudy) -> None:
    if "sax" not in study:
        raise CineMAInputError(study.source, "no short-axis (sax) cine: the analysis needs a SAX stack "
                                             f"(views found: {', '.join(study.views) or 'none'})")


def analyse_study(study: CineStudy, options: AnalysisOptions | None = None,
                  progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None, *, scorer: Scorer | None = None,
                  heads: HeadCache | None = None) -> AnalysisResults:
    """Run the configured heads on ``study``; all outputs are on the study's own grids (see module docstring).

    ``options.lv_center`` (R, A, S mm) places the SAX model window there instead of searching; ``scorer`` replaces
    :func:`~CineMALib.analysis.plausibility.score_segmentation` for the verification and the gate (tests);
    ``heads`` keeps loaded heads for the next study (see :class:`~CineMALib.analysis.weights.HeadCache`).

    ``progress(stage, done, total)`` is called per batch; setting ``cancel`` raises
    :class:`~CineMALib.infer.Cancelled` at the next batch boundary.
    """
    options = options or AnalysisOptions()
    _check_study(study)
    check_given(options.ed_frame, options.es_frame, study["sax"].n_frames, study.source or study.study_id)
    run = _Run(study, options, select_device(options.device), progress, cancel, scorer=scorer or score_segmentation,
               heads=heads)
    sax = study["sax"]
    user = options.lv_center is not None
    run.report("locate", 0, 1)
    loc = run.timed("locate", lambda: user_location(sax, options.lv_center, study.source) if user
                    else locate_lv_center(sax, study))
    run.report("locate", 1, 1)
    how = "user-given (--lv-center, a manifest or the Slicer LV centre point)" if user else \
        f"{loc.method} (confidence {loc.confidence:.2f})"
    run.provenance.update({"lv centre": how, "device": str(run.device), "weights": options.weights,
                           "seeds": ",".join(map(str, options.seeds)),
                           "mode": "fast (ED/ES only)" if options.fast else "all frames",
                           "intensity": INTENSITY_CLIP if options.clips_percentiles else INTENSITY_MINMAX,
                           "end-slice checks": END_SLICE_ON if options.basal_check else END_SLICE_OFF})
    if loc.warning:
        run.provenance["lv centre warning"] = loc.warning
    head = run.head("segmentation_sax", "sax", required=True)
    verification = run.timed("verify", lambda: verify_at_candidates(run, head, loc)) if head is not None and not user else None
    attempts = plan_attempts(loc.center_world, verification, user)
    outcome = None
    if head is None:
        sax_run = sax_at(run, None, attempts[0], loc)
    else:
        outcome = run.timed("segmentation_sax", lambda: run_gate(
            attempts, lambda a: sax_at(run, head, a, loc), lambda a, r: gate_score(run, a, r)))
        sax_run = outcome.result
        _release(head)
    demo = options.dataset("segmentation_sax") == DEMO_DATASET
    record_centre(run.provenance, loc, verification, outcome, user, sax_run.centre,
                  " (the demo segmentation weights were trained on synthetic phantoms only)" if demo else "")
    _record_window(run, "sax", sax_run.grid)
    labels, grid, frames, estimate, store = sax_run.labels, sax_run.grid, sax_run.frames, sax_run.estimate, sax_run.store
    loc = sax_run.loc
    results = AnalysisResults(study_id=study.study_id)
    results.decide(sax_run.phases)
    ed, es = sax_run.ed, sax_run.es
    if labels is not None:
        results.views["sax"] = ViewResult("sax", sax.affine.copy(), labels, tuple(frames))
    centre = lv_centroid_world(labels[..., ed], sax.affine) if labels is not None else None
    _lax_views(run, results, loc.center_world if centre is None else centre, ed, es)
    if labels is not None and options.basal_check and run.timed("end-slice checks", lambda: _end_slice_checks(
            run, results, frames, store)):
        results.decide(sax_phases(run, labels, frames, estimate, loc))  # the labels changed: decide on the final ones
    if labels is not None:
        _coverage_check(run, results)
    results.scores = _scores(run, grid, results.ed_frame, results.es_frame)
    results.provenance = run.provenance
    run.report("done", 1, 1)
    return results
