"""Given the phantom's true labels and landmarks, the measurements reproduce truth.json's discretised values.

Tolerances: 0.1 mL / 0.1 point / 0.1 mm / exact frames against ``discretised`` (same voxels, same formula; the
longitudinal excursions too, since the phantom's long axis is the apex -> annulus-midpoint line the landmarks give).
Continuous (fine-grid) truth differs by the disc-summation error: EF within 4 points (doc §3.3 measured ~3 points).
"""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.measure import measure_labels, measure_study
from CineMALib.results import AnalysisResults, ViewResult

CORE = ("LVEDV (mL)", "LVESV (mL)", "LVSV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)", "RVSV (mL)",
        "RVEF (%)", "ED frame", "ES frame", "MAPSE (mm)", "TAPSE (mm)", "MAPSE longitudinal (mm)",
        "TAPSE longitudinal (mm)")


def _generate(seed: int, pathology: str):
    try:
        from CineMALib.phantom import generate_phantom
    except ImportError as err:
        pytest.skip(f"CineMALib.phantom.generate_phantom not available: {err}")
    return generate_phantom(seed, pathology=pathology)


@pytest.fixture(scope="module", params=[(0, "normal"), (3, "dcm")], ids=["normal-0", "dcm-3"])
def phantom_and_report(request):
    phantom = _generate(*request.param)
    views = {name: ViewResult(name, phantom.study[name].affine, labels=phantom.labels.get(name),
                              landmarks_world=phantom.landmarks_world.get(name, {}))
             for name in phantom.study.views}
    results = AnalysisResults(f"phantom-{request.param[1]}-{request.param[0]}", views)
    return phantom, measure_study(results, phantom.study)


def test_reproduces_discretised_truth(phantom_and_report):
    phantom, report = phantom_and_report
    truth = phantom.truth["discretised"]
    missing = [k for k in CORE if k not in truth]
    assert not missing, f"truth.json lacks {missing}"
    for key in CORE:
        measured = report.value(key)
        assert measured is not None, f"{key}: {report.get(key).method if report.get(key) else 'absent'}"
        assert measured == pytest.approx(truth[key], abs=0.1), f"{key}: measured {measured}, truth {truth[key]}"


def test_close_to_continuous_truth(phantom_and_report):
    phantom, report = phantom_and_report
    cont = phantom.truth["continuous"]
    # Disc summation at 10 mm pitch differs from the fine-grid truth by design (the shared doc measured +5.7 % EDV,
    # +2.7 EF points on a normal heart); in dilated low-EF hearts the basal partial slices weigh more, up to ~7 points.
    assert report.value("LVEF (%)") == pytest.approx(cont["LVEF (%)"], abs=8.0)
    assert report.value("LVEDV (mL)") == pytest.approx(cont["LVEDV (mL)"], rel=0.08)


def test_recomputes_from_labels_alone(phantom_and_report):
    phantom, report = phantom_and_report
    again = measure_labels(phantom.labels["sax"], phantom.study["sax"].affine, landmarks=phantom.landmarks_world,
                           metadata=phantom.study.metadata)
    for key in CORE + ("LVEDVi (mL/m2)", "LVCO (L/min)"):
        assert again.value(key) == pytest.approx(report.value(key), abs=1e-9), key


def test_indexed_values_use_the_phantom_subject(phantom_and_report):
    phantom, report = phantom_and_report
    meta = phantom.study.metadata
    bsa = np.sqrt(meta.height_cm * meta.weight_kg / 3600)
    assert report.value("BSA (m2)") == pytest.approx(bsa)
    assert report.value("LVEDVi (mL/m2)") == pytest.approx(report.value("LVEDV") / bsa)
