"""``report.csv`` (one row per study, unit-suffixed headers as in ukbb_cardiac) and ``measurements.csv`` (long).

Missing values are written ``n/a`` (pandas reads that as NaN by default). Every fixed column is always present so
files from different studies and versions line up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from CineMALib.measure.report import Report
from CineMALib.atomic import atomic_write_text

FIXED_COLUMNS: tuple[str, ...] = (
    "ED frame", "ES frame", "LVEDV (mL)", "LVESV (mL)", "LVSV (mL)", "LVEF (%)", "LVM (g)",
    "RVEDV (mL)", "RVESV (mL)", "RVSV (mL)", "RVEF (%)", "HR (bpm)", "LVCO (L/min)", "BSA (m2)",
    "LVEDVi (mL/m2)", "LVESVi (mL/m2)", "LVSVi (mL/m2)", "LVMi (g/m2)", "RVEDVi (mL/m2)", "RVESVi (mL/m2)",
    "RVSVi (mL/m2)", "LVCI (L/min/m2)", "LV length ED (mm)", "LV length ES (mm)", "LV long-axis shortening (%)",
    "MAPSE (mm)", "MAPSE longitudinal (mm)", "TAPSE (mm)", "TAPSE longitudinal (mm)",
)
#: method column -> the row whose method it copies.
METHOD_COLUMNS: dict[str, str] = {
    "phase method": "ED frame", "LV volume method": "LVEDV (mL)", "RV volume method": "RVEDV (mL)",
    "LVM method": "LVM (g)", "CO method": "LVCO (L/min)", "BSA method": "BSA (m2)",
    "long-axis method": "LV long-axis shortening (%)", "MAPSE method": "MAPSE (mm)",
    "MAPSE longitudinal method": "MAPSE longitudinal (mm)", "TAPSE method": "TAPSE (mm)",
    "TAPSE longitudinal method": "TAPSE longitudinal (mm)",
}
#: automatic / given (which phase) for the study's ED/ES frames; the provenance key the measurement writes.
ED_ES_COLUMN = "ED/ES"
LONG_COLUMNS: tuple[str, ...] = ("study", "measure", "value", "unit", "method", "phase", "frame", "citation", "flag")


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def report_header(reports: Sequence[Report]) -> list[str]:
    """study, the fixed columns, any extra value columns (``P(<class>)``, model outputs) in first-seen order,
    then label map, ED/ES (automatic or given), method columns, flags and notes."""
    extra: dict[str, None] = {}
    for report in reports:
        for column in report.columns():
            if column not in FIXED_COLUMNS:
                extra[column] = None
    return ["study", *FIXED_COLUMNS, *extra, "label map", ED_ES_COLUMN, *METHOD_COLUMNS, "flags", "notes"]


def report_row(report: Report, header: Sequence[str]) -> list[str]:
    """One study's wide row for ``header`` (from :func:`report_header`)."""
    columns = report.columns()
    methods = {name: columns[src].method if src in columns else "" for name, src in METHOD_COLUMNS.items()}
    special = {"study": report.study_id, "label map": report.provenance.get("label map", report.label_map),
               ED_ES_COLUMN: report.phases.choice if report.phases is not None else "",
               "flags": " | ".join(report.flags()), "notes": " | ".join(report.notes), **methods}
    return [special[h] if h in special else (columns[h].formatted() if h in columns else "n/a") for h in header]


def write_report_csv(reports: Report | Sequence[Report], path: str | Path) -> Path:
    """Write the wide one-row-per-study table atomically."""
    reports = [reports] if isinstance(reports, Report) else list(reports)
    header = report_header(reports)
    return atomic_write_text(path, _csv_text(header, (report_row(r, header) for r in reports)))


def write_measurements_csv(reports: Report | Sequence[Report], path: str | Path) -> Path:
    """Write the long table (study, measure, value, unit, method, phase, frame, citation, flag) atomically."""
    reports = [reports] if isinstance(reports, Report) else list(reports)
    rows = ([r.study_id, m.name, m.formatted(), m.unit, m.method, m.phase, ";".join(str(f) for f in m.frames),
             m.citation, m.flag] for r in reports for m in r.rows)
    return atomic_write_text(path, _csv_text(LONG_COLUMNS, rows))
