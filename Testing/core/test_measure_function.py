"""EDV/ESV/SV/EF, LV mass at ED, heart rate from metadata or trigger times, cardiac output, BSA and indexing."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.measure import measure_labels
from CineMALib.measure.bsa import body_surface_area
from CineMALib.study import StudyMetadata

VOXEL_ML = 1.5 * 1.5 * 8.0 / 1000.0
AFFINE = np.diag([1.5, 1.5, 8.0, 1.0])


def cine(lv=(400, 300, 150, 250), rv=(500, 420, 260, 380), myo=(200, 200, 200, 200)) -> np.ndarray:
    labels = np.zeros((30, 30, 3, len(lv)), np.uint8)
    for t, counts in enumerate(zip(lv, rv, myo)):
        flat = labels[..., t].reshape(-1)
        start = 0
        for value, n in zip((3, 1, 2), counts):
            flat[start:start + n] = value
            start += n
        labels[..., t] = flat.reshape(labels.shape[:3])
    return labels


def test_ef_sv_and_mass_follow_the_formulas():
    report = measure_labels(cine(), AFFINE)
    edv, esv = 400 * VOXEL_ML, 150 * VOXEL_ML
    assert (report.ed_frame, report.es_frame) == (0, 2)
    assert report.value("LVEDV") == pytest.approx(edv)
    assert report.value("LVESV") == pytest.approx(esv)
    assert report.value("LVSV") == pytest.approx(edv - esv)
    assert report.value("LVEF (%)") == pytest.approx(100 * (edv - esv) / edv)
    assert report.value("RVEF") == pytest.approx(100 * (500 - 260) / 500)
    assert report.value("LVM (g)") == pytest.approx(200 * VOXEL_ML * 1.05)
    assert "1.05 g/mL" in report.get("LVM").method


def test_mass_is_taken_at_ed_not_es():
    report = measure_labels(cine(myo=(180, 200, 260, 200)), AFFINE)
    assert report.value("LVM") == pytest.approx(180 * VOXEL_ML * 1.05)


def test_heart_rate_from_trigger_times_says_so():
    n, interval = 4, 250.0  # 4 frames x 250 ms = 1 s cycle -> 60 bpm
    report = measure_labels(cine(), AFFINE, trigger_times_ms=np.arange(n) * interval)
    hr = 60000.0 / (n * interval)
    assert report.value("HR (bpm)") == pytest.approx(hr)
    assert report.value("LVCO (L/min)") == pytest.approx(report.value("LVSV") * hr / 1000)
    assert "60000 /" in report.get("HR").method and "trigger" in report.get("HR").method


def test_metadata_heart_rate_wins_and_missing_rate_gives_na():
    report = measure_labels(cine(), AFFINE, metadata=StudyMetadata(heart_rate_bpm=72.0),
                            trigger_times_ms=np.arange(4) * 250.0)
    assert report.value("HR") == 72.0
    assert report.value("LVCO") == pytest.approx(report.value("LVSV") * 72.0 / 1000)
    bare = measure_labels(cine(), AFFINE)
    assert bare.value("LVCO") is None and bare.get("LVCO").method.startswith("n/a")


def test_mosteller_and_dubois():
    assert body_surface_area(180, 80) == pytest.approx(2.0)  # sqrt(180 x 80 / 3600) = sqrt(4)
    assert body_surface_area(160, 60, "dubois") == pytest.approx(0.007184 * 60 ** 0.425 * 160 ** 0.725)
    assert body_surface_area(160, 60, "dubois") != pytest.approx(body_surface_area(160, 60), abs=1e-4)


@pytest.mark.parametrize("height,weight", [(1.8, 80), (180, 0), (180, 800)])
def test_implausible_body_size_is_rejected(height, weight):
    with pytest.raises(CineMAInputError):
        body_surface_area(height, weight)


def test_indexed_values_divide_by_bsa():
    meta = StudyMetadata(height_cm=170, weight_kg=65, heart_rate_bpm=60)
    report = measure_labels(cine(), AFFINE, metadata=meta, bsa_formula="dubois")
    bsa = 0.007184 * 65 ** 0.425 * 170 ** 0.725
    assert report.value("BSA (m2)") == pytest.approx(bsa)
    for indexed, source in (("LVEDVi (mL/m2)", "LVEDV"), ("LVMi (g/m2)", "LVM"), ("RVSVi (mL/m2)", "RVSV"),
                            ("LVCI (L/min/m2)", "LVCO")):
        assert report.value(indexed) == pytest.approx(report.value(source) / bsa)
    assert "DuBois" in report.get("BSA").method


def test_no_height_weight_means_no_indexed_values():
    report = measure_labels(cine(), AFFINE)
    assert report.value("BSA") is None and report.get("LVEDVi") is None


def test_zero_edv_gives_na_ef_not_a_crash():
    report = measure_labels(cine(rv=(0, 0, 0, 0)), AFFINE)
    assert report.value("RVEF") is None and report.value("LVEF") is not None
    assert "zero" in report.get("RVEF").method
