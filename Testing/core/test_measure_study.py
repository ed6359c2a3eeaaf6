"""measure_study on AnalysisResults: analysed frames, analysis ED/ES notes, model scores, LAX-only studies."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.measure import measure_labels, measure_study
from CineMALib.results import AnalysisResults, ModelScore, ViewResult
from CineMALib.study import CineStudy, CineView, StudyMetadata

AFFINE = np.diag([1.6, 1.6, 9.0, 1.0])


def labels_with_lv(sizes) -> np.ndarray:
    labels = np.zeros((12, 12, 3, len(sizes)), np.uint8)
    for t, n in enumerate(sizes):
        frame = np.zeros(12 * 12 * 3, np.uint8)
        frame[:n], frame[200:240], frame[300:300 + n // 2] = 3, 2, 1
        labels[..., t] = frame.reshape(12, 12, 3)
    return labels


def lax_track(n: int, es: int) -> dict[str, np.ndarray]:
    f = np.clip(np.arange(n) / es, 0, 1)[:, None] - np.clip((np.arange(n) - es) / (n - es), 0, 1)[:, None]
    mid = np.array([0.0, 0.0, 90.0]) - 11.0 * f * np.array([0.0, 0.0, 1.0])
    return {"apex": np.zeros((n, 3)), "mitral_lateral": mid + [20.0, 0, 0], "mitral_septal": mid - [20.0, 0, 0]}


def make_results(sizes, analysed=(), **kwargs) -> AnalysisResults:
    sax = ViewResult("sax", AFFINE, labels_with_lv(sizes), tuple(analysed))
    lax = ViewResult("lax_4c", np.eye(4), None, landmarks_world=lax_track(len(sizes), int(np.argmin(sizes))))
    return AnalysisResults("S1", {"sax": sax, "lax_4c": lax}, **kwargs)


def test_measure_study_equals_measure_labels_on_the_same_arrays():
    results = make_results([90, 70, 40, 60, 80])
    report = measure_study(results, StudyMetadata(height_cm=175, weight_kg=70, sex="M"))
    again = measure_labels(results.views["sax"].labels, AFFINE, metadata=StudyMetadata(height_cm=175, weight_kg=70),
                           landmarks={"lax_4c": results.views["lax_4c"].landmarks_world})
    for key in ("LVEDV", "LVESV", "LVEF", "RVEDV", "LVM", "LVEDVi", "MAPSE"):
        assert report.value(key) == pytest.approx(again.value(key))
    assert report.value("MAPSE") == pytest.approx(11.0)
    assert report.study_id == "S1"


def test_only_analysed_frames_count():
    results = make_results([90, 70, 40, 60, 140], analysed=(0, 1, 2, 3))
    report = measure_study(results)
    assert report.ed_frame == 0 and np.isnan(report.curves_ml["LV"][4])


def test_a_different_analysis_phase_is_noted_and_explicit_frames_win():
    results = make_results([90, 70, 40, 60, 80], ed_frame=4, es_frame=2, phase_method="first frame")
    report = measure_study(results)
    assert report.ed_frame == 0 and any("analysis set ED frame 4" in n for n in report.notes)
    forced = measure_study(results, ed=4, es=3)
    assert (forced.ed_frame, forced.es_frame) == (4, 3)
    assert forced.value("LVEDV") == pytest.approx(80 * 1.6 * 1.6 * 9.0 / 1000)


def test_trigger_times_from_the_study_give_heart_rate():
    results = make_results([90, 70, 40, 60, 80])
    view = CineView("sax", np.zeros((12, 12, 3, 5), np.float32), AFFINE, trigger_times_ms=np.arange(5) * 200.0)
    report = measure_study(results, CineStudy({"sax": view}))
    assert report.value("HR (bpm)") == pytest.approx(60000 / (5 * 200.0))


def test_model_probabilities_become_p_columns():
    scores = [ModelScore("cls_sax", "sax", probabilities={"NOR": 0.7, "DCM": 0.3}, seeds=(0, 1, 2)),
              ModelScore("ef_sax", "sax", value=61.0, unit="%")]
    report = measure_study(make_results([90, 70, 40, 60, 80], scores=scores))
    assert report.value("P(NOR)") == pytest.approx(0.7) and report.value("P(DCM)") == pytest.approx(0.3)
    assert "3 seed(s)" in report.get("P(NOR)").method
    assert report.get("ef_sax (%)").value == 61.0 and "not from the labels" in report.get("ef_sax").method


def test_lax_only_study_uses_lv_length_for_phases():
    results = AnalysisResults("L1", {"lax_4c": ViewResult("lax_4c", np.eye(4), landmarks_world=lax_track(10, 4))})
    report = measure_study(results)
    assert (report.ed_frame, report.es_frame) == (0, 4)
    assert report.get("LVEDV") is None and report.value("MAPSE") == pytest.approx(11.0)
    assert any("no short-axis labels" in n for n in report.notes)


def test_nothing_to_measure_is_an_input_error():
    with pytest.raises(CineMAInputError):
        measure_study(AnalysisResults("empty"))


def test_ed_es_pair_order_defines_phases_and_swaps_are_noted():
    ed, es = labels_with_lv([40])[..., 0], labels_with_lv([90])[..., 0]
    report = measure_labels((ed, es), AFFINE, ed=0, es=11)
    assert (report.ed_frame, report.es_frame) == (0, 11)
    assert report.value("LVEF") < 0 and any("check the ED/ES frames" in n for n in report.notes)
