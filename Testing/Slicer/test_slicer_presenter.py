"""Panel behaviour without Qt or Slicer: what is enabled when, progress, errors, cancel, recompute, export."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
from pathlib import Path

import pytest
from CineMASlicer.presenter import Phase, Presenter, ViewState
from CineMASlicer.process import RunEvent
from CineMASlicer.report_rows import TableRow
from CineMASlicer.settings import Settings

from CineMALib.errors import CineMAError, CineMAInputError

READY = Settings(sax="vtkMRMLScalarVolumeNode1", weights="demo")


class FakeLogic:
    def __init__(self, rows=None, start_error=None):
        self.events: list[RunEvent] = []
        self.rows = rows or [TableRow("LVEF", "60.00", "%")]
        self.start_error = start_error
        self.started: list[Settings] = []
        self.cancelled = self.recomputed = 0
        self.exported: list[str] = []

    def start_analysis(self, settings):
        if self.start_error:
            raise self.start_error
        self.started.append(settings)

    def poll(self):
        events, self.events = self.events, []
        return events

    def cancel(self):
        self.cancelled += 1

    def finish(self, event):
        assert event.results_path is not None
        return self.rows

    def recompute(self, settings):
        self.recomputed += 1
        return [TableRow("LVEF", "55.00", "%")]

    def export(self, folder):
        self.exported.append(folder)
        return [str(Path(folder) / "report.csv")]

    def current_rows(self):
        return None


class FakeInstaller:
    def __init__(self, missing=(), accept=True):
        self._missing, self.accept, self.asked = list(missing), accept, 0

    def missing(self):
        return self._missing

    def install(self, progress=None):
        self.asked += 1
        if self.accept:
            self._missing = []
        return self.accept


def make(logic=None, installer=None):
    seen: list[ViewState] = []
    presenter = Presenter(logic or FakeLogic(), installer or FakeInstaller(), seen.append)
    return presenter, seen


def test_analyse_needs_a_short_axis_cine():
    presenter, seen = make()
    assert not seen[-1].analyse_enabled and "short-axis" in seen[-1].status
    presenter.analyse()
    assert presenter.logic.started == [] and seen[-1].error
    presenter.settings_changed(READY)
    assert seen[-1].analyse_enabled and not seen[-1].recompute_enabled and not seen[-1].export_enabled


def test_invalid_height_blocks_analyse_with_a_reason():
    presenter, seen = make()
    presenter.settings_changed(Settings(sax="n1", height_cm=20.0))
    assert not seen[-1].analyse_enabled and "Height" in seen[-1].status


def test_run_progress_then_results():
    logic = FakeLogic()
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    presenter.analyse()
    state = seen[-1]
    assert presenter.phase is Phase.RUNNING and logic.started == [READY]
    assert state.cancel_enabled and not state.analyse_enabled and not state.inputs_enabled and state.progress_visible
    logic.events = [RunEvent("progress", "Segmenting SAX", 3, 12)]
    presenter.tick()
    assert (seen[-1].progress_value, seen[-1].progress_maximum) == (3, 12) and "3/12" in seen[-1].status
    logic.events = [RunEvent("done", results_path=Path("results.npz"))]
    presenter.tick()
    state = seen[-1]
    assert presenter.phase is Phase.IDLE and state.rows == logic.rows
    assert state.analyse_enabled and state.recompute_enabled and state.export_enabled and not state.progress_visible


def test_failure_is_shown_and_the_panel_unlocks():
    logic = FakeLogic()
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    presenter.analyse()
    logic.events = [RunEvent("failed", "CUDA out of memory")]
    presenter.tick()
    assert seen[-1].error and seen[-1].status == "CUDA out of memory" and seen[-1].analyse_enabled
    assert not seen[-1].recompute_enabled  # no results yet


def test_start_error_is_reported():
    presenter, seen = make(FakeLogic(start_error=CineMAInputError("x.nii", "not 4-D")))
    presenter.settings_changed(READY)
    presenter.analyse()
    assert presenter.phase is Phase.IDLE and seen[-1].error and "not 4-D" in seen[-1].status


def test_cancel_goes_through_cancelling_to_idle():
    logic = FakeLogic()
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    presenter.analyse()
    presenter.cancel()
    assert logic.cancelled == 1 and presenter.phase is Phase.CANCELLING and not seen[-1].cancel_enabled
    presenter.cancel()
    assert logic.cancelled == 1
    logic.events = [RunEvent("cancelled", "Analysis cancelled")]
    presenter.tick()
    assert presenter.phase is Phase.IDLE and not seen[-1].error and seen[-1].analyse_enabled


@pytest.mark.parametrize("accept", [True, False])
def test_missing_packages_are_installed_only_after_consent(accept):
    logic, installer = FakeLogic(), FakeInstaller(missing=["torch>=2.1"], accept=accept)
    presenter, seen = make(logic, installer)
    presenter.settings_changed(READY)
    presenter.analyse()
    assert installer.asked == 1
    assert (logic.started == [READY]) is accept
    if not accept:
        assert seen[-1].error and "torch" in seen[-1].status


def test_recompute_and_export_after_results():
    logic = FakeLogic()
    presenter, seen = make(logic)
    presenter.recompute()
    presenter.export("/tmp/out")
    assert logic.recomputed == 0 and logic.exported == []  # nothing to recompute or export yet
    presenter.settings_changed(READY)
    presenter.analyse()
    logic.events = [RunEvent("done", results_path=Path("r.npz"))]
    presenter.tick()
    presenter.recompute()
    assert logic.recomputed == 1 and seen[-1].rows[0].value == "55.00"
    presenter.export("/tmp/out")
    assert logic.exported == ["/tmp/out"] and "1 files" in seen[-1].status


def test_export_error_keeps_results():
    logic = FakeLogic()
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    presenter.analyse()
    logic.events = [RunEvent("done", results_path=Path("r.npz"))]
    presenter.tick()

    def broken(folder):
        raise CineMAError("folder is read-only")

    logic.export = broken
    presenter.export("/ro")
    assert seen[-1].error and "read-only" in seen[-1].status and seen[-1].rows == logic.rows


def test_settings_to_analysis_options():
    official = Settings(sax="n", dataset="mnms", seed=2, device="cuda", fast=False)
    options = official.options()
    assert options["weights"] == "official" and options["seed"] == 2 and not options["ensemble"]
    assert options["datasets"]["segmentation_sax"] == "mnms" and options["fast"] is False
    assert Settings(sax="n", weights="demo").options()["datasets"] == {}
    assert "mnms" in official.describe() and "demo" in Settings(weights="demo").describe()
    assert Settings(sax="s", lax_4c="f").inputs() == {"sax": "s", "lax_4c": "f"}


def _running(logic):
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    presenter.analyse()
    assert presenter.phase is Phase.RUNNING
    return presenter, seen


def _idle_with_error(presenter, seen, *parts):
    state = seen[-1]
    assert presenter.phase is Phase.IDLE and state.error and not state.progress_visible and state.inputs_enabled
    assert state.analyse_enabled and all(part in state.status for part in parts), state.status


def test_any_exception_at_start_is_shown_and_logged(caplog):
    presenter, seen = make(FakeLogic(start_error=KeyError("sax")))
    presenter.settings_changed(READY)
    presenter.analyse()
    _idle_with_error(presenter, seen, "Could not start the analysis", "KeyError")
    assert "Traceback" in caplog.text and "KeyError" in caplog.text


def test_a_broken_poll_or_import_ends_idle(caplog):
    logic = FakeLogic()
    presenter, seen = _running(logic)
    logic.poll = lambda: (_ for _ in ()).throw(OSError("pipe closed"))
    presenter.tick()
    _idle_with_error(presenter, seen, "pipe closed")
    presenter, seen = _running(logic := FakeLogic())
    logic.finish = lambda event: {}["sax"]  # a bug while importing the results into the scene
    logic.events = [RunEvent("done", results_path=Path("r.npz"))]
    presenter.tick()
    _idle_with_error(presenter, seen, "Could not show the results", "KeyError")
    assert "Traceback" in caplog.text


def test_a_worker_failure_logs_its_details(caplog):
    caplog.set_level("INFO", logger="CineMA")
    logic = FakeLogic()
    presenter, seen = _running(logic)
    logic.events = [RunEvent("log", "UserWarning: low memory"),
                    RunEvent("failed", "the analysis process stopped unexpectedly (exit code 9)",
                             details="Traceback (most recent call last):\n  MemoryError")]
    presenter.tick()
    _idle_with_error(presenter, seen, "exit code 9")
    assert "MemoryError" in caplog.text and "low memory" in caplog.text
    assert "Traceback" not in seen[-1].status  # details go to the log, not the panel


def test_recompute_bug_keeps_the_results(caplog):
    logic = FakeLogic()
    presenter, seen = _running(logic)
    logic.events = [RunEvent("done", results_path=Path("r.npz"))]
    presenter.tick()
    logic.recompute = lambda settings: 1 / 0
    presenter.recompute()
    _idle_with_error(presenter, seen, "Recompute failed", "ZeroDivisionError")
    assert seen[-1].rows == logic.rows and seen[-1].recompute_enabled


class ProgressInstaller(FakeInstaller):
    """Reports two steps; during the first, the user clicks Analyse again (Slicer repainted the panel)."""

    def __init__(self, presenter_box, fail=None):
        super().__init__(missing=["torch>=2.1", "tqdm>=4.60"])
        self.box, self.fail, self.during = presenter_box, fail, []

    def install(self, progress=None):
        self.asked += 1
        progress("Installing PyTorch (1/2)...", 0, 2)
        self.during.append(self.box[1][-1])
        self.box[0].analyse()  # a second click while installing
        if self.fail:
            raise self.fail
        progress("Installing tqdm (2/2)...", 1, 2)
        self._missing = []
        return True


def test_installer_shows_progress_and_cannot_start_twice():
    box: list = []
    installer = ProgressInstaller(box)
    logic = FakeLogic()
    presenter, seen = make(logic, installer)
    box += [presenter, seen]
    presenter.settings_changed(READY)
    presenter.analyse()
    during = installer.during[0]
    assert during.progress_visible and not during.analyse_enabled and not during.inputs_enabled
    assert (during.progress_value, during.progress_maximum, during.status) == (0, 2, "Installing PyTorch (1/2)...")
    assert installer.asked == 1 and logic.started == [READY]  # the second click neither installed nor started
    assert presenter.phase is Phase.RUNNING


def test_installer_failure_ends_idle():
    from CineMASlicer.install import InstallError

    box: list = []
    presenter, seen = make(FakeLogic(), installer := ProgressInstaller(box, InstallError("no network")))
    box += [presenter, seen]
    presenter.settings_changed(READY)
    presenter.analyse()
    _idle_with_error(presenter, seen, "no network")
    assert installer.asked == 1 and presenter.logic.started == []


def test_every_settings_change_is_kept_by_a_logic_that_stores_settings():
    class StoringLogic(FakeLogic):
        def __init__(self):
            super().__init__()
            self.stored: list[Settings] = []

        def store_settings(self, settings):
            self.stored.append(settings)

    logic = StoringLogic()
    presenter = Presenter(logic, FakeInstaller())
    changed = Settings(sax="vtkMRMLScalarVolumeNode1", weights="demo", fast=False, device="cpu")
    presenter.settings_changed(READY)
    presenter.settings_changed(changed)
    assert logic.stored == [READY, changed]
    Presenter(FakeLogic(), FakeInstaller()).settings_changed(READY)  # a logic without it is fine
