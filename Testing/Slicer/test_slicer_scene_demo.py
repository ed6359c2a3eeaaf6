"""scene_demo.py, in fast mode and in all-frames mode, writes an MRB that a fresh process reads back with every
result a user expects to find (segmentations, landmarks, tables, chart, the panel's parameter node).

Both the writer and the reader run as subprocesses: a bundle that crashes Slicer's reader (a segmentation fault)
fails the test with the exit status instead of killing pytest.
"""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slicer
HERE = Path(__file__).resolve().parent
N_FRAMES = 6
MODES = {"fast": [], "all frames": ["--all-frames"]}


def _run(args: list[str], what: str, timeout: int = 300) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        crash = " (killed by a signal: a crash)" if done.returncode < 0 else ""
        pytest.fail(f"{what} exited with {done.returncode}{crash}:\n{done.stderr[-3000:]}")
    return done.stdout


def build_and_read(folder: Path, mode_args: list[str], truth: bool = True) -> tuple[str, dict]:
    """(what scene_demo printed, what scene_readback found) for one bundle built in ``folder``."""
    pytest.importorskip("slicer", reason="slicer-core is not installed")
    pytest.importorskip("CineMALib.phantom", reason="CineMALib.phantom is not available yet")
    bundle = folder / "cinema.mrb"
    extra = ["--truth"] if truth else []
    printed = _run([str(HERE / "scene_demo.py"), str(bundle), "--frames", str(N_FRAMES), *extra, *mode_args],
                   "scene_demo.py", timeout=900)
    found = json.loads(_run([str(HERE / "scene_readback.py"), str(bundle), "--recompute"], "scene_readback.py"))
    return printed, found


@pytest.fixture(scope="module", params=list(MODES))
def read_back(request, tmp_path_factory):
    printed, found = build_and_read(tmp_path_factory.mktemp("demo"), MODES[request.param])
    return request.param, printed, found


def _frames_with_results(nodes: dict) -> tuple[int, ...]:
    """Frames whose segmentation has labels, or whose point list has points."""
    return tuple(nodes.get("labelled_frames", nodes.get("frames_with_points", ())))


def test_every_result_node_is_read_back(read_back):
    mode, _, found = read_back
    assert len(found["runs"]) == 1
    run = found["runs"][0]
    assert set(run["views"]) == {"sax", "lax_2c", "lax_4c"}  # CineMA has no 3C output
    segmented = {v for v, nodes in run["views"].items() if nodes["segmentation"]}
    assert segmented == {"sax", "lax_4c"}
    for view in segmented:
        seg = run["views"][view]["segmentation"]
        assert seg["items"] == N_FRAMES and seg["shown"]
        assert seg["segment_names"] == ["LV blood pool", "LV myocardium", "RV blood pool"]
        assert seg["browser_master"] == f"Phantom {view.upper().replace('_', ' ')} cine"
    landmarked = {v for v, nodes in run["views"].items() if nodes["landmarks"]}
    assert landmarked == {"lax_2c", "lax_4c"}
    for view in landmarked:
        marks = run["views"][view]["landmarks"]
        assert marks["items"] == N_FRAMES and marks["shown"]
        assert {"apex"} < set(marks["labels"]) and any(label.startswith("mitral_") for label in marks["labels"])
    assert run["extra"] == {"chart": "vtkMRMLPlotChartNode", "curves": "vtkMRMLTableNode",
                            "phases": "vtkMRMLTableNode", "series_LV": "vtkMRMLPlotSeriesNode",
                            "series_RV": "vtkMRMLPlotSeriesNode", "series_phases": "vtkMRMLPlotSeriesNode"}
    assert run["chart_series"] == 3 and run["rows"] > 10
    assert found["classes"]["vtkMRMLTableNode"] == 3 and found["classes"]["vtkMRMLPlotChartNode"] == 1


def test_fast_mode_labels_ed_and_es_only_and_all_frames_every_frame(read_back):
    mode, printed, found = read_back
    views = found["runs"][0]["views"]
    frames = {_frames_with_results(views[v][kind]) for v in views for kind in ("segmentation", "landmarks")
              if views[v][kind]}
    if mode == "fast":
        assert len(frames) == 1 and len(next(iter(frames))) == 2, frames  # the same ED and ES everywhere
        assert "fast mode" in printed
    else:
        assert frames == {tuple(range(N_FRAMES))}
        assert "all frames" in printed


def test_report_and_recompute_after_reopening_agree_with_what_was_built(read_back):
    _, printed, found = read_back
    run = found["runs"][0]
    assert f"LVEF {run['LVEF']} %" in printed and 20.0 < float(run["LVEF"]) < 90.0
    assert "truth" in run["source"]  # labelled as not a model output
    assert run["edited"] is False and run["recomputed_LVEF"] == run["LVEF"]
    assert run["inputs"] == {v: f"Phantom {v.upper().replace('_', ' ')} cine"
                             for v in ("sax", "lax_2c", "lax_3c", "lax_4c")}


def test_parameter_node_reopens_the_panel_as_it_was(read_back):
    mode, _, found = read_back
    params = found["parameters"]
    assert params["sax"] == "Phantom SAX cine" and params["lax_4c"] == "Phantom LAX 4C cine"
    assert params["fast"] is (mode == "fast") and params["weights"] == "demo"
    assert params["run"] == found["runs"][0]["report"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(MODES))
def test_demo_model_scene_reads_back(mode, tmp_path):
    """The scene the README command writes (demo weights, not truth labels) reads back in both modes."""
    printed, found = build_and_read(tmp_path, MODES[mode], truth=False)
    if "demo analysis not available" in printed:
        pytest.skip(printed.strip())
    run = found["runs"][0]
    assert run["source"] == "CineMA demo weights" and run["recomputed_LVEF"] == run["LVEF"]
    sax = run["views"]["sax"]["segmentation"]
    assert sax["items"] == N_FRAMES
    assert len(sax["labelled_frames"]) == (2 if mode == "fast" else N_FRAMES)
