"""Report table, volume-curve table and plot chart (LV/RV volume over the cycle, ED and ES marked)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .context import SceneContext
from .report_rows import COLUMNS, TableRow, rows_from_cells

CURVE_COLORS: dict[str, tuple[float, float, float]] = {"LV": (0.85, 0.2, 0.2), "RV": (0.2, 0.45, 0.9),
                                                        "MYO": (0.25, 0.75, 0.3)}
PHASE_COLORS: dict[str, tuple[float, float, float]] = {"ED": (0.1, 0.1, 0.1), "ES": (0.95, 0.6, 0.0)}


def fill_report_table(table: Any, rows: list[TableRow]) -> None:
    """Replace the table's content with ``rows`` (text columns named as in ``COLUMNS``)."""
    import vtk

    was_modifying = table.StartModify()
    table.RemoveAllColumns()
    for name in COLUMNS:
        column = vtk.vtkStringArray()
        column.SetName(name)
        table.AddColumn(column)
    for row in rows:
        index = table.AddEmptyRow()
        for c, cell in enumerate(row.cells()):
            table.SetCellText(index, c, cell)
    table.SetUseColumnTitleAsColumnHeader(True)
    table.SetLocked(True)  # edit segmentations and landmarks, then Recompute; never the numbers
    table.EndModify(was_modifying)


def rows_of_table(table: Any) -> list[TableRow]:
    """The rows a report table shows."""
    n_cols = min(table.GetNumberOfColumns(), len(COLUMNS))
    return rows_from_cells([[table.GetCellText(r, c) for c in range(n_cols)] for r in range(table.GetNumberOfRows())])


def _set_double_columns(table: Any, columns: dict[str, np.ndarray]) -> None:
    import vtk

    was_modifying = table.StartModify()
    table.RemoveAllColumns()
    for name, values in columns.items():
        array = vtk.vtkDoubleArray()
        array.SetName(name)
        for value in np.asarray(values, dtype=float):
            array.InsertNextValue(float(value))
        table.AddColumn(array)
    table.SetLocked(True)
    table.EndModify(was_modifying)


def curve_columns(report: Any) -> tuple[str, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(x column name, curve columns over analysed frames, ED/ES marker columns) from a report's curves."""
    curves = {k: np.asarray(v, dtype=float) for k, v in getattr(report, "curves_ml", {}).items()}
    lv = curves.get("LV")
    if lv is None:
        return "Frame", {}, {}
    frames = np.flatnonzero(np.isfinite(lv))
    times = getattr(report, "frame_times_ms", None)
    x_name = "Time (ms)" if times is not None else "Frame"
    x_all = np.asarray(times, dtype=float) if times is not None else np.arange(lv.size, dtype=float)
    columns = {"Frame": frames.astype(float), x_name: x_all[frames]} if x_name != "Frame" else {"Frame": x_all[frames]}
    for name in ("LV", "RV", "MYO"):
        if name in curves:
            columns[f"{name} (mL)"] = curves[name][frames]
    markers: dict[str, np.ndarray] = {}
    phases = [(p, getattr(report, f"{p.lower()}_frame", None)) for p in ("ED", "ES")]
    phases = [(p, f) for p, f in phases if f is not None and 0 <= f < lv.size]
    if phases:
        markers = {x_name: np.array([x_all[f] for _, f in phases]), "LV (mL)": np.array([lv[f] for _, f in phases])}
    return x_name, columns, markers


def _series(ctx: SceneContext, name: str, table: Any, x: str, y: str, color: tuple[float, float, float],
            markers_only: bool) -> Any:
    import slicer

    series = ctx.scene.AddNewNodeByClass("vtkMRMLPlotSeriesNode", name)
    series.SetAndObserveTableNodeID(table.GetID())
    series.SetXColumnName(x)
    series.SetYColumnName(y)
    series.SetPlotType(slicer.vtkMRMLPlotSeriesNode.PlotTypeScatter)
    series.SetColor(*color)
    if markers_only:
        series.SetLineStyle(slicer.vtkMRMLPlotSeriesNode.LineStyleNone)
        series.SetMarkerStyle(slicer.vtkMRMLPlotSeriesNode.MarkerStyleSquare)
        series.SetMarkerSize(12)
    else:
        series.SetMarkerStyle(slicer.vtkMRMLPlotSeriesNode.MarkerStyleCircle)
    return series


def add_curve_nodes(ctx: SceneContext, report: Any, prefix: str) -> dict[str, Any]:
    """Curve and phase tables, one series per curve, ED/ES markers, and the chart holding them."""
    x_name, columns, markers = curve_columns(report)
    nodes: dict[str, Any] = {}
    curves = ctx.scene.AddNewNodeByClass("vtkMRMLTableNode", f"{prefix} volume curves")
    _set_double_columns(curves, columns)
    phases = ctx.scene.AddNewNodeByClass("vtkMRMLTableNode", f"{prefix} ED-ES")
    _set_double_columns(phases, markers)
    chart = ctx.scene.AddNewNodeByClass("vtkMRMLPlotChartNode", f"{prefix} volume chart")
    chart.SetTitle("Ventricular volume over the cardiac cycle")
    chart.SetXAxisTitle(x_name)
    chart.SetYAxisTitle("Volume (mL)")
    nodes.update(curves=curves, phases=phases, chart=chart)
    for name in ("LV", "RV"):
        if f"{name} (mL)" in columns:
            series = _series(ctx, f"{prefix} {name} volume", curves, x_name, f"{name} (mL)", CURVE_COLORS[name], False)
            chart.AddAndObservePlotSeriesNodeID(series.GetID())
            nodes[f"series_{name}"] = series
    if markers:
        series = _series(ctx, f"{prefix} ED and ES", phases, x_name, "LV (mL)", PHASE_COLORS["ED"], True)
        chart.AddAndObservePlotSeriesNodeID(series.GetID())
        nodes["series_phases"] = series
    return nodes


def update_curve_nodes(curves: Any, phases: Any, report: Any) -> None:
    """Refresh curve and phase tables in place (series and chart follow their tables)."""
    _, columns, markers = curve_columns(report)
    _set_double_columns(curves, columns)
    _set_double_columns(phases, markers)
