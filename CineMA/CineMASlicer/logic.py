"""The module's logic: scene adapter + background process, behind the presenter's ``AnalysisLogic`` protocol.

Usable without the widget (e.g. from Slicer's Python console or a test):

>>> logic = ModuleLogic(SceneContext.from_application())        # doctest: +SKIP
>>> logic.start_analysis(Settings(sax=volume.GetID(), weights="demo"))  # doctest: +SKIP
>>> events = logic.wait(); rows = logic.finish(events[-1])       # doctest: +SKIP
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from CineMALib.errors import CineMAError, CineMAInputError
from CineMALib.study import CineStudy

from . import result_set as rs
from .centre_logic import LVCentreLogic
from .context import SceneContext
from .exchange import load_results
from .layout import LayoutSwitcher, show_run
from .parameters import ParameterNode
from .process import AnalysisProcess, RunEvent
from .report_rows import TableRow
from .scene import SceneAdapter
from .settings import Settings


class ModuleLogic:
    """Runs one analysis at a time on the cines chosen in :class:`Settings` and shows the results in the scene."""

    def __init__(self, ctx: SceneContext, process_factory: Callable[[], AnalysisProcess] = AnalysisProcess,
                 temp_root: str | Path | None = None, keep_jobs: bool = False,
                 layout: LayoutSwitcher | None = None) -> None:
        self.adapter = SceneAdapter(ctx)
        self.centre = LVCentreLogic(ctx)
        self.layout = layout  # slicer.app.layoutManager(): the chart and table are shown after a run
        self.process_factory = process_factory
        self.temp_root = temp_root
        self.keep_jobs = keep_jobs
        self.process: AnalysisProcess | None = None
        self.run: rs.ResultSet | None = None
        self._pending: tuple[CineStudy, dict[str, Any], Settings] | None = None

    def _nodes(self, settings: Settings) -> dict[str, Any]:
        nodes = {}
        for view, node_id in settings.inputs().items():
            node = self.adapter.ctx.scene.GetNodeByID(node_id)
            if node is None:
                raise CineMAInputError(None, f"the {view} cine ({node_id}) is not in the scene")
            nodes[view] = node
        return nodes

    def store_settings(self, settings: Settings) -> None:
        """Keep the panel's choices in the scene's parameter node (saved with the scene)."""
        ParameterNode.of(self.adapter.ctx).store(settings)

    def saved_settings(self) -> Settings:
        """The choices kept in the scene (defaults in a new scene), e.g. to show a reopened scene's panel."""
        return ParameterNode.of(self.adapter.ctx).settings()

    def start_analysis(self, settings: Settings) -> None:
        if self.process is not None and self.process.running:
            raise CineMAError("an analysis is already running")
        inputs = self._nodes(settings)
        self.store_settings(settings)  # what was analysed is what a saved scene reopens with
        study = self.adapter.study(inputs, settings.metadata())
        options = settings.options()
        override = self.centre.override(settings.sax)
        if override is not None:
            options["lv_center"] = override  # the user's point: AnalysisOptions.lv_center
        job = Path(tempfile.mkdtemp(prefix="CineMA-job-", dir=self.temp_root))
        self.process = self.process_factory()
        self.process.start(study, options, job)
        self._pending = (study, inputs, settings)

    def poll(self) -> list[RunEvent]:
        events = self.process.poll() if self.process is not None else []
        if any(e.kind in ("failed", "cancelled") for e in events):
            self._pending = None
            if not self.keep_jobs and self.process is not None and self.process.job is not None:
                shutil.rmtree(self.process.job, ignore_errors=True)
        return events

    def wait(self, timeout_s: float = 3600.0) -> list[RunEvent]:
        return self.process.wait(timeout_s) if self.process is not None else []

    def cancel(self) -> None:
        if self.process is not None:
            self.process.cancel()

    def shutdown(self) -> None:
        """The panel closes: cancel a run and stop following the LV-centre point."""
        self.cancel()
        self.centre.stop_observing()

    def finish(self, event: RunEvent) -> list[TableRow]:
        """Import a finished run's results into the scene and return the report rows."""
        if self._pending is None or event.results_path is None:
            raise CineMAError("no finished analysis to import")
        study, inputs, settings = self._pending
        try:
            results = load_results(event.results_path)
            self.run = self.adapter.publish(study, inputs, results, settings.describe())
        finally:
            self._pending = None
            if not self.keep_jobs:
                shutil.rmtree(event.results_path.parent, ignore_errors=True)
        self.centre.after_run(study, inputs["sax"].GetID(), results.provenance)
        try:
            show_run(self.adapter.ctx, self.run, self.layout)
        except Exception as err:  # noqa: BLE001 - the results are in the scene; the layout is a convenience
            logging.getLogger("CineMA").warning("Could not show the chart and table in the layout: %s", err)
        return self.adapter.rows(self.run)

    @property
    def review(self) -> str | None:
        """The shown run's "heart not found with confidence" review (also in a reopened scene), else None."""
        from CineMALib.measure.placement import heart_review

        run = self.current_run()
        return heart_review(run.attribute_json(rs.ATTR_PLACEMENT, {}) or {}) if run is not None else None

    def locate_centre(self, settings: Settings) -> str:
        """Pre-fill the LV-centre point on the chosen cines and show the model window; a status line."""
        inputs = self._nodes(settings)
        study = self.adapter.study(inputs, settings.metadata())
        return self.centre.prefill(study, inputs["sax"].GetID())

    def current_run(self) -> rs.ResultSet | None:
        """The run the panel shows (the parameter node's, also in a reopened scene), else the newest in the scene;
        looked up each time, so the nodes are the ones shown now (browsing changes the proxies' content)."""
        self.run = self.adapter.shown_run()
        return self.run

    def current_rows(self) -> list[TableRow] | None:
        run = self.current_run()
        return self.adapter.rows(run) if run is not None else None

    def recompute(self, settings: Settings) -> list[TableRow]:
        run = self.current_run()
        if run is None:
            raise CineMAError("no CineMA results in the scene: run Analyse first")
        metadata = settings.metadata()
        given = any(v is not None for v in (metadata.height_cm, metadata.weight_kg, metadata.sex))
        # None: the values the run used; ED/ES: the panel's frames, else decided again on the labels as they are now
        return self.adapter.recompute(run, metadata if given else None, **settings.phases())

    def export(self, folder: str, choice: str = "csv", file_for_instance: Any = None,
               add_to_database: Any = None) -> list[str]:
        """``csv`` (report, segmentations, landmarks), ``dicom`` (SEG + SR, added to Slicer's DICOM database) or
        ``both``; the database hooks default to the application's (tests pass their own)."""
        run = self.current_run()
        if run is None:
            raise CineMAError("no CineMA results in the scene: run Analyse first")
        if choice == "csv":
            return [str(p) for p in self.adapter.export(run, folder)]
        from .dicom_export import application_hooks, export_choice

        if file_for_instance is None:
            file_for_instance, add_to_database = application_hooks()
        return [str(p) for p in export_choice(self.adapter.ctx, run, folder, choice, file_for_instance,
                                              add_to_database)]
