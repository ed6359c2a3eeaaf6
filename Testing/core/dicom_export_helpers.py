"""Shared pieces of the DICOM export tests: a small phantom DICOM study with its truth labels standing in for an
analysis (no model runs, so the tests take seconds), and dciodvfy."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from CineMALib.io import read_study
from CineMALib.measure import measure_study
from CineMALib.results import AnalysisResults, ModelScore, ViewResult

pytest.importorskip("highdicom", reason="highdicom is not installed (pip install -e '.[dicom]')")


def phantom_dicom(folder: Path, seed: int = 5, n_frames: int = 6):
    """Write a phantom DICOM study; returns (phantom, study read back from the DICOM files)."""
    from CineMALib.phantom.dicom_writer import write_dicom_study
    from CineMALib.phantom.generate import generate_phantom

    phantom = generate_phantom(seed, "normal", n_frames=n_frames)
    write_dicom_study(phantom, folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = read_study(folder)
    return phantom, study


def fake_results(phantom, study, frames=(0, 3), lax=True) -> AnalysisResults:
    """The phantom's truth labels at ``frames`` as an 'analysis' (other frames empty), plus a disease score."""
    results = AnalysisResults(study_id=study.study_id, ed_frame=frames[0], es_frame=frames[1],
                              phase_method="test", provenance={"weights": "demo", "seeds": "0", "mode": "fast"})
    for view in ("sax", "lax_4c") if lax else ("sax",):
        labels = np.zeros_like(phantom.labels[view])
        for t in frames:
            labels[..., t] = phantom.labels[view][..., t]
        results.views[view] = ViewResult(view, study[view].affine.copy(), labels, tuple(frames))
    results.scores = [ModelScore("classification_cvd/phantom_sax", "sax", {"NOR": 0.7, "DCM": 0.2, "HCM": 0.1})]
    return results


def measured(phantom, study, frames=(0, 3)):
    results = fake_results(phantom, study, frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = measure_study(results, study, ed=frames[0], es=frames[1])
    return results, report


def dciodvfy(path: Path) -> str:
    """dciodvfy's output for a file; skips when dicom3tools is not installed."""
    exe = shutil.which("dciodvfy")
    if exe is None:
        pytest.skip("dciodvfy not installed (Debian package dicom3tools; .ci/run installs it)")
    done = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Error")]
