"""The analysis worker: ``python -m CineMASlicer.worker --job DIR`` runs CineMALib on ``DIR/study.npz``.

It runs in its own process (PythonSlicer inside Slicer) so inference never freezes the GUI and a crash or an
out-of-memory kill cannot take Slicer down. It reports on stdout as ``CINEMA-EVENT {json}`` lines, watches for a
``DIR/cancel`` file, and writes ``DIR/results.npz``. Exit codes: 0 done, 2 error, 130 cancelled.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from CineMASlicer.exchange import EVENT_TAG, load_study, save_results

#: Where ``analyse_study`` lives: the package's public name first, then the module that defines it.
DEFAULT_ANALYSIS = "CineMALib.analysis:analyse_study,CineMALib.analysis.pipeline:analyse_study"


def emit(event_type: str, **data: Any) -> None:
    """One tagged event line for the parent (``data`` must not use the key ``type``)."""
    print(EVENT_TAG + json.dumps({**data, "type": event_type}), flush=True)


def build_options(values: dict[str, Any]) -> Any:
    """``AnalysisOptions`` from the settings JSON (unknown keys dropped, so an older CineMALib still runs)."""
    from CineMALib.analysis.options import AnalysisOptions

    known = {f.name for f in fields(AnalysisOptions)}
    return AnalysisOptions(**{k: v for k, v in values.items() if k in known})


def resolve(specs: str) -> Callable[..., Any]:
    """The first importable ``module:function`` of a comma-separated list."""
    errors = []
    for spec in specs.split(","):
        module, _, name = spec.strip().partition(":")
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as err:
            errors.append(f"{spec}: {err}")
    raise ImportError("no analysis function found (" + "; ".join(errors) + ")")


def watch_for_cancel(job: Path, cancel: threading.Event, interval_s: float = 0.2) -> threading.Thread:
    """Set ``cancel`` once ``job/cancel`` exists (a file works the same on every OS, unlike signals)."""
    def loop() -> None:
        while not cancel.is_set():
            if (job / "cancel").exists():
                cancel.set()
                return
            cancel.wait(interval_s)

    thread = threading.Thread(target=loop, name="cinema-cancel-watch", daemon=True)
    thread.start()
    return thread


def run(job: Path, analysis: str = DEFAULT_ANALYSIS) -> int:
    cancel = threading.Event()
    watch_for_cancel(job, cancel)
    try:
        settings = json.loads((job / "settings.json").read_text(encoding="utf-8"))
        emit("progress", stage="Loading", done=0, total=1)
        study = load_study(job / "study.npz")
        options = build_options(settings.get("options", {}))
        results = resolve(analysis)(study, options, progress=lambda stage, done, total: emit(
            "progress", stage=str(stage), done=int(done), total=int(total)), cancel=cancel)
        if cancel.is_set():
            emit("cancelled")
            return 130
        save_results(results, job / "results.npz")
        emit("done", results=str(job / "results.npz"))
        return 0
    except Exception as err:  # noqa: BLE001 - everything is reported to the parent, which shows it
        if cancel.is_set() or type(err).__name__ == "Cancelled":
            emit("cancelled")
            return 130
        traceback.print_exc(file=sys.stdout)
        emit("error", message=str(err) or type(err).__name__, error_type=type(err).__name__)
        return 2
    finally:
        cancel.set()  # stops the watcher thread


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CineMA analysis worker (started by the Slicer module)")
    parser.add_argument("--job", required=True, type=Path, help="job folder with study.npz and settings.json")
    parser.add_argument("--analysis", default=DEFAULT_ANALYSIS, help="module:function to run (tests inject fakes)")
    args = parser.parse_args(argv)
    return run(args.job, args.analysis)


if __name__ == "__main__":
    sys.exit(main())
