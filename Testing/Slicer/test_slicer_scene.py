"""Scene adapter against a real headless MRML scene (slicer-core): cine in, result nodes out, edits, recompute."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import numpy as np
import pytest
from slicer_synthetic import ES_FRAME, N_FRAMES, study_and_results

from CineMALib.labels import LV
from CineMALib.measure import measure_study
from CineMALib.study import CineView

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer


@pytest.fixture
def loaded(ctx):
    """The synthetic study as the user would have it: each view a cine sequence with a browser."""
    from CineMASlicer.cine_nodes import add_cine

    study, results = study_and_results()
    inputs = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    return ctx, study, results, inputs


def _browser(ctx, node):
    return ctx.sequences_logic.GetFirstBrowserNodeForProxyNode(node)


def _select(ctx, browser, t):
    browser.SetSelectedItemNumber(t)
    ctx.update_proxies(browser)


def test_study_from_proxy_and_sequence_keeps_voxels_geometry_and_times(loaded):
    from CineMASlicer.study_nodes import view_from_node

    ctx, study, _, inputs = loaded
    proxy = inputs["sax"]
    for node in (proxy, _browser(ctx, proxy).GetMasterSequenceNode()):
        view = view_from_node(ctx, node, "sax")
        np.testing.assert_allclose(view.data, study["sax"].data, atol=1e-6)
        np.testing.assert_allclose(view.affine, study["sax"].affine, atol=1e-6)
        np.testing.assert_allclose(view.trigger_times_ms, study["sax"].trigger_times_ms)


def test_linear_transform_moves_the_grid_and_a_warp_is_refused(loaded):
    import vtk
    from CineMASlicer.study_nodes import view_from_node

    from CineMALib.errors import CineMAInputError

    ctx, study, _, inputs = loaded
    shift = ctx.scene.AddNewNodeByClass("vtkMRMLLinearTransformNode", "shift")
    matrix = vtk.vtkMatrix4x4()
    matrix.SetElement(0, 3, 10.0)
    shift.SetMatrixTransformToParent(matrix)
    inputs["sax"].SetAndObserveTransformNodeID(shift.GetID())
    sequence = _browser(ctx, inputs["sax"]).GetMasterSequenceNode()
    for node in (inputs["sax"], sequence):
        moved = view_from_node(ctx, node, "sax").affine
        np.testing.assert_allclose(moved[:3, 3], study["sax"].affine[:3, 3] + [10.0, 0.0, 0.0], atol=1e-6)
        np.testing.assert_allclose(moved[:3, :3], study["sax"].affine[:3, :3], atol=1e-9)
    warp = ctx.scene.AddNewNodeByClass("vtkMRMLGridTransformNode", "warp")
    inputs["sax"].SetAndObserveTransformNodeID(warp.GetID())
    with pytest.raises(CineMAInputError, match="harden"):
        view_from_node(ctx, inputs["sax"], "sax")


def test_single_volume_is_one_frame_and_rgb_is_refused(ctx):
    import slicer
    from CineMASlicer.geometry import set_array_ijk
    from CineMASlicer.study_nodes import view_from_node

    from CineMALib.errors import CineMAInputError

    study, _ = study_and_results()
    frame = study["sax"].frame(3)
    volume = ctx.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "one frame")
    set_array_ijk(volume, frame, study["sax"].affine)
    view = view_from_node(ctx, volume, "sax")
    assert view.n_frames == 1
    np.testing.assert_allclose(view.data[..., 0], frame)
    rgb = ctx.scene.AddNewNodeByClass("vtkMRMLVectorVolumeNode", "colour")
    slicer.util.updateVolumeFromArray(rgb, np.zeros((2, 3, 4, 3), dtype=np.uint8))
    with pytest.raises(CineMAInputError, match="not a cine"):
        view_from_node(ctx, rgb, "sax")


def test_multivolume_components_are_frames_with_times(ctx):
    import slicer
    from CineMASlicer.geometry import set_affine
    from CineMASlicer.study_nodes import view_from_node

    data = np.random.default_rng(2).random((3, 4, 5, 6)).astype(np.float32)  # (k, j, i, t)
    node = ctx.scene.AddNewNodeByClass("vtkMRMLVectorVolumeNode", "multivolume")
    slicer.util.updateVolumeFromArray(node, data)
    set_affine(node, np.diag([2.0, 2.0, 5.0, 1.0]))
    node.SetAttribute("MultiVolume.NumberOfFrames", "6")
    node.SetAttribute("MultiVolume.FrameLabels", ",".join(str(v) for v in range(0, 60, 10)))
    node.SetAttribute("MultiVolume.FrameIdentifyingDICOMTagUnits", "ms")
    view = view_from_node(ctx, node, "sax")
    assert view.data.shape == (5, 4, 3, 6)
    np.testing.assert_allclose(view.data[1, 2, 0, 4], data[0, 2, 1, 4])
    np.testing.assert_allclose(view.trigger_times_ms, np.arange(0, 60, 10))


def test_publish_segments_follow_the_cine_browser(loaded):
    from CineMASlicer.scene import SceneAdapter
    from CineMASlicer.segmentation_nodes import labels_from_segmentation
    from CineMASlicer.terminology import SEGMENTS

    ctx, study, results, inputs = loaded
    run = SceneAdapter(ctx).publish(study, inputs, results, "synthetic truth")
    sax = run.views["sax"]
    segmentation = sax.segmentation.GetSegmentation()
    names = {segmentation.GetNthSegment(i).GetName() for i in range(segmentation.GetNumberOfSegments())}
    assert names == {"LV blood pool", "LV myocardium", "RV blood pool"}
    lv = segmentation.GetSegment("LV")
    assert tuple(round(c, 2) for c in lv.GetColor()) == next(s.color for s in SEGMENTS if s.segment_id == "LV")
    browser = _browser(ctx, inputs["sax"])
    assert browser.IsSynchronizedSequenceNode(sax.segmentation_sequence.GetID(), True)
    for t in (0, ES_FRAME):
        _select(ctx, browser, t)
        shown = labels_from_segmentation(sax.segmentation, study["sax"].affine, study["sax"].shape)
        np.testing.assert_array_equal(shown, results.views["sax"].labels[..., t])


def test_terminology_codes_are_snomed(loaded):
    import vtk
    from CineMASlicer.scene import SceneAdapter

    ctx, study, results, inputs = loaded
    run = SceneAdapter(ctx).publish(study, inputs, results, "synthetic truth")
    segmentation = run.views["sax"].segmentation.GetSegmentation()
    codes = {}
    for segment_id in ("LV", "MYO", "RV"):
        segment = segmentation.GetSegment(segment_id)
        text = vtk.reference("")
        assert segment.GetTag(segment.GetTerminologyEntryTagName(), text)
        codes[segment_id] = str(text).split("~")[2].split("^")[1]
    assert codes == {"LV": "87878005", "MYO": "49848007", "RV": "53085002"}


def test_landmarks_follow_the_lax_browser(loaded):
    from CineMASlicer.landmark_nodes import points_of
    from CineMASlicer.scene import SceneAdapter

    ctx, study, results, inputs = loaded
    run = SceneAdapter(ctx).publish(study, inputs, results, "synthetic truth")
    lax = run.views["lax_4c"]
    browser = _browser(ctx, inputs["lax_4c"])
    truth = results.views["lax_4c"].landmarks_world
    for t in (0, ES_FRAME):
        _select(ctx, browser, t)
        points = points_of(lax.landmarks)
        assert set(points) == set(truth)
        for name, xyz in points.items():
            np.testing.assert_allclose(xyz, truth[name][t], atol=1e-3)


def test_report_table_and_chart_match_the_measurements(loaded):
    from CineMASlicer.report_rows import find_value
    from CineMASlicer.scene import SceneAdapter

    ctx, study, results, inputs = loaded
    adapter = SceneAdapter(ctx)
    run = adapter.publish(study, inputs, results, "synthetic truth")
    expected = measure_study(results, study)
    assert find_value(adapter.rows(run), "LVEF") == expected.get("LVEF").formatted()
    chart = run.extra["chart"]
    assert chart.GetNumberOfPlotSeriesNodes() == 3  # LV, RV, ED/ES markers
    curves = run.extra["curves"]
    lv_column = curves.GetTable().GetColumnByName("LV (mL)")
    values = [lv_column.GetValue(i) for i in range(lv_column.GetNumberOfTuples())]
    np.testing.assert_allclose(values, expected.curves_ml["LV"], rtol=1e-9)


def test_results_sit_under_the_study_in_the_hierarchy(loaded):
    from CineMASlicer.hierarchy import new_study, study_item_of
    from CineMASlicer.scene import SceneAdapter

    ctx, study, results, inputs = loaded
    study_item = new_study(ctx, "Patient", "Cine study", inputs.values())
    run = SceneAdapter(ctx).publish(study, inputs, results, "synthetic truth")
    for node in run.all_nodes():
        assert study_item_of(ctx, node) == study_item, node.GetName()


def test_recompute_measures_the_edited_segmentation(loaded):
    from CineMASlicer.report_rows import find_value
    from CineMASlicer.scene import SceneAdapter
    from CineMASlicer.segmentation_nodes import new_segmentation

    ctx, study, results, inputs = loaded
    adapter = SceneAdapter(ctx)
    run = adapter.publish(study, inputs, results, "synthetic truth")
    edited = results.views["sax"].labels.copy()
    edited[:, :, 1, 0][edited[:, :, 1, 0] == LV] = 0  # the user erases the ED LV pool on one slice
    _select(ctx, _browser(ctx, inputs["sax"]), 0)
    run.views["sax"].segmentation.GetSegmentation().DeepCopy(
        new_segmentation(edited[..., 0], study["sax"].affine).GetSegmentation())
    assert adapter.is_edited(run)
    rows = adapter.recompute(run)
    results.views["sax"].labels = edited
    expected = measure_study(results, study)
    assert find_value(rows, "LVEDV") == expected.get("LVEDV").formatted()
    assert find_value(adapter.rows(run), "LVEDV") == expected.get("LVEDV").formatted()
    assert find_value(rows, "LVEDV") != measure_study(study_and_results()[1], study).get("LVEDV").formatted()


def test_reanalysis_keeps_edited_nodes_and_replaces_unedited(loaded):
    from CineMASlicer.scene import SceneAdapter

    ctx, study, results, inputs = loaded
    adapter = SceneAdapter(ctx)
    first = adapter.publish(study, inputs, results, "synthetic truth")
    second = adapter.publish(study, inputs, results, "synthetic truth")
    assert first.report.GetScene() is None  # unedited: replaced
    landmarks = second.views["lax_4c"].landmarks
    _select(ctx, _browser(ctx, inputs["lax_4c"]), 1)
    landmarks.SetNthControlPointPosition(0, 1.0, 2.0, 3.0)  # the user moves a landmark
    third = adapter.publish(study, inputs, results, "synthetic truth")
    assert second.report.GetScene() is not None and landmarks.GetScene() is not None
    assert third.report.GetID() != second.report.GetID()
    assert "run" in third.report.GetName()
    assert adapter.latest_run(inputs["sax"]).run_id == third.run_id


def test_single_frame_input_gets_plain_nodes(ctx):
    from CineMASlicer.geometry import set_array_ijk
    from CineMASlicer.scene import SceneAdapter

    study, results = study_and_results()
    volume = ctx.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "ED only")
    set_array_ijk(volume, study["sax"].frame(0), study["sax"].affine)
    adapter = SceneAdapter(ctx)
    one = adapter.study({"sax": volume})
    labels = results.views["sax"].labels[..., :1]
    results.views = {"sax": results.views["sax"]}
    results.views["sax"].labels, results.views["sax"].analysed_frames = labels, (0,)
    run = adapter.publish(one, {"sax": volume}, results, "synthetic truth")
    assert run.views["sax"].segmentation_sequence is None
    assert run.views["sax"].segmentation.GetScene() is ctx.scene
    assert isinstance(one["sax"], CineView) and one["sax"].n_frames == 1 < N_FRAMES
