"""Verification by segmentation, the plausibility gate and the user-given LV centre (issue 16 items 2-5): the anatomy
score on synthetic and expert label maps, the gate's retry with a fake scorer, the all-fail review marking reaching
measurements.csv and report.html, the override reaching the crop, the provenance keys and the QC montage."""

from __future__ import annotations

import csv
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

import CineMALib.analysis.pipeline as pipeline
import CineMALib.analysis.sax_stage as sax_stage
from CineMALib.analysis.options import AnalysisOptions, OptionsError
from CineMALib.report.outputs import write_study_outputs
from CineMALib.analysis.plausibility import Plausibility, score_segmentation
from CineMALib.analysis.verify import CLEAR, candidate_centres, verify_candidates
from CineMALib.errors import CineMAInputError
from CineMALib.labels import LV, MYO, RV
from CineMALib.locate import LVCandidate, LVLocation
from CineMALib.measure import measure_study
from CineMALib.provenance import CENTRE_KEY, HEART_NOT_FOUND, HEART_REVIEW_KEY, SOURCE_KEY, format_ras
from CineMALib.phantom import generate_phantom
from CineMALib.report.qc_montage import window_box
from CineMALib.study import voxel_to_world, world_to_voxel

sys.path.insert(0, str(Path(__file__).parent))
from tiny_weights import write_random_weights  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CINEMA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cinema-cache"))


@pytest.fixture(scope="module")
def phantom():
    return generate_phantom(5, "normal", n_frames=4)


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("tiny"), names=("segmentation/phantom_sax",))


def _options(weights: Path, **kw) -> AnalysisOptions:
    return AnalysisOptions(weights=str(weights), device="cpu", fast=True, heads=("segmentation_sax",), **kw)


# ---- the anatomy score ------------------------------------------------------------------------------------------


def _heart(lv_r: float = 25.0, wall: float = 9.0, rv: bool = True, myo: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic SAX stack (1.5 mm pixels, 10 mm slices): LV disk, myocardial ring, an RV crescent to its side."""
    pixel, n = 1.5, 200
    ii, jj = np.indices((n, n)) * pixel
    cx = cy = n * pixel / 2
    r = np.hypot(ii - cx, jj - cy)
    plane = np.zeros((n, n), dtype=np.uint8)
    if rv:
        plane[(np.hypot(ii - (cx + lv_r + wall + 15), jj - cy) < 25) & (r > lv_r + wall)] = RV
    if myo:
        plane[(r >= lv_r) & (r < lv_r + wall)] = MYO
    plane[r < lv_r] = LV
    labels = np.repeat(plane[..., None], 9, axis=2)
    affine = np.diag([pixel, pixel, 10.0, 1.0])
    return labels, affine


def test_a_heart_shaped_segmentation_passes_and_each_missing_part_fails() -> None:
    labels, affine = _heart()
    centre = voxel_to_world(affine, np.array([99.5, 99.5, 4.0]))
    good = score_segmentation(labels, affine, centre, whole_stack=True)
    assert good.passed and good.score > 0.9, good.describe()
    np.testing.assert_allclose(good.lv_centroid_world[:2], centre[:2], atol=1.0)
    cases = {
        "no myocardium round the LV": (_heart(myo=False), centre, "LV enclosed"),
        "no RV beside it": (_heart(rv=False), centre, "RV beside"),
        "an LV 160 mm across": (_heart(lv_r=80.0), centre, "LV diameter"),
        "the LV 100 mm from the crop centre": ((labels, affine), centre + np.array([100.0, 0, 0]), "centred"),
    }
    for why, ((lab, aff), at, part) in cases.items():
        bad = score_segmentation(lab, aff, at, whole_stack=True)
        assert not bad.passed, f"{why}: {bad.describe()}"
        assert bad.parts[part] < 0.2, f"{why}: {bad.describe()}"
    empty = score_segmentation(np.zeros_like(labels), affine, centre)
    assert empty.score == 0.0 and not empty.passed


@pytest.mark.parametrize("case", ["patient001", "patient022", "patient041", "patient063", "patient084"])
def test_expert_acdc_labels_pass_the_score(case: str) -> None:
    """Real anatomy (experts' ED and ES labels, DCM to HCM) must pass: the ranges come from physiology, so they hold
    on hearts the score never saw."""
    from CineMALib.io import read_view

    folder = shared_path("data", "acdc-subset", case)
    for path in sorted(folder.glob("*_gt.nii.gz")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            view = read_view(path)
        labels = view.data[..., 0].astype(np.uint8)
        centre = voxel_to_world(view.affine, np.argwhere(labels == LV).mean(axis=0))
        verdict = score_segmentation(labels, view.affine, centre, whole_stack=True)
        assert verdict.passed, f"{path.name}: {verdict.describe()}"


def test_lv_center_option_is_validated() -> None:
    assert AnalysisOptions(lv_center=[1, "2.5", 3]).lv_center == (1.0, 2.5, 3.0)  # JSON from the Slicer worker
    for bad in ((1.0, 2.0), (1.0, float("nan"), 3.0), "abc"):
        with pytest.raises(OptionsError, match="lv_center"):
            AnalysisOptions(lv_center=bad)


def test_candidates_to_verify_are_distinct_and_start_with_the_chosen_centre() -> None:
    def cand(x: float, score: float) -> LVCandidate:
        return LVCandidate(np.zeros(3), np.array([x, 0.0, 0.0]), score, {})

    cands = [cand(0.0, 0.9), cand(5.0, 0.8), cand(50.0, 0.7), cand(60.0, 0.6), cand(120.0, 0.5), cand(200.0, 0.4)]
    chosen = np.array([2.0, 1.0, 0.0])  # the pool centroid near candidates[0]
    location = LVLocation(np.zeros(3), chosen, 0.9, "t", candidates=cands)
    picked = candidate_centres(location, limit=3)
    assert [rank for rank, _ in picked] == [1, 3, 5]  # 5 mm and 60 mm repeat 0 and 50 (within 20 mm)
    np.testing.assert_allclose(picked[0][1], chosen)
    bare = LVLocation(np.zeros(3), chosen, 0.9, "t")  # no ranked candidates: the chosen centre alone
    assert len(candidate_centres(bare)) == 1


def test_verification_ranks_plausible_crops_and_stops_at_a_clear_heart() -> None:
    centres = [(1, np.zeros(3)), (2, np.array([50.0, 0, 0])), (3, np.array([100.0, 0, 0]))]
    scores = {0.0: 0.3, 50.0: 0.8, 100.0: 0.6}
    segmented: list[float] = []

    def segment(centre):
        segmented.append(float(centre[0]))
        return np.zeros((2, 2, 1), dtype=np.uint8)

    def scorer(labels, affine, centre, whole_stack):
        return Plausibility(scores[float(centre[0])], {"fake": 1.0}, np.asarray(centre) + 3.0)

    result = verify_candidates(centres, segment, np.eye(4), scorer)
    assert segmented == [0.0, 50.0, 100.0] and result.segmentable
    assert [v.rank for v in result.ranked] == [2, 3]  # most plausible first; candidate 1 failed
    np.testing.assert_allclose(result.ranked[0].crop_centre, [53.0, 3.0, 3.0])  # re-centred on its LV centroid
    scores[0.0] = CLEAR
    segmented.clear()
    result = verify_candidates(centres, segment, np.eye(4), scorer)
    assert segmented == [0.0] and result.stopped_early  # a clear heart: no model calls for the others


# ---- the gate ---------------------------------------------------------------------------------------------------


def _two_candidates(monkeypatch: pytest.MonkeyPatch, phantom) -> tuple[np.ndarray, np.ndarray]:
    """Make the locator offer two candidates 40 mm apart (the true LV centre second) and stop the window from
    following random models' LV centroids."""
    sax = phantom.study["sax"]
    true = voxel_to_world(sax.affine, np.argwhere(phantom.labels["sax"][..., 0] == LV).mean(axis=0))
    wrong = true + 40.0 * sax.affine[:3, 0] / np.linalg.norm(sax.affine[:3, 0])
    cands = [LVCandidate(world_to_voxel(sax.affine, c), c, s, {"fake": s}) for c, s in ((wrong, 0.9), (true, 0.7))]
    location = LVLocation(cands[0].center_voxel, wrong, 0.8, "fake", candidates=cands, cue="fake")
    monkeypatch.setattr(pipeline, "locate_lv_center", lambda *a, **k: location)
    monkeypatch.setattr(sax_stage, "RECENTRE_MM", float("inf"))
    return wrong, true


def _fake_scorer(wrong: np.ndarray, gate_fails_everywhere: bool):
    """Verification passes both candidates (the wrong one higher); the gate fails at the wrong one (or everywhere)."""
    calls: list[tuple[bool, np.ndarray]] = []

    def scorer(labels, affine, centre, whole_stack):
        calls.append((whole_stack, np.asarray(centre, dtype=float)))
        at_wrong = np.linalg.norm(np.asarray(centre) - wrong) < 1.0
        if not whole_stack:
            return Plausibility(0.9 if at_wrong else 0.8, {"fake": 1.0})
        return Plausibility(0.1 if at_wrong or gate_fails_everywhere else 0.95, {"fake": 0.5})

    return scorer, calls


def test_gate_retries_at_the_next_verified_candidate(phantom, tiny_weights, monkeypatch) -> None:
    wrong, true = _two_candidates(monkeypatch, phantom)
    scorer, calls = _fake_scorer(wrong, gate_fails_everywhere=False)
    results = pipeline.analyse_study(phantom.study, _options(tiny_weights), scorer=scorer)
    gate_centres = [c for whole, c in calls if whole]
    assert len(gate_centres) == 2  # analysed at the wrong one, failed, retried at the true one
    np.testing.assert_allclose(gate_centres[0], wrong, atol=1e-6)
    np.testing.assert_allclose(gate_centres[1], true, atol=1e-6)
    assert results.provenance[CENTRE_KEY] == format_ras(true)
    assert HEART_REVIEW_KEY not in results.provenance
    assert "analysed at 2 centre(s)" in results.provenance["lv centre gate"]


def test_all_candidates_failing_marks_review_in_csv_and_html(phantom, tiny_weights, monkeypatch,
                                                             tmp_path: Path) -> None:
    wrong, _ = _two_candidates(monkeypatch, phantom)
    scorer, calls = _fake_scorer(wrong, gate_fails_everywhere=True)
    results = pipeline.analyse_study(phantom.study, _options(tiny_weights), scorer=scorer)
    assert sum(whole for whole, _ in calls) == 2
    assert results.provenance[HEART_REVIEW_KEY].startswith(HEART_NOT_FOUND)
    report = measure_study(results, phantom.study)
    written = write_study_outputs(results, report, phantom.study, tmp_path)
    with open(written["measurements.csv"], newline="", encoding="utf-8") as handle:
        rows = {row["measure"]: row for row in csv.DictReader(handle)}
    assert rows["LV centre R"]["flag"].startswith("review: " + HEART_NOT_FOUND)
    html = written["report.html"].read_text(encoding="utf-8")
    assert "review: " + HEART_NOT_FOUND in html and "<h2 class=flag>Review</h2>" in html


def test_no_plausible_candidate_falls_back_to_the_cues_and_says_so(phantom, tiny_weights, monkeypatch) -> None:
    wrong, _ = _two_candidates(monkeypatch, phantom)
    never = lambda labels, affine, centre, whole_stack: Plausibility(0.05, {"fake": 0.05})  # noqa: E731
    results = pipeline.analyse_study(phantom.study, _options(tiny_weights), scorer=never)
    assert results.provenance[CENTRE_KEY] == format_ras(wrong)  # the cues' best, not re-centred
    assert "cannot segment this kind of image" in results.provenance["lv centre verification"]
    assert "analysed at 1 centre(s)" in results.provenance["lv centre gate"]  # failed candidates are not retried
    assert HEART_REVIEW_KEY in results.provenance


# ---- the user's centre ------------------------------------------------------------------------------------------


def test_user_centre_reaches_the_crop(phantom, tiny_weights, monkeypatch) -> None:
    sax = phantom.study["sax"]
    given = voxel_to_world(sax.affine, np.array([(sax.shape[0] - 1) / 2, (sax.shape[1] - 1) / 2, sax.shape[2] // 2]))
    grids: list = []
    real = sax_stage.sax_model_grid
    monkeypatch.setattr(sax_stage, "sax_model_grid", lambda view, c, **k: grids.append(real(view, c, **k)) or grids[-1])
    monkeypatch.setattr(pipeline, "locate_lv_center", lambda *a, **k: pytest.fail("searched despite a given centre"))
    results = pipeline.analyse_study(phantom.study, _options(tiny_weights, lv_center=tuple(given)))
    assert grids, "no SAX model window was built"
    normal = sax.affine[:3, 2] / np.linalg.norm(sax.affine[:3, 2])
    for grid in grids:  # every window the analysis cut is centred (in-plane) on the given point
        middle = grid.points_to_world(np.array([(n - 1) / 2 for n in grid.shape]))
        offset = middle - given
        assert np.linalg.norm(offset - offset.dot(normal) * normal) < 1.0
    assert results.provenance[SOURCE_KEY] == "user" and results.provenance[CENTRE_KEY] == format_ras(given)
    rows = {m.name: m for m in measure_study(results, phantom.study).rows}
    np.testing.assert_allclose([rows[f"LV centre {a}"].value for a in "RAS"], given, atol=0.05)
    assert "user" in rows["LV centre R"].method


def test_user_centre_outside_the_stack_is_refused(phantom, tiny_weights) -> None:
    with pytest.raises(CineMAInputError, match="outside the sax images"):
        pipeline.analyse_study(phantom.study, _options(tiny_weights, lv_center=(5000.0, 0.0, 0.0)))


# ---- provenance and the QC montage --------------------------------------------------------------------------


def test_provenance_keys_and_montage_linked(phantom, tiny_weights, tmp_path: Path) -> None:
    results = pipeline.analyse_study(phantom.study, _options(tiny_weights))
    for key in (CENTRE_KEY, SOURCE_KEY, "lv centre cues", "lv centre confidence", "lv centre verification",
                "lv centre plausibility", "model window centre sax (RAS mm)"):
        assert results.provenance.get(key), key
    report = measure_study(results, phantom.study)
    names = [m.name for m in report.rows]
    assert {"LV centre R", "LV centre A", "LV centre S", "LV centre confidence", "LV centre plausibility"} <= set(names)
    written = write_study_outputs(results, report, phantom.study, tmp_path)
    montage = written["qc_montage.png"]
    assert montage.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'href="qc_montage.png"' in written["report.html"].read_text(encoding="utf-8")


def test_window_box_is_the_model_window(phantom) -> None:
    sax = phantom.study["sax"]
    centre = voxel_to_world(sax.affine, np.array([(sax.shape[0] - 1) / 2, (sax.shape[1] - 1) / 2, 2.0]))
    i0, j0, i1, j1 = window_box(sax, centre)
    np.testing.assert_allclose([(i1 - i0) * sax.spacing[0], (j1 - j0) * sax.spacing[1]], [192.0, 192.0], atol=0.5)
    np.testing.assert_allclose([(i0 + i1) / 2, (j0 + j1) / 2], [(sax.shape[0] - 1) / 2, (sax.shape[1] - 1) / 2],
                               atol=1.0)


@pytest.mark.slow
def test_demo_weights_on_a_real_scan_fall_back_and_ask_for_review() -> None:
    """The phantom-trained demo weights segment nothing heart-like on real ACDC images: the analysis must say the
    model cannot segment this data, keep the cues' centre and mark the result for review (never silent numbers)."""
    from CineMALib.io import read_study

    folder = shared_path("data", "acdc-subset", "patient090")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = read_study(folder / "patient090_4d.nii.gz")
    options = AnalysisOptions(weights="demo", device="cpu", fast=True, heads=("segmentation_sax",))
    results = pipeline.analyse_study(study, options)
    assert "cannot segment this kind of image" in results.provenance["lv centre verification"]
    assert "phantoms only" in results.provenance["lv centre verification"]
    assert results.provenance[HEART_REVIEW_KEY].startswith(HEART_NOT_FOUND)
