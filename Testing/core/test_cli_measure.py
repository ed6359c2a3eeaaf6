"""`cinema measure` end to end on small NIfTI files: ED/ES pair, 4-D cine, label maps, the ACDC trap, errors."""

from __future__ import annotations

import csv

import nibabel as nib
import numpy as np
import pytest

from CineMALib.cli import main

SPACING = (1.25, 1.25, 10.0)


def save(path, data, trap=False):
    """NIfTI with true spacing; with ``trap`` the ACDC way (unit sform, spacing only in pixdim)."""
    if trap:
        img = nib.Nifti1Image(data, np.diag([-1.0, -1.0, 1.0, 1.0]))
        img.header.set_zooms(SPACING + (1.0,) * (data.ndim - 3))
        img.set_sform(np.diag([-1.0, -1.0, 1.0, 1.0]), code=2)
        img.set_qform(None, code=0)
    else:
        img = nib.Nifti1Image(data, np.diag([*SPACING, 1.0]))
    nib.save(img, str(path))
    return path


def blob(n_lv, n_rv=150, n_myo=120, shape=(20, 20, 4), lv=3, rv=1):
    flat = np.zeros(int(np.prod(shape)), np.uint8)
    flat[:n_lv], flat[800:800 + n_rv], flat[1200:1200 + n_myo] = lv, rv, 2
    return flat.reshape(shape)


def report_row(out):
    with open(out / "report.csv", newline="") as handle:
        return next(csv.DictReader(handle))


def ml(count):
    return count * np.prod(SPACING) / 1000


def test_pair_with_acdc_trap_warns_and_uses_real_spacing(tmp_path, capsys):
    ed, es = save(tmp_path / "ed.nii.gz", blob(400), trap=True), save(tmp_path / "es.nii.gz", blob(180), trap=True)
    rc = main(["measure", "--ed", str(ed), "--es", str(es), "--label-map", "acdc", "--height", "180", "--weight",
               "80", "--sex", "M", "--study-id", "P1", "--out", str(tmp_path / "out")])
    assert rc == 0
    assert "pixdim" in capsys.readouterr().err
    row = report_row(tmp_path / "out")
    assert row["study"] == "P1"
    assert float(row["LVEDV (mL)"]) == pytest.approx(ml(400), abs=0.01)
    assert float(row["LVEF (%)"]) == pytest.approx(100 * (400 - 180) / 400, abs=0.01)
    assert float(row["BSA (m2)"]) == pytest.approx(2.0, abs=1e-3)
    assert float(row["LVEDVi (mL/m2)"]) == pytest.approx(ml(400) / 2.0, abs=0.01)
    assert "pixdim" in row["notes"]
    assert (tmp_path / "out" / "measurements.csv").is_file() and not (tmp_path / "out" / "volumes.png").exists()


def test_4d_cine_picks_max_min_lv_and_draws_curves(tmp_path):
    sizes = [300, 260, 150, 120, 210, 280]
    cine = np.stack([blob(n) for n in sizes], axis=-1)
    rc = main(["measure", "--labels", str(save(tmp_path / "cine.nii.gz", cine)), "--out", str(tmp_path / "o")])
    row = report_row(tmp_path / "o")
    assert rc == 0 and int(row["ED frame"]) == 0 and int(row["ES frame"]) == 3
    assert float(row["LVESV (mL)"]) == pytest.approx(ml(120), abs=0.01)
    assert (tmp_path / "o" / "volumes.png").stat().st_size > 5000
    rc = main(["measure", "--labels", str(tmp_path / "cine.nii.gz"), "--ed-frame", "5", "--es-frame", "2",
               "--out", str(tmp_path / "o2")])
    row = report_row(tmp_path / "o2")
    assert rc == 0 and (int(row["ED frame"]), int(row["ES frame"])) == (5, 2)
    assert float(row["LVEDV (mL)"]) == pytest.approx(ml(280), abs=0.01)


def test_mnms_label_map_swaps_lv_and_rv(tmp_path):
    ed = save(tmp_path / "ed.nii.gz", blob(400, n_rv=200, lv=1, rv=3))
    es = save(tmp_path / "es.nii.gz", blob(180, n_rv=90, lv=1, rv=3))
    assert main(["measure", "--ed", str(ed), "--es", str(es), "--label-map", "mnms", "--out", str(tmp_path)]) == 0
    row = report_row(tmp_path)
    assert float(row["LVEDV (mL)"]) == pytest.approx(ml(400), abs=0.01)
    assert float(row["RVEDV (mL)"]) == pytest.approx(ml(200), abs=0.01)
    assert "mnms" in row["label map"]


def test_image_gives_an_overlay_in_the_html(tmp_path):
    ed, es = save(tmp_path / "ed.nii.gz", blob(400)), save(tmp_path / "es.nii.gz", blob(180))
    img = save(tmp_path / "img.nii.gz", np.random.default_rng(0).random((20, 20, 4, 2)).astype(np.float32))
    assert main(["measure", "--ed", str(ed), "--es", str(es), "--image", str(img), "--out", str(tmp_path / "o")]) == 0
    assert "overlay.png" in (tmp_path / "o" / "report.html").read_text()


@pytest.mark.parametrize("case", ["missing", "image_as_labels", "height_only", "grid_mismatch", "no_labels"])
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, case):
    ed = save(tmp_path / "ed.nii.gz", blob(400))
    image = np.arange(20 * 20 * 4 * 3, dtype=np.float32).reshape(20, 20, 4, 3)
    args = {"missing": ["--ed", str(ed), "--es", str(tmp_path / "nope.nii.gz")],
            "image_as_labels": ["--labels", str(save(tmp_path / "img.nii.gz", image))],
            "height_only": ["--ed", str(ed), "--es", str(ed), "--height", "170"],
            "grid_mismatch": ["--ed", str(ed), "--es", str(save(tmp_path / "es.nii.gz", blob(100, shape=(20, 20, 5))))],
            "no_labels": []}[case]
    rc = main(["measure", *args, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("cinema measure: error:")
    assert "Traceback" not in err[0]
