"""Stand-ins for ``CineMALib.analysis.analyse_study`` that the worker can be pointed at in tests (``--analysis``)."""

from __future__ import annotations

import threading
import time

from slicer_synthetic import study_and_results


def analyse_ok(study, options, progress=None, cancel=None):
    """Report per-frame progress and return the synthetic truth, recording the options it was given."""
    _, results = study_and_results()
    if study["sax"].shape != results.views["sax"].labels.shape[:3]:
        raise ValueError("the fake analysis only knows the synthetic study")
    n = study["sax"].n_frames
    for t in range(n + 1):
        if progress is not None:
            progress("Segmenting SAX", t, n)
    results.provenance = {"weights": options.weights, "fast": str(options.fast), "device": options.device,
                          "ensemble": str(options.ensemble)}
    return results


def analyse_fail(study, options, progress=None, cancel=None):
    from CineMALib.errors import CineMAWeightsError

    raise CineMAWeightsError("demo weights folder is missing")


def analyse_until_cancelled(study, options, progress=None, cancel: threading.Event | None = None):
    """Keep 'working' until cancelled (or 60 s pass), the way a long inference would."""
    from CineMALib.infer import Cancelled

    if progress is not None:
        progress("Segmenting SAX", 0, 10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Segmenting SAX")
        time.sleep(0.05)
    raise RuntimeError("never cancelled")


def analyse_crash(study, options, progress=None, cancel=None):
    import os

    os._exit(9)  # dies without a word, like an out-of-memory kill


def analyse_bug(study, options, progress=None, cancel=None):
    """A programming error deep in the analysis (not a CineMAError): its type must reach the user."""
    return {}["lax_4c"]


def analyse_done_then_crash(study, options, progress=None, cancel=None):
    """Claims success, then dies before exiting cleanly (e.g. killed while writing): exit code 3 must win."""
    import json
    import os

    from CineMASlicer.exchange import EVENT_TAG

    print(EVENT_TAG + json.dumps({"type": "done", "results": "results.npz"}), flush=True)
    os._exit(3)
