"""scene_demo.py writes an MRB that a fresh scene reads back with every result a user expects to find."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import numpy as np
import pytest

pytestmark = pytest.mark.slicer


def _nodes(scene, class_name):
    collection = scene.GetNodesByClass(class_name)
    return [collection.GetItemAsObject(i) for i in range(collection.GetNumberOfItems())]


@pytest.fixture(scope="module")
def demo_scene(tmp_path_factory):
    pytest.importorskip("slicer", reason="slicer-core is not installed")
    pytest.importorskip("CineMALib.phantom", reason="CineMALib.phantom is not available yet")
    import scene_demo
    from CineMASlicer.context import SceneContext

    folder = tmp_path_factory.mktemp("demo")
    summary = scene_demo.build(folder / "cinema.mrb", seed=0, frames=6, truth=True)
    ctx = SceneContext.headless(folder / "read-temp")
    assert ctx.scene.ReadFromMRB(str(folder / "cinema.mrb"))
    yield ctx, summary
    ctx.scene.Clear(1)


def test_segments_are_named_lv_myocardium_rv(demo_scene):
    ctx, _ = demo_scene
    names = set()
    for node in _nodes(ctx.scene, "vtkMRMLSegmentationNode"):
        segmentation = node.GetSegmentation()
        names |= {segmentation.GetNthSegment(i).GetName() for i in range(segmentation.GetNumberOfSegments())}
    assert {"LV blood pool", "LV myocardium", "RV blood pool"} <= names


def test_landmark_points_are_there(demo_scene):
    ctx, _ = demo_scene
    sequences = [n for n in _nodes(ctx.scene, "vtkMRMLSequenceNode")
                 if n.GetAttribute("CineMA.role") == "landmarks_sequence"]
    assert {n.GetAttribute("CineMA.view") for n in sequences} == {"lax_2c", "lax_4c"}
    labels = set()
    for sequence in sequences:
        for i in range(sequence.GetNumberOfDataNodes()):
            item = sequence.GetNthDataNode(i)
            labels |= {item.GetNthControlPointLabel(p) for p in range(item.GetNumberOfControlPoints())}
    assert {"apex", "mitral_lateral", "mitral_septal", "mitral_anterior", "mitral_inferior"} <= labels
    shown = [n for n in _nodes(ctx.scene, "vtkMRMLMarkupsFiducialNode") if n.GetAttribute("CineMA.role") == "landmarks"]
    assert shown and all(n.GetNumberOfControlPoints() >= 3 for n in shown)


def test_report_table_has_lvef_as_measured(demo_scene):
    ctx, summary = demo_scene
    from CineMASlicer.report_nodes import rows_of_table
    from CineMASlicer.report_rows import find_value

    reports = [n for n in _nodes(ctx.scene, "vtkMRMLTableNode") if n.GetAttribute("CineMA.role") == "report"]
    assert len(reports) == 1
    lvef = find_value(rows_of_table(reports[0]), "LVEF")
    assert lvef == summary["LVEF"] and 20.0 < float(lvef) < 90.0
    assert "truth" in reports[0].GetAttribute("CineMA.source")  # labelled as not a model output


def test_cine_sequence_with_browser_and_synchronised_results(demo_scene):
    ctx, _ = demo_scene
    cines = [n for n in _nodes(ctx.scene, "vtkMRMLSequenceNode") if n.GetName() == "Phantom SAX cine"]
    assert len(cines) == 1 and cines[0].GetNumberOfDataNodes() == 6
    frame = cines[0].GetNthDataNode(0)
    assert frame.IsA("vtkMRMLScalarVolumeNode") and frame.GetImageData() is not None
    browser = ctx.sequences_logic.GetFirstBrowserNodeForSequenceNode(cines[0])
    results = [n for n in _nodes(ctx.scene, "vtkMRMLSequenceNode")
               if n.GetAttribute("CineMA.role") == "segmentation_sequence" and n.GetAttribute("CineMA.view") == "sax"]
    assert len(results) == 1 and browser.IsSynchronizedSequenceNode(results[0].GetID(), True)


def test_recompute_after_reopening_gives_the_same_numbers(demo_scene):
    ctx, summary = demo_scene
    from CineMASlicer.report_rows import find_value
    from CineMASlicer.scene import SceneAdapter

    adapter = SceneAdapter(ctx)
    run = adapter.latest_run()
    assert not adapter.is_edited(run)
    assert find_value(adapter.recompute(run), "LVEF") == summary["LVEF"]
    labels = run.views["sax"].segmentation_frames()
    assert len(labels) == 6 and np.isfinite(float(summary["LVEF"]))
