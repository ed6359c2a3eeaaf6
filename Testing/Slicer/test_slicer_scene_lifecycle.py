"""A result scene over a user's session: frames left out by fast mode, browsing, Analyse again, Recompute, save and
reopen. Node counts must not grow, results must be found again, and a saved scene must read back in a fresh process
(run as a subprocess, so a reader crash fails the test instead of killing pytest)."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from slicer_synthetic import ES_FRAME, N_FRAMES, study_and_results

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer
READBACK = Path(__file__).resolve().parent / "scene_readback.py"
FAST_FRAMES = (0, ES_FRAME)


def _fast(results):
    """The synthetic results as fast mode returns them: labels and landmarks on ED and ES only."""
    left_out = [t for t in range(N_FRAMES) if t not in FAST_FRAMES]
    results.views["sax"].labels[..., left_out] = 0
    results.views["sax"].analysed_frames = FAST_FRAMES
    for track in results.views["lax_4c"].landmarks_world.values():
        track[left_out] = np.nan
    return results


@pytest.fixture(params=["fast", "all frames"])
def published(request, ctx):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.scene import SceneAdapter

    study, results = study_and_results()
    if request.param == "fast":
        results = _fast(results)
    inputs = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    adapter = SceneAdapter(ctx)
    run = adapter.publish(study, inputs, results, "synthetic truth")
    return request.param, ctx, adapter, study, results, inputs, run


def _browse(ctx, inputs, frame):
    for node in inputs.values():
        browser = ctx.sequences_logic.GetFirstBrowserNodeForProxyNode(node)
        browser.SetSelectedItemNumber(frame)
        ctx.update_proxies(browser)


def _named(ctx, name):
    nodes = ctx.scene.GetNodes()
    return [nodes.GetItemAsObject(i) for i in range(nodes.GetNumberOfItems())
            if nodes.GetItemAsObject(i).GetName() == name]


def test_empty_frame_is_named_empty_segments_on_the_view_grid(ctx):
    import slicer
    from CineMASlicer.segmentation_nodes import labels_from_segmentation, new_segmentation

    study, _ = study_and_results()
    node = new_segmentation(np.zeros(study["sax"].shape, dtype=np.uint8), study["sax"].affine)
    segmentation = node.GetSegmentation()
    assert [segmentation.GetNthSegment(i).GetName() for i in range(3)] == ["RV blood pool", "LV myocardium",
                                                                           "LV blood pool"]
    for i in range(3):  # Slicer's own empty segment: no voxels at all, not a 1-voxel image of zeros
        extent = segmentation.GetNthSegment(i).GetRepresentation("Binary labelmap").GetExtent()
        assert extent[1] < extent[0]
    geometry = segmentation.GetConversionParameter(
        slicer.vtkSegmentationConverter.GetReferenceImageGeometryParameterName())
    assert geometry  # where the Segment Editor paints when the user contours this frame
    assert not labels_from_segmentation(node, study["sax"].affine, study["sax"].shape).any()


def test_analyse_browse_analyse_again_leaves_the_node_count(published):
    _, ctx, adapter, study, results, inputs, first = published
    before = ctx.scene.GetNumberOfNodes()
    _browse(ctx, inputs, 2)  # the proxies now show frame 2: their attributes are the sequence item's
    second = adapter.publish(study, inputs, results, "synthetic truth")
    assert ctx.scene.GetNumberOfNodes() == before
    assert first.report.GetScene() is None and "run" not in second.report.GetName()
    assert len(_named(ctx, "CineMA SAX segmentation")) == 1 and len(_named(ctx, "CineMA 4C landmarks")) == 1
    assert adapter.shown_run().run_id == second.run_id


def test_run_found_after_browsing_has_the_shown_nodes(published):
    from CineMASlicer import result_set as rs

    _, ctx, adapter, _, _, inputs, run = published
    _browse(ctx, inputs, ES_FRAME)
    found = rs.find(ctx, run.run_id)
    assert found.views["sax"].segmentation is run.views["sax"].segmentation
    assert found.views["lax_4c"].landmarks is run.views["lax_4c"].landmarks
    assert adapter.inputs_of(found) == inputs


def test_three_recomputes_add_no_nodes(published):
    from CineMASlicer.segmentation_nodes import new_segmentation

    _, ctx, adapter, study, results, inputs, run = published
    edited = results.views["sax"].labels[..., 0].copy()
    edited[edited == 3] = 0
    _browse(ctx, inputs, 0)
    run.views["sax"].segmentation.GetSegmentation().DeepCopy(
        new_segmentation(edited, study["sax"].affine).GetSegmentation())  # the user erases the ED LV pool
    adapter.recompute(run)
    after_first = ctx.scene.GetNumberOfNodes()
    for _ in range(2):
        adapter.recompute(adapter.latest_run())
    assert ctx.scene.GetNumberOfNodes() == after_first
    assert adapter.is_edited(run)


def test_saved_scene_reads_back_in_a_fresh_process(published, tmp_path):
    mode, ctx, adapter, _, _, inputs, run = published
    _browse(ctx, inputs, 1)  # saved while showing a frame fast mode left out
    lvef = adapter.rows(run)
    bundle = tmp_path / "scene.mrb"
    assert ctx.scene.WriteToMRB(str(bundle))
    done = subprocess.run([sys.executable, str(READBACK), str(bundle), "--recompute"], capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        crash = " (killed by a signal: a crash)" if done.returncode < 0 else ""
        pytest.fail(f"reading {mode} scene exited with {done.returncode}{crash}:\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout)
    assert len(found["runs"]) == 1
    back = found["runs"][0]
    sax = back["views"]["sax"]["segmentation"]
    assert sax["items"] == N_FRAMES and sax["shown"] and sax["browser_master"] == "sax cine"
    assert tuple(sax["labelled_frames"]) == (FAST_FRAMES if mode == "fast" else tuple(range(N_FRAMES)))
    marks = back["views"]["lax_4c"]["landmarks"]
    assert marks["items"] == N_FRAMES and marks["labels"] == ["apex", "mitral_lateral", "mitral_septal"]
    assert back["edited"] is False and back["recomputed_LVEF"] == back["LVEF"]
    assert back["inputs"] == {"sax": "sax cine", "lax_4c": "lax_4c cine"}
    assert found["parameters"]["run"] == run.report.GetName()
    from CineMASlicer.report_rows import find_value

    assert back["LVEF"] == find_value(lvef, "LVEF")
