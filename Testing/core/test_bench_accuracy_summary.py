"""The accuracy benchmark's verdict: each target judged on the mean over studies and on the worst study, and an exit
status that is 0 only when every study meets every target (so a good mean cannot hide a bad study)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_phantom_accuracy.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_phantom_accuracy", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _study(bench, seed: int, myo_ed: float = 0.95, d_rvef: float = 1.0):
    dice = {"LV ED": 0.97, "MYO ED": myo_ed, "RV ED": 0.95, "LV ES": 0.96, "MYO ES": 0.94, "RV ES": 0.94}
    return bench.StudyScore(seed, "dcm", dice=dice, d_lvef=1.0, d_rvef=d_rvef, edv_err_pct=2.0, landmark_mm=1.5)


def test_every_study_within_targets_passes(bench, capsys):
    assert bench.print_table([_study(bench, 1), _study(bench, 2)]) is True
    out = capsys.readouterr().out
    assert "means meet every target: yes" in out
    assert "studies meeting every target: 2 of 2" in out


def test_one_bad_study_fails_although_the_means_pass(bench, capsys):
    scores = [_study(bench, 1, myo_ed=0.89, d_rvef=6.0), _study(bench, 2)]
    assert bench.print_table(scores) is False
    out = capsys.readouterr().out
    assert "means meet every target: yes" in out
    assert "studies meeting every target: 1 of 2; missed: 1 Dice MYO ED 0.890, |dRVEF| 6.000" in out
    rvef_row = next(line for line in out.splitlines() if line.strip().startswith("|dRVEF|"))
    assert rvef_row.split()[-2:] == ["PASS", "FAIL"]  # mean 3.5 passes, the worst study (6.0) does not


def test_a_bad_mean_is_reported(bench, capsys):
    scores = [_study(bench, 1, d_rvef=6.0), _study(bench, 2, d_rvef=5.5)]
    assert bench.print_table(scores) is False
    assert "means meet every target: no" in capsys.readouterr().out
