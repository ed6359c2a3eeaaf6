"""`cinema analyse --lv-center / --manifest` and `cinema info --lv-center`: the user's centre reaches the crop, a
cohort manifest gives each study its own, bad values fail with a clear message, the review marking reaches the CLI
output, and `cinema info --json` keeps its keys and adds the new ones."""

from __future__ import annotations

import csv
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import CineMALib.analysis.pipeline as pipeline
import CineMALib.analysis.sax_stage as sax_stage
from CineMALib.analysis.manifest import read_manifest
from CineMALib.analysis.plausibility import Plausibility
from CineMALib.cli import main
from CineMALib.errors import CineMAInputError
from CineMALib.provenance import HEART_NOT_FOUND
from CineMALib.phantom import generate_phantom, write_phantom
from CineMALib.study import voxel_to_world

sys.path.insert(0, str(Path(__file__).parent))
from tiny_weights import write_random_weights  # noqa: E402

OLD_VIEW_KEYS = ("shape", "spacing_mm", "n_frames", "affine", "orientation", "trigger_times_ms", "lv_center_voxel",
                 "lv_center_world", "lv_center_confidence", "lv_center_method", "lv_center_warning")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CINEMA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cinema-cache"))


@pytest.fixture(scope="module")
def phantom_dir(tmp_path_factory: pytest.TempPathFactory):
    phantom = generate_phantom(13, "normal", n_frames=4)
    out = tmp_path_factory.mktemp("phantom") / "p13"
    write_phantom(phantom, out, "nifti")
    sax = phantom.study["sax"]
    middle = voxel_to_world(sax.affine, np.array([(sax.shape[0] - 1) / 2, (sax.shape[1] - 1) / 2, sax.shape[2] // 2]))
    return out, middle


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("tiny"), names=("segmentation/phantom_sax",))


def _analyse(inputs: list[Path], out: Path, weights: Path, *extra: str) -> int:
    return main(["analyse", *map(str, inputs), "--out", str(out), "--weights", str(weights), "--device", "cpu",
                 "--fast", "--heads", "segmentation_sax", "--quiet", *extra])


def _centre_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["measure"]: row for row in csv.DictReader(handle) if row["measure"].startswith("LV centre")}


def _ras(point: np.ndarray) -> str:
    """R,A,S text (negative values need the ``--lv-center=...`` form, as for any argparse option)."""
    return ",".join(f"{v:.3f}" for v in point)


def test_lv_center_reaches_the_crop(phantom_dir, tiny_weights, tmp_path, monkeypatch) -> None:
    folder, given = phantom_dir
    centres: list[np.ndarray] = []
    real = sax_stage.sax_model_grid
    monkeypatch.setattr(sax_stage, "sax_model_grid", lambda v, c, **k: centres.append(np.asarray(c)) or real(v, c, **k))
    assert _analyse([folder], tmp_path / "out", tiny_weights, f"--lv-center={_ras(given)}") == 0
    assert centres and all(np.allclose(c, given, atol=1e-3) for c in centres)
    (study,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    rows = _centre_rows(study / "measurements.csv")
    np.testing.assert_allclose([float(rows[f"LV centre {a}"]["value"]) for a in "RAS"], given, atol=0.06)
    assert rows["LV centre R"]["method"].startswith("centre of the SAX model window") and "user" in \
        rows["LV centre R"]["method"]


def test_manifest_gives_each_study_its_centre(phantom_dir, tiny_weights, tmp_path) -> None:
    folder, given = phantom_dir
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    manifest = tmp_path / "centres.csv"
    manifest.write_text(f"# LV centres\nstudy,R,A,S\n{folder.name},{given[0]},{given[1]},{given[2]}\nnot-here,1,2,3\n")
    out = tmp_path / "out"
    assert _analyse([folder, other], out, tiny_weights, "--manifest", str(manifest)) == 0
    studies = {p.name: p for p in out.iterdir() if p.is_dir()}  # the study id is the folder name here
    assert sorted(studies) == sorted([folder.name, "other"])
    user = {name: "<td>lv centre source</td><td>user</td>" in (study / "report.html").read_text(encoding="utf-8")
            for name, study in studies.items()}
    assert user == {folder.name: True, "other": False}  # only the study named in the manifest
    first = _centre_rows(studies[folder.name] / "measurements.csv")
    np.testing.assert_allclose([float(first[f"LV centre {a}"]["value"]) for a in "RAS"], given, atol=0.06)


@pytest.mark.parametrize("text, problem", [
    ("study,R,A\np13,1,2\n", "lacks column(s) S"),
    ("study,R,A,S\np13,1,x,3\n", "row 2 (p13): R, A, S must be numbers"),
    ("study,R,A,S\np13,1,2,3\np13,4,5,6\n", "listed twice"),
])
def test_bad_manifest_names_file_and_row(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(CineMAInputError, match="m.csv") as err:
        read_manifest(path)
    assert problem in str(err.value)


def test_bad_lv_center_is_a_clear_error(phantom_dir, tiny_weights, tmp_path, capsys) -> None:
    folder, _ = phantom_dir
    assert _analyse([folder], tmp_path / "a", tiny_weights, "--lv-center", "1,2") == 2
    assert "expected three numbers R,A,S" in capsys.readouterr().err
    assert _analyse([folder, folder], tmp_path / "b", tiny_weights, "--lv-center", "1,2,3") == 2
    assert "use --manifest" in capsys.readouterr().err
    assert _analyse([folder], tmp_path / "c", tiny_weights, "--lv-center", "9000,0,0") == 1
    assert "outside the sax images" in capsys.readouterr().err


def test_heart_not_found_is_printed(phantom_dir, tiny_weights, tmp_path, capsys, monkeypatch) -> None:
    folder, _ = phantom_dir
    monkeypatch.setattr(pipeline, "score_segmentation", lambda *a, **k: Plausibility(0.05, {"fake": 0.05}))
    assert _analyse([folder], tmp_path / "out", tiny_weights) == 0
    err = capsys.readouterr().err
    assert f"review: {HEART_NOT_FOUND}" in err
    with open(tmp_path / "out" / "report.csv", newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert HEART_NOT_FOUND in row["notes"]


def test_info_json_keeps_keys_and_adds_the_centre_provenance(phantom_dir, capsys) -> None:
    folder, given = phantom_dir
    assert main(["info", str(folder), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    sax = info["views"]["sax"]
    assert all(key in sax for key in OLD_VIEW_KEYS) and "lv_center_confidence" in info
    assert sax["lv_center_source"] == "automatic" and isinstance(sax["lv_center_candidates"], list)
    assert info["lv_center_world"] == sax["lv_center_world"] and info["lv_center_source"] == "automatic"
    assert main(["info", str(folder), "--json", f"--lv-center={_ras(given)}"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["lv_center_source"] == "user" and info["views"]["sax"]["lv_center_method"] == "user-given"
    np.testing.assert_allclose(info["lv_center_world"], given, atol=1e-3)
    assert info["views"]["lax_4c"]["lv_center_source"] == "automatic"  # steered by the given SAX centre
    assert main(["info", str(folder), "--lv-center", "a,b,c"]) == 2
    assert "must be numbers" in capsys.readouterr().err
