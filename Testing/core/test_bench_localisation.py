"""The localisation benchmark's gate (issue 16): every real labelled case in ../shared within 10 mm of its LV label
centroid and >= 95 % of the generated off-centre cases; skipped with a reason when ../shared is absent."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import shared_path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_localisation.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_localisation", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_verdict_counts_real_failures_and_the_generated_share(bench) -> None:
    row = bench.Row
    ok = [row("a", "g", True, 3.0, "blob", 0.9, 0.1, False)] + \
         [row(f"g{i}", "gen", False, 2.0, "blob", 0.9, 0.1, False) for i in range(19)]
    assert bench.verdict(ok)[0]
    one_bad_real = ok + [row("b", "g", True, 12.0, "blob", 0.9, 0.1, False)]
    assert not bench.verdict(one_bad_real)[0]
    two_bad_generated = ok + [row(f"x{i}", "gen", False, 30.0, "blob", 0.9, 0.1, False) for i in range(2)]
    assert not bench.verdict(two_bad_generated)[0]  # 19 / 21 = 90.5 % < 95 %


@pytest.fixture(scope="module")
def rows(bench):
    shared = shared_path("data").parent
    return bench.run(bench.build_cases(shared))


@pytest.mark.slow
def test_every_sax_case_and_95_percent_of_generated_cases_within_10_mm(bench, rows) -> None:
    """The targets on every SAX localisation (real and generated; with and without LAX views in the study)."""
    sax = [r for r in rows if r.group not in bench.LAX_TARGET_GROUPS]
    assert len(sax) > 200
    ok, reasons = bench.verdict(sax)
    assert ok, "; ".join(reasons)


@pytest.mark.slow
def test_every_lax_plane_with_its_sax_stack_within_10_mm(bench, rows) -> None:
    """The 2C and 4C planes located with their SAX stack in the study (``sax-prior`` and ``sax-along``)."""
    lax = [r for r in rows if r.group in bench.LAX_TARGET_GROUPS and r.group != "examples-lax-alone"]
    assert len(lax) == 6
    assert all(r.distance_mm <= bench.WITHIN_MM for r in lax), [(r.name, round(r.distance_mm, 1)) for r in lax]


@pytest.mark.slow
def test_localisation_benchmark_meets_the_issue_16_targets(bench, rows) -> None:
    """Every real case as the data come within 10 mm, >= 95 % of the variants (the M&Ms2 4C frame with its SAX stack
    withheld is a variant, and misses: 75-77 mm with a low-confidence warning; see benchmarks/README.md)."""
    ok, reasons = bench.verdict(rows)
    assert ok, "; ".join(reasons)
