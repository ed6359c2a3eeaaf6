"""The LV-centre workflow through the module logic (issue 16 item 4's Slicer part, item 3's panel part): the point
pre-filled before Analyse, the user's move reaching the analysis as ``lv_center``, the ROI on the window used, the
heart-not-found review, and the chart and table shown in the layout after the run.

The analysis runs in the real background worker with a fake ``analyse_study`` (``slicer_fake_centre``) that places
the crop as the pipeline does and records the options it received.
"""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import json
from pathlib import Path

import numpy as np
import pytest
from CineMASlicer.process import AnalysisProcess
from CineMASlicer.settings import Settings
from slicer_synthetic import study_and_results

from CineMALib.locate import locate_lv_center
from CineMALib.preprocess import sax_model_grid
from CineMALib.study import voxel_to_world

pytest_plugins = ("slicer_support", "slicer_layout_fake")  # fixtures ctx, layout_manager
pytestmark = pytest.mark.slicer
HERE = str(Path(__file__).resolve().parent)


def _logic(ctx, tmp_path, analysis="analyse_at_centre", layout=None):
    from CineMASlicer.logic import ModuleLogic

    return ModuleLogic(ctx, lambda: AnalysisProcess(analysis=f"slicer_fake_centre:{analysis}", extra_paths=(HERE,)),
                       temp_root=tmp_path, keep_jobs=True, layout=layout)


@pytest.fixture
def cines(ctx):
    from CineMASlicer.cine_nodes import add_cine

    study, _ = study_and_results()
    nodes = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    return study, Settings(sax=nodes["sax"].GetID(), lax_4c=nodes["lax_4c"].GetID(), weights="demo")


def _run(logic, settings):
    logic.start_analysis(settings)
    final = logic.wait(120)[-1]
    assert final.kind == "done", final.message
    rows = logic.finish(final)
    from CineMASlicer.exchange import load_results

    provenance = load_results(logic.process.job / "results.npz").provenance
    return rows, provenance, json.loads(provenance["options"])


def _roi_centre(ctx):
    from CineMASlicer.lv_centre import window_roi

    return np.array(window_roi(ctx).GetCenterWorld())


def _window_centre(view, centre):
    from CineMASlicer.lv_centre import window_box

    return window_box(sax_model_grid(view, centre))[0]


def test_point_is_prefilled_and_an_untouched_point_is_no_override(ctx, cines, tmp_path):
    from CineMASlicer.lv_centre import centre_point, point_position

    study, settings = cines
    logic = _logic(ctx, tmp_path)
    message = logic.locate_centre(settings)
    automatic = locate_lv_center(study["sax"], study).center_world
    np.testing.assert_allclose(point_position(centre_point(ctx)), automatic, atol=1e-3)
    assert "automatically" in message
    np.testing.assert_allclose(_roi_centre(ctx), _window_centre(study["sax"], automatic), atol=1e-3)
    _, provenance, options = _run(logic, settings)
    assert options["lv_center"] is None and provenance["lv centre source"] == "automatic"


def test_analyse_without_a_point_creates_none_before_the_run(ctx, cines, tmp_path):
    _, settings = cines
    logic = _logic(ctx, tmp_path)
    before = ctx.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode")
    assert logic.centre.override(settings.sax) is None
    assert ctx.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") == before


def test_the_users_point_reaches_the_crop_and_the_roi_follows(ctx, cines, tmp_path):
    from CineMASlicer.lv_centre import centre_point

    study, settings = cines
    logic = _logic(ctx, tmp_path)
    logic.locate_centre(settings)
    moved = voxel_to_world(study["sax"].affine, np.array([12.0, 9.0, 2.0]))  # the user drags it 7 mm away
    centre_point(ctx).SetNthControlPointPositionWorld(0, *moved)
    np.testing.assert_allclose(_roi_centre(ctx), _window_centre(study["sax"], moved), atol=1e-3)  # box follows
    _, provenance, options = _run(logic, settings)
    np.testing.assert_allclose(options["lv_center"], moved, atol=1e-6)
    assert provenance["lv centre source"] == "user"
    origin = np.array([float(v) for v in provenance["window origin (RAS mm)"].split(",")])
    np.testing.assert_allclose(origin, sax_model_grid(study["sax"], moved).affine[:3, 3], atol=0.06)  # the crop
    np.testing.assert_allclose(_roi_centre(ctx), _window_centre(study["sax"], moved), atol=0.1)  # after the run
    assert logic.review is None


def test_another_cine_gets_a_fresh_automatic_point(ctx, cines, tmp_path):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.lv_centre import centre_point

    study, settings = cines
    logic = _logic(ctx, tmp_path)
    logic.locate_centre(settings)
    centre_point(ctx).SetNthControlPointPositionWorld(0, 0.0, 0.0, 0.0)
    other = add_cine(ctx, study["sax"], "second sax cine")[2]
    assert logic.centre.override(other.GetID()) is None  # the point was moved on the first cine only
    logic.locate_centre(Settings(sax=other.GetID(), weights="demo"))
    from CineMASlicer.scene import SceneAdapter

    alone = SceneAdapter(ctx).study({"sax": other})  # what the panel locates on: this cine alone
    automatic = locate_lv_center(alone["sax"], alone).center_world
    assert np.linalg.norm(np.array(centre_point(ctx).GetNthControlPointPositionWorld(0)) - automatic) < 1e-3
    assert ctx.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") >= 1
    assert sum(1 for i in range(ctx.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode"))
               if ctx.scene.GetNthNodeByClass(i, "vtkMRMLMarkupsFiducialNode").GetName() == "CineMA LV centre") == 1


def test_heart_not_found_is_reported_for_the_panel(ctx, cines, tmp_path):
    _, settings = cines
    logic = _logic(ctx, tmp_path, "analyse_heart_not_found")
    _run(logic, settings)
    assert "heart not found with confidence" in logic.review
    assert "heart not found with confidence" in _logic(ctx, tmp_path).review  # a new panel on the same scene


def test_after_the_run_the_chart_and_table_are_in_the_layout(ctx, cines, tmp_path, layout_manager):
    from CineMASlicer.layout import PLOT_VIEW_TAG, TABLE_VIEW_TAG

    _, settings = cines
    logic = _logic(ctx, tmp_path, layout=layout_manager)
    _run(logic, settings)
    plot_view = ctx.scene.GetSingletonNode(PLOT_VIEW_TAG, "vtkMRMLPlotViewNode")
    table_view = ctx.scene.GetSingletonNode(TABLE_VIEW_TAG, "vtkMRMLTableViewNode")
    assert plot_view.GetPlotChartNodeID() == logic.run.extra["chart"].GetID()
    assert table_view.GetTableNodeID() == logic.run.report.GetID()


@pytest.mark.slow
def test_the_real_analysis_crops_at_the_users_point(ctx, cines, tmp_path):
    """The real worker and pipeline (demo weights, fast mode, about 20 s): the dragged point is the centre used."""
    from dataclasses import replace

    from CineMASlicer.centre_logic import WINDOW_KEY
    from CineMASlicer.exchange import load_results
    from CineMASlicer.logic import ModuleLogic
    from CineMASlicer.lv_centre import centre_point

    from CineMALib.provenance import CENTRE_KEY, SOURCE_KEY, parse_ras

    study, settings = cines
    logic = ModuleLogic(ctx, temp_root=tmp_path, keep_jobs=True)
    logic.locate_centre(settings)
    moved = voxel_to_world(study["sax"].affine, np.array([12.0, 9.0, 2.0]))
    centre_point(ctx).SetNthControlPointPositionWorld(0, *moved)
    logic.start_analysis(replace(settings, device="cpu", fast=True))
    final = logic.wait(600)[-1]
    assert final.kind == "done", final.message
    logic.finish(final)
    provenance = load_results(logic.process.job / "results.npz").provenance
    assert provenance[SOURCE_KEY] == "user"
    np.testing.assert_allclose(parse_ras(provenance[CENTRE_KEY]), moved, atol=0.06)
    window = sax_model_grid(study["sax"], parse_ras(provenance[WINDOW_KEY]))
    assert window.affine[:3, 3] == pytest.approx(sax_model_grid(study["sax"], moved).affine[:3, 3], abs=1e-6)
    np.testing.assert_allclose(_roi_centre(ctx), _window_centre(study["sax"], moved), atol=0.1)


def test_a_saved_scene_keeps_the_users_point_for_its_cine(ctx, cines, tmp_path):
    from CineMASlicer.centre_logic import LVCentreLogic
    from CineMASlicer.context import SceneContext
    from CineMASlicer.lv_centre import centre_point

    study, settings = cines
    logic = _logic(ctx, tmp_path)
    logic.locate_centre(settings)
    moved = voxel_to_world(study["sax"].affine, np.array([12.0, 9.0, 2.0]))
    centre_point(ctx).SetNthControlPointPositionWorld(0, *moved)
    roi_centre = _roi_centre(ctx)
    bundle = tmp_path / "scene.mrb"
    assert ctx.scene.WriteToMRB(str(bundle))
    fresh = SceneContext.headless(tmp_path / "fresh")
    try:
        for i in range(4):  # nodes already there, so the loaded IDs clash and are renamed
            fresh.scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", f"other {i}")
        assert fresh.scene.ReadFromMRB(str(bundle))
        sax = fresh.scene.GetNodesByClassByName("vtkMRMLScalarVolumeNode", "sax cine").GetItemAsObject(0)  # proxy
        np.testing.assert_allclose(LVCentreLogic(fresh).override(sax.GetID()), moved, atol=1e-3)
        np.testing.assert_allclose(_roi_centre(fresh), roi_centre, atol=1e-3)
    finally:
        fresh.scene.Clear(1)


def test_a_layout_that_fails_does_not_lose_the_results(ctx, cines, tmp_path, layout_manager):
    class BrokenLayoutManager:  # the scene has a layout node (layout_manager), the switch itself fails
        calls = 0

        def setLayout(self, layout):  # noqa: N802 - Qt's name
            BrokenLayoutManager.calls += 1
            raise RuntimeError("no main window")

    _, settings = cines
    logic = _logic(ctx, tmp_path, layout=BrokenLayoutManager())
    rows, _, _ = _run(logic, settings)
    assert BrokenLayoutManager.calls == 1 and rows and logic.current_rows() == rows


def test_recompute_keeps_the_lv_centre_rows_and_review(ctx, cines):
    from CineMASlicer.report_rows import find_value
    from CineMASlicer.scene import SceneAdapter

    from CineMALib.provenance import CENTRE_KEY, HEART_REVIEW_KEY, SOURCE_KEY

    study, settings = cines
    _, results = study_and_results()
    results.provenance = {CENTRE_KEY: "4.3, -15.7, 25.0", SOURCE_KEY: "user", "time locate (s)": "0.2",
                          HEART_REVIEW_KEY: "heart not found with confidence: test"}
    adapter = SceneAdapter(ctx)
    inputs = {"sax": ctx.scene.GetNodeByID(settings.sax), "lax_4c": ctx.scene.GetNodeByID(settings.lax_4c)}
    run = adapter.publish(study, inputs, results, "synthetic truth")
    assert find_value(adapter.rows(run), "LV centre R") == find_value(adapter.recompute(run), "LV centre R") == "4.30"
    flags = [row.reference for row in adapter.rows(run) if row.measure.startswith("LV centre")]
    assert flags and all("heart not found" in flag for flag in flags)
