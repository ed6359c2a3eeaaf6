"""Export and scene files: report CSV, .seg.nrrd and .mrk.json read back by Slicer's storage nodes; MRB round trip."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import csv

import numpy as np
import pytest
from slicer_synthetic import ES_FRAME, study_and_results

from CineMALib.measure import measure_study

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'

pytestmark = pytest.mark.slicer


@pytest.fixture
def published(ctx):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.scene import SceneAdapter

    study, results = study_and_results()
    inputs = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    adapter = SceneAdapter(ctx)
    return adapter, adapter.publish(study, inputs, results, "synthetic truth"), study, results


def test_export_writes_csv_segmentations_and_landmarks(published, tmp_path, ctx):
    import slicer

    adapter, run, study, results = published
    files = adapter.export(run, tmp_path / "out")
    names = {f.name for f in files}
    assert "report.csv" in names and "sax_frame00.seg.nrrd" in names
    assert f"lax_4c_frame{ES_FRAME:02d}_landmarks.mrk.json" in names
    assert not [p for p in (tmp_path / "out").iterdir() if "partial" in p.name]
    with open(tmp_path / "out" / "report.csv", newline="", encoding="utf-8") as handle:
        rows = {row["Measure"]: row for row in csv.DictReader(handle)}
    assert rows["LVEF"]["Value"] == measure_study(results, study).get("LVEF").formatted()
    assert rows["LVEF"]["Unit"] == "%"

    segmentation = ctx.scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "read back")
    storage = slicer.vtkMRMLSegmentationStorageNode()
    storage.SetFileName(str(tmp_path / "out" / f"sax_frame{ES_FRAME:02d}.seg.nrrd"))
    assert storage.ReadData(segmentation)
    from CineMASlicer.segmentation_nodes import labels_from_segmentation

    labels = labels_from_segmentation(segmentation, study["sax"].affine, study["sax"].shape)
    np.testing.assert_array_equal(labels, results.views["sax"].labels[..., ES_FRAME])

    points = ctx.scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "points back")
    reader = slicer.vtkMRMLMarkupsJsonStorageNode()
    reader.SetFileName(str(tmp_path / "out" / f"lax_4c_frame{ES_FRAME:02d}_landmarks.mrk.json"))
    assert reader.ReadData(points)
    from CineMASlicer.landmark_nodes import points_of

    back = points_of(points)
    for name, track in results.views["lax_4c"].landmarks_world.items():
        np.testing.assert_allclose(back[name], track[ES_FRAME], atol=1e-3)


def test_failed_write_leaves_no_file(tmp_path):
    from CineMALib.atomic import atomic_write

    def broken(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(tmp_path / "report.csv", broken)
    assert list(tmp_path.iterdir()) == []


def test_mrb_round_trip_then_recompute(published, tmp_path):
    from CineMASlicer.context import SceneContext
    from CineMASlicer.report_rows import find_value
    from CineMASlicer.scene import SceneAdapter

    adapter, run, study, results = published
    bundle = tmp_path / "scene.mrb"
    assert adapter.ctx.scene.WriteToMRB(str(bundle))
    fresh = SceneContext.headless(tmp_path / "fresh-temp")
    assert fresh.scene.ReadFromMRB(str(bundle))
    reopened = SceneAdapter(fresh)
    again = reopened.latest_run()
    assert again is not None and again.run_id == run.run_id
    assert not reopened.is_edited(again)
    expected = measure_study(results, study).get("LVEF").formatted()
    assert find_value(reopened.rows(again), "LVEF") == expected
    assert find_value(reopened.recompute(again), "LVEF") == expected
