"""The report as table rows of text, shared by the MRML table node, the widget's table and the CSV export.

Why plain strings: the user sees, edits nothing in, and exports exactly these cells, so the three can never
disagree; numbers keep their unit-aware rounding from ``Measurement.formatted()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from typing import Any

COLUMNS: tuple[str, ...] = ("Measure", "Value", "Unit", "Phase", "Frames", "Method", "Reference")


@dataclass(frozen=True)
class TableRow:
    """One measurement as displayed."""

    measure: str
    value: str
    unit: str
    phase: str = ""
    frames: str = ""
    method: str = ""
    reference: str = ""

    def cells(self) -> tuple[str, ...]:
        return astuple(self)


def _formatted(row: Any) -> str:
    if hasattr(row, "formatted"):
        return str(row.formatted())
    value = getattr(row, "value", None)
    return "n/a" if value is None else f"{value:g}"


def rows_from_report(report: Any) -> list[TableRow]:
    """Rows from a ``CineMALib.measure.report.Report`` (anything with ``rows`` of Measurement-like objects)."""
    rows = []
    for row in getattr(report, "rows", []):
        reference = "; ".join(part for part in (getattr(row, "flag", ""), getattr(row, "citation", "")) if part)
        frames = ", ".join(str(f) for f in getattr(row, "frames", ()))
        rows.append(TableRow(str(row.name), _formatted(row), str(row.unit), str(getattr(row, "phase", "")), frames,
                             str(getattr(row, "method", "")), reference))
    return rows


def rows_from_cells(cells: Iterable[Iterable[str]]) -> list[TableRow]:
    """Rows back from text cells in ``COLUMNS`` order (e.g. read from a table node)."""
    rows = []
    for line in cells:
        values = [str(v) for v in line]
        values += [""] * (len(COLUMNS) - len(values))
        rows.append(TableRow(*values[: len(COLUMNS)]))
    return rows


def find_value(rows: Iterable[TableRow], measure: str) -> str | None:
    """The displayed value of ``measure`` (e.g. ``"LVEF"``), or None when the report has no such row."""
    for row in rows:
        if row.measure == measure:
            return row.value
    return None
