"""Show a run's volume chart (ED/ES marked) and report table in Slicer's view layout, beside the cine.

Why two halves: the scene part (register the layout description on the layout node, point the plot and table view
nodes at the run's chart and report) is plain MRML and runs headless with slicer-core, where the same
``vtkMRMLLayoutLogic`` the application uses creates the view nodes; the one call that needs the Qt layout manager
(``setLayout``) goes through :class:`LayoutSwitcher`, which tests fake.
"""

from __future__ import annotations

from typing import Any, Protocol

from .context import SceneContext

#: Layout ID of the CineMA layout (Slicer's built-in IDs are below 100; extensions pick their own).
LAYOUT_ID = 2601
PLOT_VIEW_TAG = "CineMAPlot"
TABLE_VIEW_TAG = "CineMATable"
_SLICE = ('<item><view class="vtkMRMLSliceNode" singletontag="{tag}"><property name="orientation" action="default">'
          '{orientation}</property><property name="viewlabel" action="default">{label}</property>'
          '<property name="viewcolor" action="default">{color}</property></view></item>')
#: Three slice views over the chart and the table (the slices keep Slicer's Red/Yellow/Green names and colours).
LAYOUT_XML = (
    '<layout type="vertical" split="true">'
    '<item splitSize="600"><layout type="horizontal">'
    + _SLICE.format(tag="Red", orientation="Axial", label="R", color="#F34A33")
    + _SLICE.format(tag="Yellow", orientation="Sagittal", label="Y", color="#EDD54C")
    + _SLICE.format(tag="Green", orientation="Coronal", label="G", color="#6EB04B")
    + '</layout></item>'
    '<item splitSize="400"><layout type="horizontal">'
    f'<item><view class="vtkMRMLPlotViewNode" singletontag="{PLOT_VIEW_TAG}">'
    '<property name="viewlabel" action="default">P</property></view></item>'
    f'<item><view class="vtkMRMLTableViewNode" singletontag="{TABLE_VIEW_TAG}">'
    '<property name="viewlabel" action="default">T</property></view></item>'
    '</layout></item></layout>')


class LayoutSwitcher(Protocol):
    """What CineMA needs of ``slicer.app.layoutManager()``: switch to a layout by ID (creates its view nodes)."""

    def setLayout(self, layout: int) -> None: ...


def layout_node(ctx: SceneContext) -> Any:
    """The scene's layout node (the application's singleton; a headless scene may have none)."""
    return ctx.scene.GetFirstNodeByClass("vtkMRMLLayoutNode")


def register_layout(ctx: SceneContext) -> bool:
    """Add the CineMA layout description to the scene's layout node; False when the scene has no layout node."""
    node = layout_node(ctx)
    if node is None:
        return False
    if node.IsLayoutDescription(LAYOUT_ID):
        node.SetLayoutDescription(LAYOUT_ID, LAYOUT_XML)
    else:
        node.AddLayoutDescription(LAYOUT_ID, LAYOUT_XML)
    return True


def _view_node(ctx: SceneContext, class_name: str, tag: str) -> Any:
    nodes = ctx.scene.GetNodesByClass(class_name)
    found = [nodes.GetItemAsObject(i) for i in range(nodes.GetNumberOfItems())]
    return next((n for n in found if n.GetSingletonTag() == tag), None)


def show_chart_and_table(ctx: SceneContext, chart: Any, table: Any, switcher: LayoutSwitcher | None) -> bool:
    """Switch to the CineMA layout and show ``chart`` and ``table`` in its plot and table views.

    Returns False (and changes nothing) when there is no layout manager or layout node, e.g. Slicer started
    without a main window; the nodes are then still in the scene for the Plots and Tables modules.
    """
    if switcher is None or chart is None or table is None or not register_layout(ctx):
        return False
    switcher.setLayout(LAYOUT_ID)
    plot_view = _view_node(ctx, "vtkMRMLPlotViewNode", PLOT_VIEW_TAG)
    table_view = _view_node(ctx, "vtkMRMLTableViewNode", TABLE_VIEW_TAG)
    if plot_view is None or table_view is None:
        return False
    plot_view.SetPlotChartNodeID(chart.GetID())
    table_view.SetTableNodeID(table.GetID())
    selection = ctx.scene.GetNodeByID("vtkMRMLSelectionNodeSingleton")
    if selection is not None:  # so Slicer's own "show in layout" actions pick the same nodes
        selection.SetActivePlotChartID(chart.GetID())
        selection.SetActiveTableID(table.GetID())
    return True


def show_run(ctx: SceneContext, run: Any, switcher: LayoutSwitcher | None) -> bool:
    """Show a :class:`~CineMASlicer.result_set.ResultSet`'s volume chart and report table in the layout."""
    return show_chart_and_table(ctx, run.extra.get("chart"), run.report, switcher)
