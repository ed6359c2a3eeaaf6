"""The prepared GPU check (benchmarks/gpu_check.sh) refuses clearly where it cannot run, and counts what it times.

The check itself needs CUDA; here we test its guards and its FLOP accounting, which run anywhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.gpu_check import analysis_jobs, count_flops  # noqa: E402


def test_script_names_missing_fixtures(tmp_path: Path) -> None:
    result = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"no golden fixtures at {tmp_path}" in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA machine runs the real check instead")
def test_script_refuses_without_cuda(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--golden", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2
    assert "CUDA is not available" in result.stderr


def test_analysis_covers_every_frame_of_dense_models_and_each_head_once() -> None:
    jobs = {job.name: job for job in analysis_jobs(frames=7)}
    assert jobs["segmentation/mnms2_sax"].count == 7
    assert jobs["segmentation/mnms2_sax"].shape == (1, 192, 192, 16)
    assert jobs["classification_cvd/acdc_sax"].count == 1
    assert jobs["classification_cvd/acdc_sax"].shape == (2, 192, 192, 16)  # ED and ES as two channels
    one, seven = analysis_jobs(1)[0], analysis_jobs(7)[0]
    assert count_flops(seven) == 7 * count_flops(one)


def test_dry_run_checks_the_fixtures_and_lists_the_analysis_without_a_gpu() -> None:
    from conftest import shared_path

    golden = shared_path("fixtures", "cinema-golden")
    result = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run", str(golden)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("parity: ") == len(list(golden.glob("*.io.safetensors")))
    assert "analysis: segmentation/mnms2_sax" in result.stdout
    assert "dry run: nothing timed" in result.stdout
