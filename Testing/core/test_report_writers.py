"""report.csv / measurements.csv layout, atomic writes, volumes.png, landmarks.json round trip, report.html (the one
per-study report of `cinema measure` and `cinema analyse`)."""

from __future__ import annotations

import base64
import csv
import os

import numpy as np
import pytest

from CineMALib.measure import measure_labels
from CineMALib.report import (read_landmarks_json, write_landmarks_json, write_measurements_csv, write_outputs,
                              write_report_csv, write_volume_plot)
from CineMALib.atomic import atomic_write_text
from CineMALib.results import ModelScore
from CineMALib.study import StudyMetadata

#: A 1x1 PNG (the writer embeds any PNG file).
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

REQUIRED = ["LVEDV (mL)", "LVESV (mL)", "LVSV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)", "RVSV (mL)",
            "RVEF (%)", "ED frame", "ES frame", "MAPSE (mm)", "TAPSE (mm)", "LVCO (L/min)", "BSA (m2)",
            "LVEDVi (mL/m2)", "LVMi (g/m2)"]


def make_report(study_id="S1", scores=(), landmarks=None, sizes=(300, 250, 120, 200, 280)):
    labels = np.zeros((16, 16, 4, len(sizes)), np.uint8)
    for t, n in enumerate(sizes):
        frame = np.zeros(labels[..., t].size, np.uint8)
        frame[:n], frame[400:500], frame[600:600 + n] = 3, 2, 1
        labels[..., t] = frame.reshape(labels.shape[:3])
    meta = StudyMetadata(height_cm=170, weight_kg=70, sex="F", heart_rate_bpm=65)
    return measure_labels(labels, np.diag([1.4, 1.4, 10.0, 1.0]), metadata=meta, study_id=study_id,
                          scores=list(scores), landmarks=landmarks)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_report_csv_has_unit_suffixed_headers_and_values(tmp_path):
    report = make_report(scores=[ModelScore("cls", "sax", probabilities={"NOR": 0.8, "DCM": 0.2})])
    rows = read_csv(write_report_csv(report, tmp_path / "report.csv"))
    assert len(rows) == 1
    header = list(rows[0])
    assert header[0] == "study" and all(col in header for col in REQUIRED)
    assert "P(NOR)" in header and "phase method" in header and "LV volume method" in header
    row = rows[0]
    for col in ("LVEDV (mL)", "LVEF (%)", "LVM (g)", "BSA (m2)", "LVEDVi (mL/m2)", "P(NOR)"):
        assert float(row[col]) == pytest.approx(report.value(col), abs=1e-2)
    assert int(row["ED frame"]) == report.ed_frame and int(row["ES frame"]) == report.es_frame
    assert row["TAPSE (mm)"] == "n/a" and row["MAPSE (mm)"] == "n/a"
    assert "slice pitch" in row["LV volume method"]


def test_multi_study_report_unions_probability_columns(tmp_path):
    a = make_report("A", scores=[ModelScore("c", "sax", probabilities={"NOR": 0.9})])
    b = make_report("B", scores=[ModelScore("c", "sax", probabilities={"HCM": 0.6})])
    rows = read_csv(write_report_csv([a, b], tmp_path / "report.csv"))
    assert [r["study"] for r in rows] == ["A", "B"]
    assert rows[0]["P(HCM)"] == "n/a" and float(rows[1]["P(HCM)"]) == pytest.approx(0.6)


def test_measurements_csv_is_long_with_method_and_frames(tmp_path):
    report = make_report()
    rows = read_csv(write_measurements_csv(report, tmp_path / "measurements.csv"))
    assert list(rows[0])[:6] == ["study", "measure", "value", "unit", "method", "phase"] and "frame" in rows[0]
    assert len(rows) == len(report.rows)
    edv = next(r for r in rows if r["measure"] == "LVEDV")
    assert edv["unit"] == "mL" and edv["frame"] == str(report.ed_frame) and "disc summation" in edv["method"]
    ef = next(r for r in rows if r["measure"] == "LVEF")
    assert ef["frame"] == f"{report.ed_frame};{report.es_frame}"


def test_atomic_write_replaces_whole_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    atomic_write_text(target, "old\n")
    assert target.read_text() == "old\n" and oct(target.stat().st_mode & 0o777) == oct(0o644)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_report_csv(make_report(), target)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]  # no temp file left behind


def test_volume_plot_is_a_png(tmp_path):
    path = write_volume_plot(make_report(), tmp_path / "volumes.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_landmarks_json_round_trip_keeps_missing_frames(tmp_path):
    track = np.arange(15, dtype=float).reshape(5, 3)
    track[2] = np.nan
    report = make_report(landmarks={"lax_4c": {"apex": track, "mitral_lateral": track + 40, "mitral_septal": track}})
    text = write_landmarks_json(report, tmp_path / "landmarks.json").read_text()
    assert '"coordinate_system": "RAS"' in text and "null" in text
    back = read_landmarks_json(tmp_path / "landmarks.json")
    assert np.allclose(back["lax_4c"]["mitral_lateral"], track + 40, equal_nan=True)


def test_write_outputs_html_embeds_plot_and_escapes(tmp_path):
    report = make_report(study_id="<script>x</script>")
    written = write_outputs(report, tmp_path)
    assert set(written) == {"report.csv", "measurements.csv", "volumes.png", "report.html"}
    html = written["report.html"].read_text()
    assert "<script>x" not in html and "&lt;script&gt;" in html
    assert "data:image/png;base64," in html and 'href="volumes.png"' in html
    assert html.count("<tr>") >= len(report.rows) and "LVEDV" in html


def test_pair_report_has_no_curve_plot(tmp_path):
    labels = np.zeros((8, 8, 2), np.uint8)
    labels[:4] = 3
    es = labels.copy()
    es[:2] = 0
    written = write_outputs(measure_labels((labels, es), np.eye(4)), tmp_path)
    assert "volumes.png" not in written and not (tmp_path / "volumes.png").exists()


def test_one_report_writer_for_measure_and_analyse(tmp_path):
    """report.html (never summary.html): review warnings first, the given QC image before the volume curves; a
    cohort member gets no report.csv of its own."""
    report = make_report()
    report.provenance["review: lv centre"] = "heart not found with confidence"
    montage = tmp_path / "qc_montage.png"
    montage.write_bytes(base64.b64decode(PNG_1PX))
    written = write_outputs(report, tmp_path, (montage,), report_csv=False)
    assert "report.csv" not in written and not (tmp_path / "summary.html").exists()
    html = written["report.html"].read_text()
    assert html.index("review: heart not found with confidence") < html.index("<h2>Measurements</h2>")
    assert html.index('href="qc_montage.png"') < html.index('href="volumes.png"')
