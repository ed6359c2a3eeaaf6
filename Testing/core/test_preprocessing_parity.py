"""The released models' preprocessing by default: the official weights' model inputs match the documented official
step (per-frame 0.95th..99.5th percentile clip, rescale, uint8 levels, then min-max) on the eight example frames and
the golden fixtures; the demo weights, trained without the clip, keep plain min-max scaling."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from CineMALib.analysis.options import AnalysisOptions
from CineMALib.preprocess import dataset_style, frame_batch, sax_model_grid
from CineMALib.resources import resource_path
from CineMALib.study import CineView, voxel_to_world

from conftest import shared_path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "check_preprocessing_parity.py"


@pytest.fixture(scope="module")
def parity():
    spec = importlib.util.spec_from_file_location("check_preprocessing_parity", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_official_weights_clip_and_demo_weights_do_not(tmp_path: Path) -> None:
    assert AnalysisOptions().clips_percentiles  # the default weights are the official ones
    assert not AnalysisOptions(weights="demo").clips_percentiles
    assert not AnalysisOptions(weights=str(resource_path("demo"))).clips_percentiles  # the demo folder by path
    (tmp_path / "finetuned" / "segmentation" / "acdc_sax").mkdir(parents=True)
    assert AnalysisOptions(weights=str(tmp_path)).clips_percentiles  # an offline copy of the hub layout
    (tmp_path / "finetuned" / "segmentation" / "phantom_sax").mkdir(parents=True)
    assert not AnalysisOptions(weights=str(tmp_path)).clips_percentiles  # phantom-trained checkpoints
    assert not AnalysisOptions(percentile_clip=False).clips_percentiles  # an explicit choice wins
    assert AnalysisOptions(weights="demo", percentile_clip=True).clips_percentiles


def test_an_already_quantised_frame_keeps_its_levels() -> None:
    """A uint8 frame whose percentiles are 0 and 255 maps onto itself; float rounding must not drop a level."""
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (50, 40, 6)).astype(np.float32)
    frame[:5] = 0.0  # >= 0.95 % at each end, so the percentiles are exactly 0 and 255
    frame[-5:] = 255.0
    assert np.array_equal(dataset_style(frame), frame)


def test_model_input_on_a_resampled_grid_follows_the_definition(parity) -> None:
    """An anisotropic int-valued stack resampled to 1 x 1 x 10 mm: the clip acts on the resampled frame (official
    order: resample, crop, then clip), so ours equals the official step applied to our resampled frame."""
    rng = np.random.default_rng(5)
    data = rng.integers(0, 900, (120, 110, 9, 1)).astype(np.float32)
    data[50:60, 50:60] = 4000.0  # bright outliers the 99.5th percentile clips
    view = CineView("sax", data, np.diag([1.6, 1.6, 8.0, 1.0]))
    grid = sax_model_grid(view, voxel_to_world(view.affine, np.array([60.0, 55.0, 4.0])))
    ours = frame_batch(view, grid, [0], percentile_clip=True)[0, 0]
    box = tuple(slice(lo, hi) for lo, hi in grid.box)
    resampled = grid.to_model(view.frame(0))[box]
    expected = parity.official_training_step(resampled) / 255.0
    np.testing.assert_allclose(ours[box], expected, atol=parity.TOLERANCE)
    assert not ours[~grid.box_mask()].any()  # padding stays 0


def test_example_frames_and_golden_inputs_match_the_official_preprocessing(parity) -> None:
    """Every example frame (and [ED, ES] pair) and every golden input, through our default (official-weights)
    preprocessing, against the official step written from its definition."""
    examples = shared_path("data", "cinema-examples")
    golden = shared_path("fixtures", "cinema-golden")
    clip = AnalysisOptions().clips_percentiles
    rows = parity.example_rows(examples, clip) + parity.golden_rows(golden, clip)
    assert len(rows) == 8 + 4 + len(parity.GOLDEN)
    worst = {row.case: row.ours_vs_official for row in rows if row.ours_vs_official > parity.TOLERANCE}
    assert not worst, worst
    # without the clip (the demo weights' preprocessing) the golden inputs would not match: the check can tell
    assert max(row.official_vs_given for row in rows if row.case.startswith("conv")) > 0.01
