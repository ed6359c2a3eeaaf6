"""Clinical measurements from labels and landmarks alone, so the Slicer module can recompute after manual edits.

``measure_labels`` takes SAX label arrays (a 4-D cine or an ED/ES pair) plus an affine; ``measure_study`` takes an
:class:`~CineMALib.results.AnalysisResults`. Both return a :class:`Report` whose every row says how it was computed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.labels import LABEL_MAPS, to_cinema_labels
from CineMALib.measure.bsa import bsa_rows
from CineMALib.measure.function import heart_rate, lv_mass_row, output_rows, ventricle_rows, volume_method
from CineMALib.measure.longaxis import long_axis_rows, phases_from_length
from CineMALib.measure.placement import heart_review, placement_rows
from CineMALib.measure.reference import apply_references
from CineMALib.measure.report import Measurement, Report
from CineMALib.measure.scores import score_rows
from CineMALib.measure.volumes import StackGeometry, stack_geometry, volume_curves
from CineMALib.phases import Phases, decide_ed_es
from CineMALib.results import AnalysisResults, ModelScore
from CineMALib.study import CineStudy, StudyMetadata

__all__ = ["Measurement", "Report", "measure_labels", "measure_study", "label_note"]

Landmarks = dict[str, dict[str, np.ndarray]]
#: Provenance key saying how ED/ES were chosen (automatic or given) and by what.
ED_ES_KEY = "ED/ES"
NAMES = {1: "RV", 2: "MYO", 3: "LV"}


def label_note(label_map: str) -> str:
    """How the label values were read, e.g. 'mnms label map (LV=1, MYO=2, RV=3) converted to CineMA labels'."""
    native = ", ".join(f"{NAMES[ours]}={value}" for value, ours in sorted(LABEL_MAPS[label_map].items()) if ours)
    return "CineMA labels (RV=1, MYO=2, LV=3)" if label_map == "cinema" else \
        f"{label_map} label map ({native}) converted to CineMA labels"


def _to_cinema(labels: np.ndarray, label_map: str) -> np.ndarray:
    if label_map not in LABEL_MAPS:
        raise CineMAInputError(None, f"unknown label map {label_map!r}; choose one of {sorted(LABEL_MAPS)}")
    values = np.unique(labels)
    unknown = sorted(set(values.tolist()) - set(LABEL_MAPS[label_map]))
    if unknown:
        shown = ", ".join(str(v) for v in unknown[:5]) + (f", ... ({len(unknown)} values; is this an image rather "
                                                          "than labels?)" if len(unknown) > 5 else "")
        raise CineMAInputError(None, f"label values {shown} are not in the {label_map!r} map "
                                     f"{sorted(LABEL_MAPS[label_map])}")
    return labels if label_map == "cinema" else to_cinema_labels(labels, label_map)


def labelled_frames(labels: np.ndarray) -> tuple[int, ...]:
    """Frames of a 4-D label cine that hold any label: a file does not say which frames were analysed (a ``--fast``
    result leaves the others empty), and an empty frame must never be taken for ED or ES."""
    arr = np.asarray(labels)
    return tuple(int(t) for t in np.flatnonzero(arr.reshape(-1, arr.shape[-1]).any(axis=0)))


def _curves_for(labels: np.ndarray | Sequence[np.ndarray], affine: np.ndarray, label_map: str,
                ed: int | None, es: int | None, analysed: Sequence[int] | None):
    """(curves over cine frames, the pair's Phases or None, n cine frames or None) for a 4-D cine or an ED/ES
    pair; a 4-D cine without ``analysed`` counts its labelled frames as analysed."""
    if isinstance(labels, (tuple, list)):
        if len(labels) != 2 or any(np.ndim(a) != 3 for a in labels):
            raise CineMAInputError(None, "an ED/ES pair must be two 3-D (x, y, z) label arrays")
        if np.shape(labels[0]) != np.shape(labels[1]):
            raise CineMAInputError(None, f"ED labels {np.shape(labels[0])} and ES labels {np.shape(labels[1])} differ")
        ed_i, es_i = (0 if ed is None else int(ed)), (1 if es is None else int(es))
        if ed_i == es_i or min(ed_i, es_i) < 0:
            raise CineMAInputError(None, f"ED frame {ed_i} and ES frame {es_i} must differ and be >= 0")
        pair = volume_curves(np.stack([_to_cinema(np.asarray(a), label_map) for a in labels], axis=-1), affine)
        curves = {k: np.full(max(ed_i, es_i) + 1, np.nan) for k in pair}
        for k, v in pair.items():
            curves[k][[ed_i, es_i]] = v
        return curves, Phases(ed_i, es_i, "given as the ED label file", "given as the ES label file", True, True), None
    arr = np.asarray(labels)
    if arr.ndim != 4:
        raise CineMAInputError(None, f"expected 4-D (x, y, z, t) labels or an (ED, ES) pair, got shape {arr.shape}")
    if not analysed:
        analysed = labelled_frames(arr)
        if not analysed:
            raise CineMAInputError(None, "every frame of the labels is empty: nothing to measure")
    curves = volume_curves(_to_cinema(arr, label_map), affine, analysed)
    return curves, None, arr.shape[3]


def measure_labels(labels: np.ndarray | Sequence[np.ndarray], affine: np.ndarray, *, label_map: str = "cinema",
                   ed: int | None = None, es: int | None = None, landmarks: Landmarks | None = None,
                   metadata: StudyMetadata | None = None, trigger_times_ms: np.ndarray | None = None,
                   analysed_frames: Sequence[int] | None = None, scores: Sequence[ModelScore] = (),
                   study_id: str = "study", bsa_formula: str = "mosteller", phases: Phases | None = None,
                   given_by: str = "given by the user", scored_at: Sequence[int] = ()) -> Report:
    """Measure SAX labels: a 4-D cine (x, y, z, t) or an (ED, ES) pair of 3-D arrays on one grid.

    ED/ES: ``phases`` when the caller already decided (the analysis), else
    :func:`~CineMALib.phases.decide_ed_es` on the LV volumes of the analysed (labelled) frames, with ``ed``/``es``
    as the user's override (for a pair they are only the cine frame numbers to report and to index ``landmarks``;
    the pair's order defines ED and ES). ``scored_at``: the [ED, ES] frames the ``scores`` were computed from.
    """
    metadata = metadata or StudyMetadata()
    curves, pair, n_frames = _curves_for(labels, affine, label_map, ed, es, analysed_frames)
    if pair is not None:
        phases = pair
    elif phases is not None:
        _check_decision(phases, curves["LV"])
    else:
        phases = decide_ed_es(curves["LV"], ed=ed, es=es, given_by=given_by)
    geometry = stack_geometry(affine)
    report = _report(study_id, label_map, phases, curves, trigger_times_ms)
    rows = _function_rows(curves, phases, geometry, label_map, metadata, trigger_times_ms,
                          n_frames or len(curves["LV"]))
    if curves["LV"][phases.ed] < curves["LV"][phases.es]:
        report.notes.append(f"LV volume at ED ({curves['LV'][phases.ed]:.1f} mL) is below ES "
                            f"({curves['LV'][phases.es]:.1f} mL): check the ED/ES frames")
    if geometry.shear_note:
        report.notes.append(geometry.shear_note)
    _finish(report, rows, landmarks or {}, phases, n_frames, metadata, scores, bsa_formula, scored_at)
    return report


def _check_decision(phases: Phases, lv_ml: np.ndarray) -> None:
    """A decision taken elsewhere must name analysed frames of these labels."""
    for name, frame in (("ED", phases.ed), ("ES", phases.es)):
        if not (0 <= frame < lv_ml.size and np.isfinite(lv_ml[frame])):
            raise CineMAInputError(None, f"{name} frame {frame} is not an analysed frame of the labels "
                                         f"(analysed: {np.flatnonzero(np.isfinite(lv_ml)).tolist()})")


def measure_study(results: AnalysisResults, study_or_metadata: CineStudy | StudyMetadata | None = None, *,
                  ed: int | None = None, es: int | None = None, bsa_formula: str = "mosteller") -> Report:
    """Measure an analysis: SAX labels (if any) for volumes, LAX landmarks for long-axis function, model scores.

    ED/ES: the user's ``ed``/``es`` when given (the other phase by the rule), else the analysis' decision
    (``results.phases``), else :func:`~CineMALib.phases.decide_ed_es` on these labels (e.g. labels read back from
    the Slicer scene after edits). Without SAX labels: the analysis' frames, else max/min LV length.
    """
    study = study_or_metadata if isinstance(study_or_metadata, CineStudy) else None
    metadata = study.metadata if study else (study_or_metadata or StudyMetadata())
    times = study.views["sax"].trigger_times_ms if study and "sax" in study else None
    landmarks = {name: vr.landmarks_world for name, vr in results.views.items() if vr.landmarks_world}
    sax = results.views.get("sax")
    if sax is not None and sax.labels is not None:
        decided = results.phases if ed is None and es is None else None
        try:
            report = measure_labels(sax.labels, sax.affine, ed=ed, es=es, landmarks=landmarks, metadata=metadata,
                                    trigger_times_ms=times, analysed_frames=sax.analysed_frames,
                                    scores=results.scores, study_id=results.study_id, bsa_formula=bsa_formula,
                                    phases=decided, scored_at=_scored_at(results))
        except CineMAInputError as err:  # e.g. an ED/ES frame out of range: name the study
            raise (CineMAInputError(results.study_id, err.problem) if err.path is None else err) from None
        pairs = (("ED", report.ed_frame, results.ed_frame), ("ES", report.es_frame, results.es_frame))
        for name, ours, theirs in pairs:
            if theirs is not None and theirs != ours:
                scored = "; the disease scores are the analysis' (from its frames): Analyse again to score these" \
                    if results.scores else ""
                report.notes.append(f"the analysis set {name} frame {theirs} ({results.phase_method or 'no method'}); "
                                    f"measurements use frame {ours}{scored}")
    else:
        phases = _lax_phases(landmarks, ed, es, results)
        report = _report(results.study_id, "cinema", phases, {}, times)
        report.notes.append("no short-axis labels: volumes, mass and ejection fractions not measured")
        _finish(report, _phase_rows(phases), landmarks, phases, None, metadata, results.scores, bsa_formula,
                _scored_at(results))
    report.provenance.update(results.provenance)
    report.add(*placement_rows(results.provenance))  # the LV centre used, how it was found, its plausibility
    review = heart_review(results.provenance)
    if review:
        report.notes.insert(0, review)
    return report


def _scored_at(results: AnalysisResults) -> tuple[int, ...]:
    """The [ED, ES] frames the analysis gave its classifier and regressor (empty when unknown)."""
    if results.ed_frame is None or results.es_frame is None:
        return ()
    return int(results.ed_frame), int(results.es_frame)


def _lax_phases(landmarks: Landmarks, ed: int | None, es: int | None, results: AnalysisResults) -> Phases:
    if ed is not None and es is not None:
        return Phases(int(ed), int(es), "given by the user", "given by the user", True, True)
    if results.phases is not None and ed is None and es is None:
        return results.phases
    if results.ed_frame is not None and results.es_frame is not None and ed is None and es is None:
        how = results.phase_method or "set by the analysis"
        return Phases(int(results.ed_frame), int(results.es_frame), how, how)
    found = phases_from_length(landmarks, ed=ed, es=es)
    if found is None:
        raise CineMAInputError(None, "no short-axis labels, no ED/ES frames and no long-axis landmarks to find them")
    return found


def _report(study_id: str, label_map: str, phases: Phases, curves: dict[str, np.ndarray],
            times: np.ndarray | None) -> Report:
    return Report(study_id=study_id, label_map=label_map, ed_frame=phases.ed, es_frame=phases.es, curves_ml=curves,
                  frame_times_ms=None if times is None else np.asarray(times, dtype=float),
                  provenance={"label map": label_note(label_map), ED_ES_KEY: f"{phases.choice}: {phases.method}"},
                  phases=phases)


def _phase_rows(phases: Phases) -> list[Measurement]:
    return [Measurement("ED frame", float(phases.ed), "", phases.method, "ED", (phases.ed,)),
            Measurement("ES frame", float(phases.es), "", phases.method, "ES", (phases.es,))]


def _function_rows(curves: dict[str, np.ndarray], phases: Phases, geometry: StackGeometry, label_map: str,
                   metadata: StudyMetadata, times: np.ndarray | None, n_frames: int) -> list[Measurement]:
    method = volume_method(geometry, label_note(label_map))
    lv = ventricle_rows("LV", curves["LV"], phases, method)
    hr, hr_method = heart_rate(metadata.heart_rate_bpm, times, n_frames)
    lvsv = lv[2].value
    return (_phase_rows(phases) + lv + [lv_mass_row(curves["MYO"], phases, method)]
            + ventricle_rows("RV", curves["RV"], phases, method) + output_rows(lvsv, hr, hr_method, phases))


def _finish(report: Report, rows: list[Measurement], landmarks: Landmarks, phases: Phases, n_frames: int | None,
            metadata: StudyMetadata, scores: Sequence[ModelScore], bsa_formula: str,
            scored_at: Sequence[int] = ()) -> None:
    """Append BSA/indexed, long-axis and model rows, then attach verified references."""
    rows = rows + bsa_rows(metadata.height_cm, metadata.weight_kg, bsa_formula, rows)
    if landmarks:
        rows += long_axis_rows(landmarks, phases.ed, phases.es, n_frames)
    rows += score_rows(list(scores), scored_at, (phases.ed, phases.es))
    report.rows = apply_references(rows, metadata.sex)
    report.landmarks_world = landmarks
