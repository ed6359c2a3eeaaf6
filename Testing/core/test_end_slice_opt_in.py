"""The end-slice heuristics (island removal, end slices against the LAX-4C view, mitral fill and cut) are opt-in:
off by default in the library, the CLI and the Slicer settings, on with ``--end-slice-checks`` and in ``cinema demo``
(which says so); what they change is in the provenance."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from CineMALib.analysis.options import AnalysisOptions
from CineMALib.analysis.pipeline import END_SLICE_OFF, END_SLICE_ON, analyse_study
from CineMALib.analysis.segment import segment_view
from CineMALib.analysis.weights import HeadModels
from CineMALib.checkpoints import ModelSpec
from CineMALib.cli import analyse as cli_analyse
from CineMALib.cli import demo as cli_demo
from CineMALib.labels import LV
from CineMALib.phantom import generate_phantom
from CineMALib.preprocess import sax_model_grid
from CineMALib.study import CineView, voxel_to_world

sys.path.insert(0, str(Path(__file__).parent))
from tiny_weights import write_random_weights  # noqa: E402


class BrightIsLV(nn.Module):
    """Segmentation oracle: voxels brighter than 0.5 (after scaling) are LV, the rest background."""

    def forward(self, x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        img = x["sax"]
        lv = (img > 0.5).float() * 20.0
        zeros = torch.zeros_like(img)
        return {"sax": torch.cat([10.0 - lv, zeros - 10, zeros - 10, lv], dim=1)}


def _speckled_view() -> CineView:
    """A bright 30 x 30 x 4 block (the LV) and a bright 3 x 3 x 1 speck far from it."""
    data = np.zeros((100, 100, 6, 1), dtype=np.float32)
    data[30:60, 30:60, 1:5] = 1.0
    data[85:88, 85:88, 2] = 1.0
    return CineView("sax", data, np.diag([1.0, 1.0, 10.0, 1.0]))


def test_segment_view_removes_islands_only_when_asked_and_counts_them() -> None:
    view = _speckled_view()
    grid = sax_model_grid(view, voxel_to_world(view.affine, np.array([50.0, 50.0, 2.0])))
    head = HeadModels(name="oracle", seeds=(0,), models=[BrightIsLV()],
                      spec=ModelSpec(class_name="ConvUNetR", kwargs={}, views=(), n_frames=1), source="test")
    kwargs = dict(batch_size=1, device=torch.device("cpu"), stage="t")
    raw = segment_view(head, view, grid, [0], **kwargs)
    assert raw[85:88, 85:88, 2, 0].all() and raw[40, 40, 2, 0] == LV  # default: labels as the model gave them
    removed: dict[int, int] = {}
    cleaned = segment_view(head, view, grid, [0], clean=True, removed=removed, **kwargs)
    assert not cleaned[85:88, 85:88, 2, 0].any() and cleaned[40, 40, 2, 0] == LV
    assert removed == {0: int(np.count_nonzero(raw)) - int(np.count_nonzero(cleaned))} and removed[0] >= 9


def _args(*extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_analyse.add_arguments(parser)
    return parser.parse_args(["study.nii.gz", "--out", "out", "--weights", "demo", *extra])


def test_cli_checks_are_off_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert AnalysisOptions().basal_check is False
    assert cli_analyse.options_from_args(_args()).basal_check is False
    assert cli_analyse.options_from_args(_args("--end-slice-checks")).basal_check is True
    assert cli_analyse.options_from_args(_args("--no-basal-check")).basal_check is False  # deprecated, says so
    assert "--no-basal-check is deprecated" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _args("--end-slice-checks", "--no-basal-check")


def test_demo_turns_the_checks_on_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[AnalysisOptions] = []

    def fake_analyse(studies, options, out, args):
        seen.append(options)
        return [], [("phantom", "stopped by the test")]

    monkeypatch.setattr(cli_demo, "analyse_to_folder", fake_analyse)
    parser = argparse.ArgumentParser()
    cli_demo.add_arguments(parser)
    assert cli_demo.run(parser.parse_args(["--out", str(tmp_path), "--frames", "4"])) == 1
    assert seen and seen[0].basal_check is True and seen[0].weights == "demo"
    assert "end-slice checks: on for the demo" in capsys.readouterr().out


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("tiny-weights"))


@pytest.mark.slow  # two analyses with tiny models: ~10 s of CPU
def test_pipeline_records_the_checks_and_each_change(tiny_weights: Path, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    """Random models give speckled labels: off, nothing is removed and the provenance says the checks are off; on,
    the island removal's voxel count is in the provenance and the labels lost exactly those voxels."""
    monkeypatch.setenv("CINEMA_CACHE_DIR", str(tmp_path / "cache"))
    phantom = generate_phantom(3, "normal", n_frames=4)
    heads = ("segmentation_sax", "segmentation_lax_4c")
    centre = voxel_to_world(phantom.study["sax"].affine, np.array(phantom.study["sax"].shape) / 2.0)
    base = dict(weights=str(tiny_weights), device="cpu", fast=True, heads=heads,
                lv_center=tuple(float(v) for v in centre))  # a given centre: no search, the same window both runs
    off = analyse_study(phantom.study, AnalysisOptions(**base))
    on = analyse_study(phantom.study, AnalysisOptions(**base, basal_check=True))
    assert off.provenance["end-slice checks"] == END_SLICE_OFF
    assert not any(key.startswith("island removal") for key in off.provenance)
    assert on.provenance["end-slice checks"] == END_SLICE_ON
    note = on.provenance["island removal sax"]
    removed = int(note.split()[1])
    assert removed > 0
    frames = list(on.views["sax"].analysed_frames)
    on_count = int(np.count_nonzero(on.views["sax"].labels[..., frames]))
    off_count = int(np.count_nonzero(off.views["sax"].labels[..., frames]))
    changed_later = any(k in on.provenance for k in ("end-slice calibration", "basal/apical slice check",
                                                     "mitral orifice fill", "mitral plane cut"))
    assert on_count < off_count
    if not changed_later:  # only the island removal touched the SAX labels
        assert off_count - on_count == removed
