"""The background worker protocol: progress lines, results hand-off, errors, cancel and crashes (no Slicer needed)."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import io
import time
from pathlib import Path

import numpy as np
import pytest
from CineMASlicer.exchange import load_results, load_study, save_results, save_study
from CineMASlicer.process import AnalysisProcess, parse_line
from CineMASlicer.settings import Settings
from slicer_synthetic import study_and_results

HERE = str(Path(__file__).resolve().parent)


def _process(function: str) -> AnalysisProcess:
    return AnalysisProcess(analysis=f"slicer_fake_analysis:{function}", extra_paths=(HERE,))


def test_study_and_results_survive_the_npz_hand_off(tmp_path):
    study, results = study_and_results()
    back = load_study(save_study(study, tmp_path / "s.npz"))
    assert back.study_id == study.study_id and back.metadata == study.metadata
    for name, view in study.views.items():
        np.testing.assert_array_equal(back[name].data, view.data)
        np.testing.assert_array_equal(back[name].affine, view.affine)
        np.testing.assert_array_equal(back[name].trigger_times_ms, view.trigger_times_ms)
    again = load_results(save_results(results, tmp_path / "r.npz"))
    np.testing.assert_array_equal(again.views["sax"].labels, results.views["sax"].labels)
    assert again.views["sax"].analysed_frames == results.views["sax"].analysed_frames
    for name, track in results.views["lax_4c"].landmarks_world.items():
        np.testing.assert_array_equal(again.views["lax_4c"].landmarks_world[name], track)
    assert (again.ed_frame, again.es_frame) == (results.ed_frame, results.es_frame)


def test_parse_line_tells_events_from_logs():
    assert parse_line("some warning\n").kind == "log"
    event = parse_line('CINEMA-EVENT {"type": "progress", "stage": "SAX", "done": 3, "total": 12}\n')
    assert (event.kind, event.message, event.fraction) == ("progress", "SAX", 0.25)
    assert parse_line('CINEMA-EVENT {"type": "error", "message": "no weights"}').message == "no weights"
    assert parse_line("CINEMA-EVENT {broken").kind == "log"


def test_worker_reports_progress_and_returns_results(tmp_path):
    study, truth = study_and_results()
    process = _process("analyse_ok")
    process.start(study, {"weights": "demo", "fast": True, "device": "cpu"}, tmp_path / "job")
    events = process.wait(60)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "done", events
    progress = [e for e in events if e.kind == "progress" and e.message == "Segmenting SAX"]
    assert [e.done for e in progress] == list(range(study["sax"].n_frames + 1))
    results = load_results(events[-1].results_path)
    np.testing.assert_array_equal(results.views["sax"].labels, truth.views["sax"].labels)
    assert results.provenance == {"weights": "demo", "fast": "True", "device": "cpu", "ensemble": "False"}


def test_worker_error_is_reported_with_its_message(tmp_path):
    study, _ = study_and_results()
    process = _process("analyse_fail")
    process.start(study, {}, tmp_path / "job")
    final = process.wait(60)[-1]
    assert (final.kind, final.message) == ("failed", "demo weights folder is missing")  # the message, not a crash
    assert "Traceback" in final.details and "CineMAWeightsError" in final.details  # for the log


def test_an_unexpected_error_names_its_type(tmp_path):
    study, _ = study_and_results()
    process = _process("analyse_bug")
    process.start(study, {}, tmp_path / "job")
    final = process.wait(60)[-1]
    assert (final.kind, final.message) == ("failed", "KeyError: 'lax_4c'")
    assert "analyse_bug" in final.details


def test_a_non_zero_exit_is_a_failure_even_after_done(tmp_path):
    study, _ = study_and_results()
    process = _process("analyse_done_then_crash")
    process.start(study, {}, tmp_path / "job")
    final = process.wait(60)[-1]
    assert final.kind == "failed" and "exit code 3" in final.message


def test_no_console_window_on_windows(tmp_path, monkeypatch):
    import CineMASlicer.process as process_module

    seen: list[dict] = []

    class FakePopen:
        def __init__(self, command, **kwargs):
            seen.append(kwargs)
            self.stdout = io.StringIO("")

        def wait(self):
            return 0

    monkeypatch.setattr(process_module.subprocess, "Popen", FakePopen)
    study, _ = study_and_results()
    for os_name in ("nt", "posix"):
        monkeypatch.setattr(process_module, "OS_NAME", os_name)
        AnalysisProcess(python="python").start(study, {}, tmp_path / os_name)
    assert seen[0]["creationflags"] == 0x08000000  # CREATE_NO_WINDOW
    assert "creationflags" not in seen[1]


def test_cancel_stops_the_worker(tmp_path):
    study, _ = study_and_results()
    process = _process("analyse_until_cancelled")
    process.start(study, {}, tmp_path / "job")
    seen: list = []
    deadline = time.monotonic() + 60
    while not any(e.kind == "progress" and e.message == "Segmenting SAX" for e in seen):
        assert process.running and time.monotonic() < deadline, seen
        seen += process.poll()
        time.sleep(0.05)
    process.cancel()
    final = process.wait(30)[-1]
    assert final.kind == "cancelled"
    assert not (tmp_path / "job" / "results.npz").exists()


def test_a_crash_is_a_failure_not_a_hang_and_runs_do_not_overlap(tmp_path):
    study, _ = study_and_results()
    process = _process("analyse_crash")
    process.start(study, {}, tmp_path / "job")
    with pytest.raises(RuntimeError, match="already running"):
        process.start(study, {}, tmp_path / "job2")
    final = process.wait(60)[-1]
    assert final.kind == "failed" and "exit code 9" in final.message


@pytest.mark.parametrize("settings", [Settings(sax="n", weights="demo", fast=False),
                                      Settings(sax="n", dataset="mnms2", seed=None, device="cpu")])
def test_panel_settings_make_valid_analysis_options(settings):
    from CineMASlicer.worker import build_options

    options = build_options(settings.options())
    assert options.weights == settings.weights and options.fast == settings.fast
    assert options.ensemble is (settings.seed is None)
    if settings.weights == "official":
        assert options.dataset("segmentation_sax") == settings.dataset
