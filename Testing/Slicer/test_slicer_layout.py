"""The volume chart (ED/ES marked) and the report table shown in the layout after an analysis.

The scene half runs on slicer-core with the same ``vtkMRMLLayoutLogic`` the application uses (it creates the view
nodes a layout names); the Qt layout manager is faked by a switcher that sets the layout node's arrangement, which is
what ``qMRMLLayoutManager.setLayout`` does.
"""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import numpy as np
import pytest
from slicer_synthetic import ES_FRAME, TIMES_MS, study_and_results

pytest_plugins = ("slicer_support", "slicer_layout_fake")  # fixtures ctx, layout_manager
pytestmark = pytest.mark.slicer


@pytest.fixture
def with_layout(ctx, layout_manager):
    return ctx, layout_manager


def _published(ctx):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.scene import SceneAdapter

    study, results = study_and_results()
    inputs = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    return SceneAdapter(ctx).publish(study, inputs, results, "synthetic truth")


def _column(table_node, name):
    column = table_node.GetTable().GetColumnByName(name)
    return [column.GetValue(i) for i in range(column.GetNumberOfTuples())]


def test_chart_and_report_fill_the_plot_and_table_views(with_layout):
    from CineMASlicer.layout import LAYOUT_ID, PLOT_VIEW_TAG, TABLE_VIEW_TAG, show_run

    ctx, manager = with_layout
    run = _published(ctx)
    assert show_run(ctx, run, manager)
    assert manager.calls == [LAYOUT_ID] and manager.layout_node.GetViewArrangement() == LAYOUT_ID
    plot_view = ctx.scene.GetSingletonNode(PLOT_VIEW_TAG, "vtkMRMLPlotViewNode")
    table_view = ctx.scene.GetSingletonNode(TABLE_VIEW_TAG, "vtkMRMLTableViewNode")
    assert plot_view.GetPlotChartNodeID() == run.extra["chart"].GetID()
    assert table_view.GetTableNodeID() == run.report.GetID()
    assert ctx.scene.GetNodesByClass("vtkMRMLSliceNode").GetNumberOfItems() >= 3  # the cine stays in view
    chart = plot_view.GetPlotChartNode()
    markers = [chart.GetNthPlotSeriesNode(i) for i in range(chart.GetNumberOfPlotSeriesNodes())]
    phases = next(s for s in markers if "ED and ES" in s.GetName()).GetTableNode()
    np.testing.assert_allclose(_column(phases, "Time (ms)"), [TIMES_MS[0], TIMES_MS[ES_FRAME]])  # ED 0, ES 3
    lv = _column(run.extra["curves"], "LV (mL)")
    np.testing.assert_allclose(_column(phases, "LV (mL)"), [max(lv), min(lv)])
    selection = ctx.scene.GetNodeByID("vtkMRMLSelectionNodeSingleton")
    assert selection.GetActiveTableID() == run.report.GetID()


def test_showing_twice_keeps_one_plot_and_one_table_view(with_layout):
    from CineMASlicer.layout import show_run

    ctx, manager = with_layout
    run = _published(ctx)
    show_run(ctx, run, manager)
    counts = [ctx.scene.GetNumberOfNodesByClass(c) for c in ("vtkMRMLPlotViewNode", "vtkMRMLTableViewNode")]
    assert show_run(ctx, run, manager)
    assert [ctx.scene.GetNumberOfNodesByClass(c) for c in ("vtkMRMLPlotViewNode", "vtkMRMLTableViewNode")] == counts


def test_without_layout_manager_or_layout_node_nothing_changes(ctx):
    from CineMASlicer.layout import show_run
    from slicer_layout_fake import FakeLayoutManager

    run = _published(ctx)
    assert not show_run(ctx, run, None)
    assert not show_run(ctx, run, FakeLayoutManager(None))  # a scene without a layout node (no main window)
    assert ctx.scene.GetNumberOfNodesByClass("vtkMRMLPlotViewNode") == 0
