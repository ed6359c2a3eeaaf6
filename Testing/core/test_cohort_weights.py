"""A cohort loads its weights once: each checkpoint file is read and SHA-256-hashed once for the whole cohort, not
once per study, and the resident models give the same labels as a fresh load."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import CineMALib.checkpoints.integrity as integrity
import CineMALib.checkpoints.weights as weights_io
from CineMALib.analysis.cohort import analyse_cohort, iter_cohort
from CineMALib.analysis.options import AnalysisOptions
from CineMALib.analysis.weights import HeadCache
from CineMALib.phantom import generate_phantom
from CineMALib.study import CineStudy, voxel_to_world

sys.path.insert(0, str(Path(__file__).parent))
from tiny_weights import write_random_weights  # noqa: E402


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Integrity records of test weights go to a throw-away folder, never ~/.cache."""
    monkeypatch.setenv("CINEMA_CACHE_DIR", str(tmp_path / "cinema-cache"))


def _middle(study: CineStudy) -> tuple[float, float, float]:
    """The SAX stack's middle (RAS mm): a given centre skips the search, its verification and the retries, which
    untrained weights would otherwise run at every candidate."""
    sax = study["sax"]
    return tuple(float(v) for v in voxel_to_world(sax.affine, (np.array(sax.shape[:3]) - 1) / 2.0))


def _sax_and_4c(study: CineStudy) -> CineStudy:
    """The study without its 2C view (one landmark head is enough here, and each costs seconds)."""
    return replace(study, views={v: study[v] for v in ("sax", "lax_4c")})


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> tuple[Counter, Counter]:
    """Counters of SHA-256 hashes and safetensors reads, per file."""
    hashed: Counter = Counter()
    read: Counter = Counter()
    sha256_file, read_safetensors = integrity.sha256_file, weights_io.read_safetensors

    def counting_sha(path, *args, **kwargs):
        hashed[str(path)] += 1
        return sha256_file(path, *args, **kwargs)

    def counting_read(path, *args, **kwargs):
        read[str(path)] += 1
        return read_safetensors(path, *args, **kwargs)

    monkeypatch.setattr(integrity, "sha256_file", counting_sha)
    monkeypatch.setattr(weights_io, "read_safetensors", counting_read)
    return hashed, read


@pytest.mark.slow  # two tiny analyses: ~10-20 s on 2 busy cores
def test_a_cohort_reads_and_hashes_each_checkpoint_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("segmentation/phantom_sax", "landmark_heatmap/lax_4c")
    weights = write_random_weights(tmp_path / "tiny", names=names)  # the registered loader (landmarks) and the
    files = sorted(str(p) for p in weights.rglob("*") if p.suffix in (".safetensors", ".yaml"))  # folder one
    studies = [_sax_and_4c(generate_phantom(seed, pathology, n_frames=4).study)
               for seed, pathology in ((3, "normal"), (4, "dcm"))]
    hashed, read = _count_calls(monkeypatch)
    options = AnalysisOptions(weights=str(weights), device="cpu", fast=True, lv_center=_middle(studies[0]),
                              heads=("segmentation_sax", "landmarks"))
    outcomes = analyse_cohort(studies, options)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    for outcome in outcomes:  # every study ran both heads, on models loaded once
        assert outcome.results.views["sax"].labels is not None and outcome.results.views["lax_4c"].landmarks_world
    assert set(hashed) == set(files) and set(hashed.values()) == {1}, hashed
    assert set(read) == {f for f in files if f.endswith(".safetensors")} and set(read.values()) == {1}, read


@pytest.mark.slow
def test_a_failed_load_is_not_retried_for_every_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = write_random_weights(tmp_path / "tiny", names=("segmentation/phantom_sax", "regression_ef/phantom_sax"))
    (weights / "SHA256SUMS").write_text(
        "0" * 64 + "  finetuned/regression_ef/phantom_sax/phantom_sax_0.safetensors\n", encoding="utf-8")
    hashed, _ = _count_calls(monkeypatch)
    heads = HeadCache()
    study = generate_phantom(3, "normal", n_frames=4).study
    options = AnalysisOptions(weights=str(weights), device="cpu", fast=True, lv_center=_middle(study),
                              heads=("segmentation_sax", "regression_ef"))
    outcomes = list(iter_cohort([study, study], options, heads=heads))
    assert all(o.ok for o in outcomes)
    for outcome in outcomes:  # the corrupt optional head is skipped, with the checksum problem named, every time
        reason = outcome.results.provenance["skipped regression_ef sax"]
        assert "does not match" in reason and "SHA256SUMS" in reason
    assert sorted(n for p, n in hashed.items() if p.endswith(".safetensors")) == [1, 1]  # seg and regression, once
    assert len(heads) == 1  # only the segmentation head is resident
