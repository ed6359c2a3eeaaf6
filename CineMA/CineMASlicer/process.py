"""Run the analysis worker in a background process and turn its output into events the widget polls.

Why a process and polling: inference takes minutes and may use GBs; in Slicer's process it would freeze the GUI
(SlicerTotalSegmentator#10) and a crash would take Slicer down. A reader thread fills a queue and the GUI drains it
from a QTimer (``poll``), so no Qt object is touched off the main thread. Cancel asks politely (a cancel file
the worker watches), then kills the process tree after a grace period.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from CineMALib.study import CineStudy

from .exchange import EVENT_TAG, save_study

CANCEL_GRACE_S = 10.0
#: The OS family the worker is started on (a name so tests can pretend to be Windows).
OS_NAME = os.name
#: ``subprocess.CREATE_NO_WINDOW`` (defined only on Windows): PythonSlicer.exe is a console program, and started from
#: the GUI without this flag it opens a console window for the whole analysis.
CREATE_NO_WINDOW = 0x08000000


@dataclass(frozen=True)
class RunEvent:
    """What happened: ``progress`` (stage, done/total), ``log`` (a line), ``done`` (results file), ``failed``,
    ``cancelled``. A ``failed`` event's ``message`` is for the panel, its ``details`` (the worker's last output,
    e.g. a traceback) for the log."""

    kind: str
    message: str = ""
    done: int = 0
    total: int = 0
    results_path: Path | None = None
    details: str = ""

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.kind == "progress" and self.total > 0 else None


def parse_line(line: str) -> RunEvent:
    """One worker output line as an event (untagged lines are logs: warnings, tracebacks)."""
    text = line.rstrip("\r\n")
    if not text.startswith(EVENT_TAG):
        return RunEvent("log", text)
    try:
        data = json.loads(text[len(EVENT_TAG):])
    except json.JSONDecodeError:
        return RunEvent("log", text)
    kind = data.get("type")
    if kind == "progress":
        return RunEvent("progress", str(data.get("stage", "")), int(data.get("done", 0)), int(data.get("total", 0)))
    if kind == "done":
        return RunEvent("done", "Analysis finished", results_path=Path(data["results"]))
    if kind == "error":
        message, error_type = str(data.get("message") or "analysis failed"), str(data.get("error_type") or "")
        if error_type and not error_type.startswith("CineMA"):  # an unexpected error: its type tells what broke
            message = f"{error_type}: {message}"
        return RunEvent("failed", message)
    if kind == "cancelled":
        return RunEvent("cancelled", "Analysis cancelled")
    return RunEvent("log", text)


def python_executable() -> str:
    """PythonSlicer inside Slicer (sets up Slicer's Python environment), else this interpreter."""
    return os.environ.get("CINEMA_PYTHON") or shutil.which("PythonSlicer") or sys.executable


def platform_options(os_name: str) -> dict[str, Any]:
    """Extra ``Popen`` arguments for this OS: no console window on Windows."""
    return {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", CREATE_NO_WINDOW)} if os_name == "nt" else {}


def worker_pythonpath() -> list[str]:
    """Folders holding ``CineMASlicer`` and ``CineMALib`` (the module folder and the repo root, or both the same
    ``qt-scripted-modules`` folder in an installed extension)."""
    import CineMALib

    here = Path(__file__).resolve().parents[1]
    core = Path(CineMALib.__file__).resolve().parents[1]
    return list(dict.fromkeys([str(here), str(core)]))


class AnalysisProcess:
    """One background analysis. ``start`` returns at once; call ``poll`` periodically (or ``wait`` in scripts)."""

    def __init__(self, python: str | None = None, analysis: str | None = None,
                 extra_paths: tuple[str, ...] = ()) -> None:
        self.python = python or python_executable()
        self.analysis = analysis
        self.extra_paths = extra_paths
        self.job: Path | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._cancel_at: float | None = None
        self._final: RunEvent | None = None
        self._finished = False
        self._tail: list[str] = []

    @property
    def running(self) -> bool:
        return self._proc is not None and not self._finished

    def start(self, study: CineStudy, options: dict[str, Any], job_dir: str | Path) -> None:
        if self.running:
            raise RuntimeError("an analysis is already running")
        self.job = Path(job_dir)
        self.job.mkdir(parents=True, exist_ok=True)
        save_study(study, self.job / "study.npz")
        (self.job / "settings.json").write_text(json.dumps({"options": options}), encoding="utf-8")
        command = [self.python, "-u", "-m", "CineMASlicer.worker", "--job", str(self.job)]
        if self.analysis:
            command += ["--analysis", self.analysis]
        env = dict(os.environ)
        paths = [*self.extra_paths, *worker_pythonpath(), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        env["PYTHONUNBUFFERED"] = "1"
        self._proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      encoding="utf-8", errors="replace", env=env, cwd=str(self.job),
                                      **platform_options(OS_NAME))
        self._finished, self._final, self._cancel_at = False, None, None
        threading.Thread(target=self._read, args=(self._proc,), name="cinema-worker-reader", daemon=True).start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._lines.put(line)
        proc.stdout.close()
        self._lines.put(None)

    def poll(self) -> list[RunEvent]:
        """Events since the last call; the last one is ``done``, ``failed`` or ``cancelled`` when it ended."""
        events: list[RunEvent] = []
        ended = False
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if line is None:
                ended = True
                break
            event = parse_line(line)
            if event.kind == "log":
                self._tail = (self._tail + [event.message])[-20:]
            if event.kind in ("done", "failed", "cancelled"):
                self._final = event
            else:
                events.append(event)
        if self._cancel_at is not None and not ended and time.monotonic() - self._cancel_at > CANCEL_GRACE_S:
            self._kill()
        if ended and self._proc is not None and not self._finished:
            code = self._proc.wait()
            self._finished = True
            events.append(self._final_event(code))
        return events

    def _final_event(self, code: int) -> RunEvent:
        lines = [line for line in self._tail if line.strip()]
        details = "\n".join(lines)[-4000:]
        if self._final is not None and (self._final.kind != "done" or code == 0):
            return replace(self._final, details=details) if self._final.kind == "failed" else self._final
        if self._cancel_at is not None:
            return RunEvent("cancelled", "Analysis cancelled")
        last = f": {lines[-1].strip()}" if lines else ""
        return RunEvent("failed", f"the analysis process stopped unexpectedly (exit code {code}){last}",
                        details=details)

    def cancel(self) -> None:
        """Ask the worker to stop; it is killed if it has not stopped ``CANCEL_GRACE_S`` seconds later."""
        if self.running and self.job is not None and self._cancel_at is None:
            (self.job / "cancel").write_text("cancel", encoding="utf-8")
            self._cancel_at = time.monotonic()

    def _kill(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        try:
            import psutil

            for child in psutil.Process(self._proc.pid).children(recursive=True):
                child.kill()
        except Exception as err:  # noqa: BLE001 - psutil missing or the tree already gone: kill what we can
            logging.getLogger(__name__).debug("could not kill the worker's children: %s", err)
        self._proc.kill()

    def wait(self, timeout_s: float = 600.0) -> list[RunEvent]:
        """Block until the run ends (batch use, tests); returns every event."""
        events: list[RunEvent] = []
        deadline = time.monotonic() + timeout_s
        while self.running:
            if time.monotonic() > deadline:
                self._kill()
                raise TimeoutError(f"analysis did not finish within {timeout_s:.0f} s")
            events += self.poll()
            time.sleep(0.05)
        return events
