"""Qt-free widget state: what is enabled when, progress, status text and table rows.

The widget forwards clicks and timer ticks here and draws the returned :class:`ViewState`; the logic is injected
through :class:`AnalysisLogic` / :class:`InstallLogic` protocols, so tests drive the whole panel with fakes.
Every failure, whatever its type (a CineMA error, a bug, a worker that crashed or exited non-zero), ends the same
way: the panel idle, one line in the status, and the details (traceback, worker output) in the log.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from CineMALib.errors import CineMAError

from .process import RunEvent
from .report_rows import TableRow
from .settings import Settings


LOG = logging.getLogger("CineMA")


class Phase(enum.Enum):
    IDLE = "idle"
    INSTALLING = "installing"
    RUNNING = "running"
    CANCELLING = "cancelling"


HEART_NOT_FOUND_STATUS = ("Check the result: the heart was not found with confidence, so these numbers may come from "
                          "the wrong place. Drag the 'CineMA LV centre' point onto the left ventricle and press "
                          "Analyse again.")
BUSY = {Phase.INSTALLING: "Python packages are being installed.", Phase.RUNNING: "An analysis is already running.",
        Phase.CANCELLING: "The analysis is being cancelled."}


class AnalysisLogic(Protocol):
    """Optional too (looked up with getattr): ``locate_centre(settings) -> str`` pre-fills the LV-centre point and
    returns a status line; ``review`` is the last run's "heart not found" text or None; ``store_settings(settings)``
    keeps the panel's choices in the scene's parameter node."""

    def start_analysis(self, settings: Settings) -> None: ...
    def poll(self) -> list[RunEvent]: ...
    def cancel(self) -> None: ...
    def finish(self, event: RunEvent) -> list[TableRow]: ...
    def recompute(self, settings: Settings) -> list[TableRow]: ...
    def export(self, folder: str) -> list[str]: ...
    def current_rows(self) -> list[TableRow] | None: ...


class InstallLogic(Protocol):
    def missing(self) -> list[str]: ...
    def install(self, progress: Callable[[str, int, int], None] | None = None) -> bool: ...


def describe(err: BaseException) -> str:
    """One line for the user: a CineMA error's own message, else the exception type and message."""
    if isinstance(err, CineMAError):
        return str(err)
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


@dataclass(frozen=True)
class ViewState:
    """Everything the panel shows; ``progress_maximum`` 0 means 'busy, no percentage'."""

    analyse_enabled: bool = False
    recompute_enabled: bool = False
    export_enabled: bool = False
    cancel_enabled: bool = False
    inputs_enabled: bool = True
    progress_visible: bool = False
    progress_value: int = 0
    progress_maximum: int = 100
    status: str = ""
    error: bool = False
    warning: bool = False  # the result needs the user's attention (e.g. the heart was not found with confidence)
    rows: list[TableRow] = field(default_factory=list)


class Presenter:
    """The panel's behaviour. Call ``settings_changed``, ``analyse``, ``tick`` (from a timer), ``cancel``,
    ``recompute`` and ``export``; ``on_change`` receives every new :class:`ViewState`."""

    def __init__(self, logic: AnalysisLogic, installer: InstallLogic,
                 on_change: Callable[[ViewState], None] = lambda state: None) -> None:
        self.logic, self.installer, self.on_change = logic, installer, on_change
        self.settings = Settings()
        self.phase = Phase.IDLE
        self.state = ViewState()
        self._refresh(status="Choose a short-axis cine, then press Analyse.")

    @property
    def has_results(self) -> bool:
        return bool(self.state.rows)

    def _refresh(self, **changes: object) -> None:
        """Recompute what is enabled from the phase, settings and rows, apply ``changes`` and notify the view."""
        rows = changes.get("rows", self.state.rows)
        idle = self.phase is Phase.IDLE
        derived = {"analyse_enabled": idle and not self.settings.problems(), "recompute_enabled": idle and bool(rows),
                   "export_enabled": idle and bool(rows), "cancel_enabled": self.phase is Phase.RUNNING,
                   "inputs_enabled": idle, "progress_visible": not idle, "warning": False}
        self.state = replace(self.state, **{**derived, **changes})  # type: ignore[arg-type]
        self.on_change(self.state)

    def settings_changed(self, settings: Settings) -> None:
        inputs_changed = settings.inputs() != self.settings.inputs()
        self.settings = settings
        store = getattr(self.logic, "store_settings", None)
        if store is not None:
            store(settings)  # in the parameter node: a saved scene reopens the panel as it was
        problems = settings.problems()
        if self.phase is Phase.IDLE:
            status = problems[0] if problems else "Ready: press Analyse."
            if inputs_changed and not problems:
                status = self._place_centre() or status
            self._refresh(status=status, error=False)

    def _place_centre(self) -> str | None:
        """Pre-fill the LV-centre point on the chosen cines; on failure Analyse still finds the centre itself."""
        locate = getattr(self.logic, "locate_centre", None)
        if locate is None:
            return None
        try:
            return str(locate(self.settings))
        except Exception as err:  # noqa: BLE001 - e.g. packages not installed yet: the analysis locates on its own
            LOG.warning("Could not place the LV centre point: %s", describe(err), exc_info=err)
            return f"Ready: press Analyse (the LV centre point could not be placed yet: {describe(err)})."

    def show_existing(self) -> None:
        """Show the rows of a run already in the scene (e.g. a reopened scene)."""
        try:
            rows = self.logic.current_rows()
        except Exception as err:  # noqa: BLE001 - a scene we cannot read must not break the panel
            LOG.warning("Could not read CineMA results from the scene: %s", describe(err), exc_info=err)
            return
        if rows and self._review():
            self._refresh(rows=rows, status=HEART_NOT_FOUND_STATUS, error=False, warning=True)
        elif rows:
            self._refresh(rows=rows, status="Showing the results in the scene.", error=False)

    def _review(self) -> str | None:
        """The logic's heart-not-found review of the shown run (None when it has none or cannot say)."""
        try:
            return getattr(self.logic, "review", None)
        except Exception as err:  # noqa: BLE001 - a warning we cannot read must not break the panel
            LOG.warning("Could not read the run's review: %s", describe(err), exc_info=err)
            return None

    def analyse(self) -> None:
        if self.phase is not Phase.IDLE:  # e.g. a click that arrived while the installer let Slicer repaint
            self._refresh(status=BUSY[self.phase])
            return
        problems = self.settings.problems()
        if problems:
            self._refresh(status=problems[0], error=True)
            return
        try:
            if not self._ensure_packages():
                return
            self.logic.start_analysis(self.settings)
        except Exception as err:  # noqa: BLE001 - whatever broke, the panel must not stay busy
            self._fail("Could not start the analysis", err)
            return
        self.phase = Phase.RUNNING
        self._refresh(progress_value=0, progress_maximum=0, status="Starting the analysis...", error=False)

    def _ensure_packages(self) -> bool:
        """Install missing Python packages after the user agrees (the installer asks); False if they decline."""
        missing = self.installer.missing()
        if not missing:
            return True
        self.phase = Phase.INSTALLING
        self._refresh(progress_value=0, progress_maximum=0, error=False,
                      status="CineMA needs Python packages: " + ", ".join(missing))
        try:
            agreed = self.installer.install(progress=self._install_progress)
        finally:
            self.phase = Phase.IDLE
        if not agreed:
            self._refresh(status="CineMA needs these Python packages: " + ", ".join(missing), error=True)
        return agreed

    def _install_progress(self, text: str, done: int, total: int) -> None:
        self._refresh(progress_value=done, progress_maximum=max(total, 0), status=text, error=False)

    def tick(self) -> None:
        """Drain the logic's events (call from a timer while running)."""
        if self.phase not in (Phase.RUNNING, Phase.CANCELLING):
            return
        try:
            events = self.logic.poll()
        except Exception as err:  # noqa: BLE001
            self._fail("Lost track of the analysis", err)
            return
        for event in events:
            if event.kind == "log":
                LOG.info("CineMA worker: %s", event.message)
            elif event.kind == "progress":
                self._refresh(progress_value=event.done, progress_maximum=max(event.total, 0),
                              status=f"{event.message}: {event.done}/{event.total}" if event.total else event.message)
            elif event.kind == "done":
                self._finish(event)
            elif event.kind == "failed":
                self._fail(event.message, details=event.details)
            elif event.kind == "cancelled":
                self.phase = Phase.IDLE
                self._refresh(status=event.message, error=False)

    def _finish(self, event: RunEvent) -> None:
        try:
            rows = self.logic.finish(event)
        except Exception as err:  # noqa: BLE001
            self._fail("Could not show the results", err)
            return
        self.phase = Phase.IDLE
        if self._review():
            self._refresh(rows=rows, status=HEART_NOT_FOUND_STATUS, error=False, warning=True)
            return
        self._refresh(rows=rows, status="Done. Edit segmentations or landmarks, then Recompute.", error=False)

    def _fail(self, message: str, err: BaseException | None = None, details: str = "") -> None:
        """End in the idle panel with ``message`` (plus the error's one line) shown and the details logged."""
        if err is not None:
            message = f"{message}: {describe(err)}"
            LOG.error("%s", message, exc_info=None if isinstance(err, CineMAError) else err)
        else:
            LOG.error("%s%s", message, f"\n{details}" if details else "")
        self.phase = Phase.IDLE
        self._refresh(status=message, error=True)

    def cancel(self) -> None:
        if self.phase is Phase.RUNNING:
            self.logic.cancel()
            self.phase = Phase.CANCELLING
            self._refresh(status="Cancelling...")

    def recompute(self) -> None:
        if self.phase is not Phase.IDLE or not self.has_results:
            return
        try:
            rows = self.logic.recompute(self.settings)
        except Exception as err:  # noqa: BLE001
            self._fail("Recompute failed", err)
            return
        self._refresh(rows=rows, status="Recomputed from the current segmentations and landmarks.", error=False)

    def export(self, folder: str, choice: str = "csv") -> None:
        """Export as ``csv``, ``dicom`` (SEG + SR) or ``both``."""
        if self.phase is not Phase.IDLE or not self.has_results or not folder:
            return
        try:
            files = self.logic.export(folder) if choice == "csv" else self.logic.export(folder, choice)
        except Exception as err:  # noqa: BLE001
            self._fail("Export failed", err)
            return
        self._refresh(status=f"Exported {len(files)} files to {folder}.", error=False)
