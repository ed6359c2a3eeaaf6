"""ED/ES is decided once (CineMALib.phases.decide_ed_es) and a user's ED/ES frames change every ED/ES-dependent
number consistently: volumes, EF, mass, the report's ED/ES provenance, report.csv; ``cinema measure`` on a result whose
NIfTI has empty (not analysed) frames never takes one of them for ED or ES."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from CineMALib.cli import main
from CineMALib.errors import CineMAInputError
from CineMALib.measure import ED_ES_KEY, measure_labels, measure_study
from CineMALib.phases import decide_ed_es
from CineMALib.results import AnalysisResults, ViewResult

SPACING = (1.25, 1.25, 10.0)
AFFINE = np.diag([*SPACING, 1.0])
VOXEL_ML = float(np.prod(SPACING)) / 1000.0
#: Per frame: (LV, MYO, RV) voxel counts; frame 2 is the largest LV, frame 5 the smallest.
COUNTS = [(300, 150, 260), (340, 140, 280), (400, 130, 330), (320, 160, 250), (250, 170, 180), (200, 180, 150)]


def cine(counts=COUNTS, empty=()) -> np.ndarray:
    """(20, 20, 4, T) CineMA labels with the given voxel counts per frame; frames in ``empty`` all background."""
    labels = np.zeros((20, 20, 4, len(counts)), np.uint8)
    for t, (lv, myo, rv) in enumerate(counts):
        if t in empty:
            continue
        flat = np.zeros(1600, np.uint8)
        flat[:lv], flat[500:500 + myo], flat[800:800 + rv] = 3, 2, 1
        labels[..., t] = flat.reshape(20, 20, 4)
    return labels


def expected(ed: int, es: int, counts=COUNTS) -> dict[str, float]:
    """The numbers at frames ``ed``/``es``, from the voxel counts alone."""
    (lv_ed, myo_ed, rv_ed), (lv_es, _, rv_es) = counts[ed], counts[es]
    return {"LVEDV": lv_ed * VOXEL_ML, "LVESV": lv_es * VOXEL_ML, "LVEF": 100 * (lv_ed - lv_es) / lv_ed,
            "LVM": myo_ed * VOXEL_ML * 1.05, "RVEDV": rv_ed * VOXEL_ML, "RVESV": rv_es * VOXEL_ML,
            "RVEF": 100 * (rv_ed - rv_es) / rv_ed}


def check_numbers(values: dict[str, float], ed: int, es: int) -> None:
    for key, value in expected(ed, es).items():
        assert values[key] == pytest.approx(value, abs=0.01), key


def test_override_changes_every_ed_es_number_consistently() -> None:
    auto = measure_labels(cine(), AFFINE)
    assert (auto.ed_frame, auto.es_frame) == (2, 5)
    check_numbers({k: auto.value(k) for k in expected(2, 5)}, 2, 5)
    assert auto.provenance[ED_ES_KEY].startswith("automatic: ")
    given = measure_labels(cine(), AFFINE, ed=1, es=4)
    assert (given.ed_frame, given.es_frame) == (1, 4)
    check_numbers({k: given.value(k) for k in expected(1, 4)}, 1, 4)
    assert given.provenance[ED_ES_KEY].startswith("given: ")
    for key in ("LVEDV (mL)", "LVESV (mL)", "LVM (g)", "RVEDV (mL)", "ED frame", "ES frame"):
        assert "given by the user" in given.get(key).method, key
    assert given.get("LVEDV (mL)").frames == (1,) and given.get("LVEF (%)").frames == (1, 4)
    half = measure_labels(cine(), AFFINE, es=3)  # ES given, ED still by the rule
    assert (half.ed_frame, half.es_frame) == (2, 3) and half.provenance[ED_ES_KEY].startswith("ED automatic, ES given")


def test_volume_plot_marks_given_and_automatic_frames() -> None:
    from CineMALib.report.plots import volume_figure

    def legend(report) -> list[str]:
        return [t.get_text() for t in volume_figure(report).axes[0].get_legend().get_texts()]

    assert "ED frame 2 (automatic)" in legend(measure_labels(cine(), AFFINE))
    marks = legend(measure_labels(cine(), AFFINE, es=4))
    assert "ED frame 2 (automatic)" in marks and "ES frame 4 (given)" in marks


def test_the_analysis_decision_is_measured_as_is() -> None:
    """measure_study takes the analysis' ED/ES (not its own max/min), so the classifier's [ED, ES] input and the
    volumes come from the same frames; an explicit override still wins."""
    results = AnalysisResults("S", {"sax": ViewResult("sax", AFFINE, cine(), tuple(range(len(COUNTS))))})
    results.decide(decide_ed_es([c[0] * VOXEL_ML for c in COUNTS], ed=0, es=4))
    report = measure_study(results)
    assert (report.ed_frame, report.es_frame) == (0, 4) and not any("analysis set" in n for n in report.notes)
    assert report.provenance[ED_ES_KEY].startswith("given: ")
    check_numbers({k: report.value(k) for k in expected(0, 4)}, 0, 4)
    forced = measure_study(results, ed=1, es=5)
    assert (forced.ed_frame, forced.es_frame) == (1, 5)


def test_score_rows_name_the_frames_the_models_saw() -> None:
    """The classifier's [ED, ES] input is the analysis' decision; measuring at other frames says the scores are not
    from them."""
    from CineMALib.results import ModelScore

    results = AnalysisResults("S", {"sax": ViewResult("sax", AFFINE, cine(), tuple(range(len(COUNTS))))},
                              scores=[ModelScore("cls", "sax", probabilities={"NOR": 0.6, "DCM": 0.4})])
    results.decide(decide_ed_es([c[0] * VOXEL_ML for c in COUNTS], ed=1, es=4))
    same = measure_study(results).get("P(NOR)")
    assert same.frames == (1, 4) and "frames 1, 4" in same.method and "not the frames" not in same.method
    other = measure_study(results, ed=2, es=5).get("P(NOR)")
    assert other.frames == (1, 4) and "not the frames measured here (ED 2, ES 5)" in other.method


def test_empty_frames_are_never_ed_or_es() -> None:
    """A --fast result keeps only ED/ES labelled; the file does not say so, so the empty frames must not count."""
    labels = cine(empty=(0, 3, 4, 5))
    report = measure_labels(labels, AFFINE)
    assert (report.ed_frame, report.es_frame) == (2, 1)
    assert report.value("RVESV") == pytest.approx(COUNTS[1][2] * VOXEL_ML)
    assert np.isnan(report.curves_ml["LV"][5])
    with pytest.raises(CineMAInputError, match=r"--es-frame 5 is not an analysed frame \(analysed: \[1, 2\]\)"):
        measure_labels(labels, AFFINE, es=5)


def _row(out: Path) -> dict[str, str]:
    with open(out / "report.csv", newline="", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def test_cli_measure_flags_and_fast_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "segmentation_sax.nii.gz"
    nib.save(nib.Nifti1Image(cine(empty=(0, 3, 4, 5)), AFFINE), str(path))
    assert main(["measure", "--labels", str(path), "--out", str(tmp_path / "auto")]) == 0
    row = _row(tmp_path / "auto")
    assert (row["ED frame"], row["ES frame"], row["ED/ES"]) == ("2", "1", "automatic")
    assert float(row["RVESV (mL)"]) > 0  # the old bug: an empty frame as ES, RVESV 0
    full = tmp_path / "full.nii.gz"
    nib.save(nib.Nifti1Image(cine(), AFFINE), str(full))
    assert main(["measure", "--labels", str(full), "--ed-frame", "1", "--es-frame", "4",
                 "--out", str(tmp_path / "given")]) == 0
    row = _row(tmp_path / "given")
    assert (row["ED frame"], row["ES frame"], row["ED/ES"]) == ("1", "4", "given")
    check_numbers({k: float(row[f"{k} ({'%' if 'EF' in k else 'g' if k == 'LVM' else 'mL'})"])
                   for k in expected(1, 4)}, 1, 4)
    assert "given by the user (--ed-frame/--es-frame)" in row["phase method"]
    with open(tmp_path / "given" / "measurements.csv", newline="", encoding="utf-8") as handle:
        methods = {r["measure"]: r["method"] for r in csv.DictReader(handle)}
    assert "given by the user" in methods["ED frame"] and "given by the user" in methods["LVEDV"]
    html = next((tmp_path / "given").glob("*.html")).read_text()  # report.html (summary.html before issue 14)
    assert "given by the user" in html
    capsys.readouterr()
    assert main(["measure", "--labels", str(full), "--ed-frame", "6", "--out", str(tmp_path / "bad")]) != 0
    err = capsys.readouterr().err
    assert "full.nii.gz" in err and "--ed-frame 6 is out of range" in err and "6 frames" in err


def test_help_says_zero_based() -> None:
    for command in ("analyse", "measure"):
        text = subprocess.run(["python", "-m", "CineMALib", command, "--help"], capture_output=True, text=True,
                              check=True).stdout
        assert "--ed-frame N" in text and "--es-frame M" in text and "0-based" in text, command


# --- the analysis: the user's frames are the decision, the classifier's input and (fast mode) the frames analysed ---

from tiny_weights import write_random_weights  # noqa: E402


@pytest.fixture(scope="module")
def small_study():
    from CineMALib.phantom import generate_phantom

    return generate_phantom(5, "normal", n_frames=6).study


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("tiny-ed-es"))


def _analyse(study, weights: Path, monkeypatch: pytest.MonkeyPatch, **options):
    """analyse_study with the SAX segmentation and the classifier only; returns (results, classifier's ED/ES)."""
    from CineMALib.analysis import pipeline
    from CineMALib.analysis.options import AnalysisOptions

    seen: list[tuple[int, int]] = []
    real = pipeline.classify

    def spy(*args, **kwargs):
        seen.append((int(args[3]), int(args[4])))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "classify", spy)
    opts = AnalysisOptions(weights=str(weights), device="cpu", heads=("segmentation_sax", "classification_cvd"),
                           **options)
    return pipeline.analyse_study(study, opts), seen


def _lv_ml(results, frame: int) -> float:
    sax = results.views["sax"]
    return float((sax.labels[..., frame] == 3).sum() * np.prod(np.linalg.norm(sax.affine[:3, :3], axis=0)) / 1000)


@pytest.mark.slow
def test_analysis_override_reaches_classifier_and_measurement(small_study, weights, monkeypatch) -> None:
    auto, seen_auto = _analyse(small_study, weights, monkeypatch)
    assert auto.phases is not None and auto.phases.choice == "automatic"
    assert seen_auto == [(auto.ed_frame, auto.es_frame)]
    ed, es = (auto.ed_frame + 2) % 6, (auto.es_frame + 3) % 6
    if ed == es:
        es = (es + 1) % 6
    given, seen = _analyse(small_study, weights, monkeypatch, ed_frame=ed, es_frame=es)
    assert (given.ed_frame, given.es_frame) == (ed, es) and given.phases.choice == "given"
    assert seen == [(ed, es)]  # the classifier's [ED, ES] input
    report = measure_study(given, small_study)
    assert (report.ed_frame, report.es_frame) == (ed, es)
    assert report.value("LVEDV") == pytest.approx(_lv_ml(given, ed), abs=1e-6)
    assert report.value("LVESV") == pytest.approx(_lv_ml(given, es), abs=1e-6)
    assert report.provenance[ED_ES_KEY].startswith("given: ")


@pytest.mark.slow
def test_fast_mode_analyses_the_given_frames(small_study, weights, monkeypatch) -> None:
    results, seen = _analyse(small_study, weights, monkeypatch, fast=True, ed_frame=4, es_frame=1)
    assert results.views["sax"].analysed_frames == (1, 4) and seen == [(4, 1)]
    assert (results.ed_frame, results.es_frame) == (4, 1)
    assert "user's ED and ES" in results.provenance["fast mode frames"]
    with pytest.raises(CineMAInputError, match="--es-frame 6 is out of range: the SAX cine has 6 frames"):
        _analyse(small_study, weights, monkeypatch, fast=True, es_frame=6)


@pytest.mark.slow
def test_cli_analyse_then_measure_with_the_given_frames(small_study, weights, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from CineMALib.phantom import generate_phantom, write_phantom

    study_dir = tmp_path / "study"
    write_phantom(generate_phantom(5, "normal", n_frames=6), study_dir, "nifti")
    out = tmp_path / "out"
    common = ["--weights", str(weights), "--device", "cpu", "--heads", "segmentation_sax", "--quiet"]
    assert main(["analyse", str(study_dir), "--out", str(out), "--fast", "--ed-frame", "4", "--es-frame", "1",
                 *common]) == 0
    row = _row(out)
    assert (row["ED frame"], row["ES frame"], row["ED/ES"]) == ("4", "1", "given")
    assert "ED 4, ES 1 (given)" in capsys.readouterr().err  # the one-line summary says so too
    seg = nib.load(next(out.glob("*/segmentation_sax.nii.gz")))
    labels = np.asarray(seg.dataobj)
    assert [t for t in range(6) if labels[..., t].any()] == [1, 4]  # fast mode: the given frames are analysed
    voxel = float(np.prod(seg.header.get_zooms()[:3])) / 1000
    assert float(row["LVEDV (mL)"]) == pytest.approx((labels[..., 4] == 3).sum() * voxel, abs=0.01)
    assert float(row["LVESV (mL)"]) == pytest.approx((labels[..., 1] == 3).sum() * voxel, abs=0.01)
    again = tmp_path / "measured"
    assert main(["measure", "--labels", str(next(out.glob("*/segmentation_sax.nii.gz"))), "--out", str(again)]) == 0
    measured = _row(again)
    assert {measured["ED frame"], measured["ES frame"]} == {"1", "4"}  # never an empty frame
    capsys.readouterr()
    assert main(["analyse", str(study_dir), "--out", str(tmp_path / "bad"), "--ed-frame", "9", *common]) == 1
    err = capsys.readouterr().err
    assert str(study_dir) in err and "--ed-frame 9 is out of range: the SAX cine has 6 frames" in err
    assert "--ed-frame 9" in (tmp_path / "bad" / "failures.txt").read_text()
