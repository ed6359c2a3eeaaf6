"""The scene adapter: everything the CineMA module does with MRML nodes, behind five calls.

``study`` (cine nodes -> CineStudy), ``publish`` (results -> nodes), ``latest_run``, ``recompute`` (edited nodes ->
measurements -> table) and ``export`` (files). It needs only slicer-core, takes the scene explicitly, and is what
``CineMALogic`` and the headless tests drive.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from CineMALib.errors import CineMAInputError
from CineMALib.results import AnalysisResults
from CineMALib.study import CineStudy, StudyMetadata

from . import result_set as rs
from .context import SceneContext
from .export import export_run
from .measurement import measure
from .parameters import ParameterNode
from .publish import publish
from .readback import results_from_scene
from .report_nodes import fill_report_table, rows_of_table, update_curve_nodes
from .report_rows import TableRow, rows_from_report
from .study_nodes import study_from_nodes


class SceneAdapter:
    """CineMA's view of one MRML scene (``SceneContext.from_application()`` in Slicer, ``headless`` in tests)."""

    def __init__(self, ctx: SceneContext) -> None:
        self.ctx = ctx

    def study(self, inputs: dict[str, Any], metadata: StudyMetadata | None = None) -> CineStudy:
        """The study the user chose: view name -> cine node (``sax`` required)."""
        return study_from_nodes(self.ctx, inputs, metadata)

    def publish(self, study: CineStudy, inputs: dict[str, Any], results: AnalysisResults, source: str,
                report: Any = None) -> rs.ResultSet:
        """Show ``results`` in the scene (measuring them unless ``report`` is given); returns the run's nodes."""
        report = report if report is not None else measure(study, results)
        run = publish(self.ctx, study, inputs, results, report, source)
        ParameterNode.of(self.ctx).set_run_report(run.report)  # the run a reopened panel shows
        return run

    def shown_run(self) -> rs.ResultSet | None:
        """The run the panel shows (kept in the parameter node, so also after reopening a saved scene), else the
        newest run in the scene."""
        report = ParameterNode.of(self.ctx).run_report()
        if report is not None and report.GetAttribute(rs.ATTR_RUN):
            return rs.from_report(self.ctx, report)
        return self.latest_run()

    def latest_run(self, sax_input: Any = None) -> rs.ResultSet | None:
        """The newest run in the scene (on ``sax_input`` when given), e.g. after reopening a saved scene."""
        ids = rs.run_ids(self.ctx, sax_input.GetID() if sax_input is not None else None)
        return rs.find(self.ctx, ids[-1]) if ids else None

    def rows(self, run: rs.ResultSet) -> list[TableRow]:
        """The report rows a run's table shows."""
        return rows_of_table(run.report)

    def inputs_of(self, run: rs.ResultSet) -> dict[str, Any]:
        """The cine nodes a run was computed from (error if the user deleted one)."""
        inputs = {}
        for view, node in rs.inputs_of(run).items():
            if node is None:
                raise CineMAInputError(None, f"the {view} cine this result was computed from is no longer in the "
                                             "scene; run Analyse again")
            inputs[view] = node
        return inputs

    def recompute(self, run: rs.ResultSet, metadata: StudyMetadata | None = None, ed: int | None = None,
                  es: int | None = None) -> list[TableRow]:
        """Measure the run's segmentations and landmarks as they are now and refresh its table and chart; ED/ES at
        the user's ``ed``/``es`` (0-based SAX frames) when given, else decided on the labels as they are now."""
        stored = run.attribute_json(rs.ATTR_METADATA, {}) or {}
        study = self.study(self.inputs_of(run), metadata or StudyMetadata(**stored))
        results = results_from_scene(self.ctx, run, study.study_id)
        report = measure(study, results, ed=ed, es=es)
        rows = rows_from_report(report)
        fill_report_table(run.report, rows)
        if metadata is not None:
            run.report.SetAttribute(rs.ATTR_METADATA, json.dumps(asdict(metadata)))
        if "curves" in run.extra and "phases" in run.extra:
            update_curve_nodes(run.extra["curves"], run.extra["phases"], report)
        return rows

    def is_edited(self, run: rs.ResultSet) -> bool:
        return rs.is_edited(self.ctx, run)

    def export(self, run: rs.ResultSet, folder: str | Path) -> list[Path]:
        return export_run(self.ctx, run, folder)
