"""The analysis pipeline on a small phantom with tiny random models: shapes and geometry of the outputs, fast mode,
progress, cancellation, ensembles, skipped heads, cohorts with broken studies; plus the grid round trip with
oracle models whose outputs are known, so the mapping back to the study's grid is checked exactly."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from CineMALib.analysis.cohort import analyse_cohort
from CineMALib.analysis.demo_models import DEMO_CLASSES
from CineMALib.analysis.landmarks import track_landmarks
from CineMALib.analysis.options import AnalysisOptions, OptionsError
from CineMALib.analysis.pipeline import analyse_study
from CineMALib.analysis.segment import segment_view
from CineMALib.analysis.weights import HeadModels
from CineMALib.checkpoints import ModelSpec
from CineMALib.errors import CineMAWeightsError
from CineMALib.infer import Cancelled
from CineMALib.labels import LV
from CineMALib.phantom import generate_phantom
from CineMALib.preprocess import lax_model_grid, sax_model_grid
from CineMALib.results import LANDMARK_NAMES
from CineMALib.study import CineStudy, voxel_to_world

sys.path.insert(0, str(Path(__file__).parent))
from tiny_weights import write_random_weights  # noqa: E402

N_FRAMES = 5


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Integrity records of test weights go to a throw-away folder, never ~/.cache."""
    monkeypatch.setenv("CINEMA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cinema-cache"))


@pytest.fixture(scope="module")
def phantom():
    return generate_phantom(3, "normal", n_frames=N_FRAMES)


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("tiny-weights"))


@pytest.fixture(scope="module")
def full_run(phantom, tiny_weights):
    calls: list[tuple[str, int, int]] = []
    results = analyse_study(phantom.study, AnalysisOptions(weights=str(tiny_weights), device="cpu"),
                            progress=lambda s, d, t: calls.append((s, d, t)))
    return results, calls


def test_outputs_live_on_the_original_grids(phantom, full_run) -> None:
    results, _ = full_run
    for view in ("sax", "lax_4c"):
        vr = results.views[view]
        assert vr.labels.shape == phantom.study[view].data.shape
        assert vr.labels.dtype == np.uint8
        np.testing.assert_array_equal(vr.affine, phantom.study[view].affine)
        assert vr.analysed_frames == tuple(range(N_FRAMES))
        assert set(np.unique(vr.labels)) <= {0, 1, 2, 3}
    for view in ("lax_2c", "lax_4c"):
        points = results.views[view].landmarks_world
        assert tuple(points) == LANDMARK_NAMES[view]
        for track in points.values():
            assert track.shape == (N_FRAMES, 3) and np.all(np.isfinite(track))
    assert 0 <= results.ed_frame < N_FRAMES and 0 <= results.es_frame < N_FRAMES
    assert "segmented LV volume over 5 analysed frames" in results.phase_method


def test_scores_from_the_ed_es_pair(full_run) -> None:
    results, _ = full_run
    by_name = {s.checkpoint: s for s in results.scores}
    cls = by_name["classification_cvd/phantom_sax"]
    assert tuple(cls.probabilities) == DEMO_CLASSES
    assert sum(cls.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    reg = by_name["regression_ef/phantom_sax"]
    assert reg.unit == "%" and np.isfinite(reg.value)
    assert cls.spread is None and cls.seeds == (0,)


def test_progress_reports_every_stage_in_order(full_run) -> None:
    _, calls = full_run
    stages = list(dict.fromkeys(s for s, _, _ in calls))
    assert stages == ["locate", "verify", "segmentation_sax", "segmentation_lax_4c", "landmarks_lax_2c", "landmarks_lax_4c",
                      "classification_cvd", "regression_ef", "done"]
    last = {s: (d, t) for s, d, t in calls}
    assert last["segmentation_sax"] == (N_FRAMES, N_FRAMES)
    assert last["landmarks_lax_2c"] == (N_FRAMES, N_FRAMES) and last["regression_ef"] == (1, 1)
    assert all(0 <= d <= t for _, d, t in calls)


def test_fast_mode_segments_only_ed_and_es(phantom, tiny_weights) -> None:
    options = AnalysisOptions(weights=str(tiny_weights), device="cpu", fast=True,
                              heads=("segmentation_sax", "landmarks"))
    results = analyse_study(phantom.study, options)
    sax = results.views["sax"]
    assert len(sax.analysed_frames) == 2 and {results.ed_frame, results.es_frame} <= set(sax.analysed_frames)
    others = [t for t in range(N_FRAMES) if t not in sax.analysed_frames]
    assert not sax.labels[..., others].any()
    assert "largest segmented LV volume" in results.phase_method and results.phases.choice == "automatic"
    assert "blood-pool area" in results.provenance["fast mode frames"]  # which two frames fast mode segmented
    track = results.views["lax_4c"].landmarks_world["apex"]
    assert np.isfinite(track).all(axis=1).sum() == 2  # landmarks only at the ED/ES frames too
    assert "skipped classification_cvd sax" not in results.provenance  # not requested, so not "skipped"


def test_single_frame_study(phantom, tiny_weights) -> None:
    one = phantom.study["sax"]
    study = CineStudy(views={"sax": type(one)("sax", one.data[..., :1].copy(), one.affine)}, study_id="one")
    for fast in (False, True):
        options = AnalysisOptions(weights=str(tiny_weights), device="cpu", fast=fast, heads=("segmentation_sax",))
        results = analyse_study(study, options)
        assert (results.ed_frame, results.es_frame) == (0, 0) and "single-frame" in results.phase_method
        assert results.views["sax"].labels.shape == one.data[..., :1].shape


def test_cancel_stops_between_batches(phantom, tiny_weights) -> None:
    cancel = threading.Event()
    seen: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        seen.append(stage)
        if stage == "segmentation_sax" and done >= 1:
            cancel.set()

    options = AnalysisOptions(weights=str(tiny_weights), device="cpu", batch_size=1)
    with pytest.raises(Cancelled):
        analyse_study(phantom.study, options, progress=progress, cancel=cancel)
    assert "segmentation_lax_4c" not in seen


def test_ensemble_reports_spread(phantom, tmp_path: Path) -> None:
    weights = write_random_weights(tmp_path, names=("classification_cvd/phantom_sax", "regression_ef/phantom_sax"),
                                   seeds=(0, 1, 2))
    options = AnalysisOptions(weights=str(weights), device="cpu", ensemble=True,
                              heads=("classification_cvd", "regression_ef"))
    results = analyse_study(phantom.study, options)
    assert [s.seeds for s in results.scores] == [(0, 1, 2), (0, 1, 2)]
    assert all(s.spread is not None and s.spread > 0 for s in results.scores)
    assert "sax" not in results.views  # no segmentation requested


def test_missing_optional_heads_are_skipped_and_recorded(phantom, tmp_path: Path) -> None:
    weights = write_random_weights(tmp_path, names=("segmentation/phantom_sax",))
    results = analyse_study(phantom.study, AnalysisOptions(weights=str(weights), device="cpu", fast=True))
    assert results.scores == [] and "lax_4c" not in results.views
    assert any(k.startswith("skipped regression_ef") for k in results.provenance)


def test_missing_required_head_raises(phantom, tmp_path: Path) -> None:
    weights = write_random_weights(tmp_path, names=("regression_ef/phantom_sax",))
    with pytest.raises(CineMAWeightsError, match="segmentation_sax"):
        analyse_study(phantom.study, AnalysisOptions(weights=str(weights), device="cpu", fast=True))


def test_cohort_keeps_good_studies_when_others_fail(phantom, tiny_weights, tmp_path: Path) -> None:
    no_sax = CineStudy(views={"lax_4c": phantom.study["lax_4c"]}, study_id="no-sax")
    options = AnalysisOptions(weights=str(tiny_weights), device="cpu", fast=True, heads=("segmentation_sax",))
    outcomes = analyse_cohort([tmp_path / "missing", no_sax, phantom.study], options)
    assert [o.ok for o in outcomes] == [False, False, True]
    assert "missing" in outcomes[0].error and "short-axis" in outcomes[1].error
    assert outcomes[2].results.study_id == phantom.study.study_id


def test_options_are_validated() -> None:
    with pytest.raises(OptionsError, match="weights"):
        AnalysisOptions(weights="/no/such/folder")
    with pytest.raises(OptionsError, match="device"):
        AnalysisOptions(device="tpu")
    with pytest.raises(OptionsError, match="dataset"):
        AnalysisOptions(datasets={"segmentation_sax": "ukbb"})
    with pytest.raises(OptionsError, match="heads"):
        AnalysisOptions(heads=("segmentation_sax", "mae"))
    assert AnalysisOptions(ensemble=True).seeds == (0, 1, 2)
    assert AnalysisOptions(seed=2).seeds == (2,)
    assert AnalysisOptions(weights="demo").dataset("segmentation_sax") == "phantom"
    assert AnalysisOptions().dataset("regression_ef") == "acdc"


# ---- oracle models: known outputs make the model-grid <-> study-grid mapping testable ----------------------------


class BrightIsLV(nn.Module):
    """Segmentation oracle: voxels brighter than 0.6 (after min-max scaling) are LV, the rest background."""

    def __init__(self, view: str) -> None:
        super().__init__()
        self.view = view

    def forward(self, x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        img = x[self.view]
        lv = (img > 0.6).float() * 20.0
        zeros = torch.zeros_like(img)
        return {self.view: torch.cat([10.0 - lv, zeros - 10, zeros - 10, lv], dim=1)}


class PeakAt(nn.Module):
    """Heatmap oracle: every channel peaks at a fixed model-grid pixel."""

    def __init__(self, view: str, pixels: np.ndarray) -> None:
        super().__init__()
        self.view, self.pixels = view, pixels

    def forward(self, x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        img = x[self.view]
        out = torch.full((img.shape[0], len(self.pixels), *img.shape[2:]), -20.0)
        for c, (i, j) in enumerate(self.pixels):
            out[:, c, i, j] = 20.0
        return {self.view: out}


def _oracle(model: nn.Module) -> HeadModels:
    spec = ModelSpec(class_name="ConvUNetR", kwargs={}, views=(), n_frames=1)
    return HeadModels(name="oracle", seeds=(0,), models=[model], spec=spec, source="test")


def test_segmentation_maps_back_onto_the_source_grid(phantom) -> None:
    """Threshold-in-model-space, pulled back, must match the same threshold applied on the source grid."""
    sax = phantom.study["sax"]
    centre = voxel_to_world(sax.affine, np.argwhere(phantom.labels["sax"][..., 0] == LV).mean(axis=0))
    grid = sax_model_grid(sax, centre)
    labels = segment_view(_oracle(BrightIsLV("sax")), sax, grid, [0], batch_size=1, device=torch.device("cpu"),
                          stage="t")
    frame = sax.data[..., 0]
    inside = grid.fov_mask().any()  # the window holds image
    assert inside
    lo, hi = frame.min(), frame.max()
    expected = (frame - lo) / (hi - lo) > 0.6
    got = labels[..., 0] == LV
    near_heart = np.zeros_like(expected)
    idx = np.round(np.argwhere(phantom.labels["sax"][..., 0] > 0).mean(axis=0)).astype(int)
    near_heart[max(idx[0] - 30, 0):idx[0] + 30, max(idx[1] - 30, 0):idx[1] + 30] = True
    e, g = expected & near_heart, got & near_heart
    dice = 2 * (e & g).sum() / (e.sum() + g.sum())
    assert dice > 0.9
    assert not labels[..., 1:].any()


def test_landmarks_map_to_world_through_the_grid(phantom) -> None:
    view = phantom.study["lax_4c"]
    targets = np.stack([phantom.landmarks_world["lax_4c"][n][0] for n in LANDMARK_NAMES["lax_4c"]])
    grid = lax_model_grid(view, targets.mean(axis=0))
    pixels = np.round(grid.world_to_points(targets)[:, :2]).astype(int)
    points = track_landmarks(_oracle(PeakAt("lax_4c", pixels)), view, grid, [0, 2], batch_size=2,
                             device=torch.device("cpu"), stage="t")
    for i, name in enumerate(LANDMARK_NAMES["lax_4c"]):
        expected = grid.points_to_world(np.array([*pixels[i], 0.0]))
        np.testing.assert_allclose(points[name][0], expected, atol=1e-3)
        in_plane = targets[i] - expected
        assert np.linalg.norm(in_plane) < 1.5  # within the 1 mm rounding (plus the through-plane offset)
        assert np.isnan(points[name][1]).all() and np.isfinite(points[name][2]).all()


def test_hub_failures_are_not_retried_for_every_study(monkeypatch: pytest.MonkeyPatch) -> None:
    import CineMALib.analysis.weights as weights

    calls: list[str] = []

    def offline(name: str, **kwargs) -> None:
        calls.append(name)
        raise CineMAWeightsError(f"cannot get checkpoint {name!r} from the hub")

    monkeypatch.setattr(weights, "load_model", offline)
    monkeypatch.setattr(weights, "_HUB_FAILURES", {})
    options = AnalysisOptions(datasets={"regression_ef": "mnms"})
    for _ in range(3):
        with pytest.raises(CineMAWeightsError, match="regression_ef/mnms_sax"):
            weights.load_head("regression_ef", options, "sax", torch.device("cpu"))
    assert calls == ["regression_ef/mnms_sax"]


def test_sha256sums_protect_unregistered_local_weights(phantom, tmp_path: Path) -> None:
    import hashlib

    weights = write_random_weights(tmp_path, names=("segmentation/phantom_sax",))
    rel = "finetuned/segmentation/phantom_sax/phantom_sax_0.safetensors"
    good = hashlib.sha256((weights / rel).read_bytes()).hexdigest()
    (weights / "SHA256SUMS").write_text(f"{'0' * 64}  {rel}\n")
    options = AnalysisOptions(weights=str(weights), device="cpu", fast=True, heads=("segmentation_sax",))
    with pytest.raises(CineMAWeightsError, match="SHA256SUMS"):
        analyse_study(phantom.study, options)
    (weights / "SHA256SUMS").write_text(f"{good}  {rel}\n")
    assert analyse_study(phantom.study, options).views["sax"].labels is not None
