"""`cinema phantom`: writes a study in either format, prints its truth, refuses bad arguments with exit code 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from CineMALib.cli import main


def test_cli_writes_nifti_study_and_prints_the_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "study"
    assert main(["phantom", "--out", str(out), "--seed", "2", "--pathology", "hcm", "--frames", "5"]) == 0
    printed = capsys.readouterr().out
    assert {p.name for p in out.iterdir()} >= {"sax.nii.gz", "lax_2c.nii.gz", "lax_3c.nii.gz", "lax_4c.nii.gz",
                                               "labels", "landmarks.json", "truth.json", "README.txt"}
    truth = json.loads((out / "truth.json").read_text())
    assert truth["pathology"] == "hcm" and truth["n_frames"] == 5
    row = re.search(r"LVEF \(%\)\s+([\d.]+)\s+([\d.]+)", printed)
    assert row, printed
    assert float(row.group(1)) == pytest.approx(truth["continuous"]["LVEF (%)"], abs=0.051)
    assert float(row.group(2)) == pytest.approx(truth["discretised"]["LVEF (%)"], abs=0.051)
    for view in ("sax", "lax_2c", "lax_3c", "lax_4c"):
        assert view in printed


def test_cli_writes_dicom_series_per_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["phantom", "--out", str(tmp_path), "--seed", "1", "--format", "dicom", "--frames", "4"]) == 0
    assert "dicom" in capsys.readouterr().out
    for view in ("sax", "lax_2c", "lax_3c", "lax_4c"):
        files = list((tmp_path / "dicom" / view).glob("*.dcm"))
        assert files and len(files) % 4 == 0, view
    assert not list(tmp_path.glob("*.nii.gz"))


@pytest.mark.parametrize("argv, message", [(["--frames", "2"], "--frames"), (["--seed", "-3"], "--seed")])
def test_cli_refuses_bad_values_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                              message: str) -> None:
    assert main(["phantom", "--out", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_cli_refuses_unknown_pathology(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["phantom", "--out", str(tmp_path), "--pathology", "amyloid"])
    assert exc.value.code == 2


def test_cli_refuses_an_output_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("not a folder")
    assert main(["phantom", "--out", str(target), "--frames", "4"]) == 2
    assert "not a folder" in capsys.readouterr().err
