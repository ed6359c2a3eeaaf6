"""Cost per study in a cohort: the first study loads the weights, every later one costs only its own analysis.

    python benchmarks/bench_cohort.py [--studies 10] [--uncached 3] [--weights demo] [--device cpu]

One process, phantom studies (seeds 200, 201, ...; 25 frames, generated in memory, so file reading is not timed),
fast mode. It runs (1) a cohort of one study, (2) a cohort of ``--studies`` studies, both through ``iter_cohort``
(one :class:`~CineMALib.analysis.weights.HeadCache` per cohort), and (3) for comparison ``--uncached`` studies
analysed one by one with ``analyse_study`` and no cache (what every study of a cohort cost before: load, hash,
build every head). For each study it prints the wall time, the time inside model forwards (``forward_clock.py``),
the weight-loading time the provenance records, and how many checkpoint files were SHA-256-hashed and read
(counted by wrapping ``integrity.sha256_file`` and ``weights.read_safetensors``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter

import CineMALib.checkpoints.integrity as integrity
import CineMALib.checkpoints.weights as weights_io
from CineMALib.analysis.cohort import iter_cohort
from CineMALib.analysis.options import AnalysisOptions
from CineMALib.analysis.pipeline import analyse_study
from CineMALib.phantom import generate_phantom
from forward_clock import ForwardClock  # benchmarks/ (this script's folder)

HASHED: Counter = Counter()
READ: Counter = Counter()


def _count_file_work() -> None:
    """Count every checkpoint hash and weights read (per file path)."""
    sha256_file, read_safetensors = integrity.sha256_file, weights_io.read_safetensors

    def hashing(path, *args, **kwargs):
        HASHED[str(path)] += 1
        return sha256_file(path, *args, **kwargs)

    def reading(path, *args, **kwargs):
        READ[str(path)] += 1
        return read_safetensors(path, *args, **kwargs)

    integrity.sha256_file, weights_io.read_safetensors = hashing, reading


def _load_seconds(provenance: dict[str, str]) -> float:
    return sum(float(v) for k, v in provenance.items() if k.startswith("time load "))


def _row(label: str, wall: float, clock: ForwardClock, provenance: dict[str, str], hashed: int, read: int) -> dict:
    row = {"study": label, "wall": wall, "forward": clock.seconds, "load": _load_seconds(provenance),
           "hashed": hashed, "read": read}
    print(f"  {label:10s} wall {wall:6.2f} s  forwards {clock.seconds:6.2f} s  loading {row['load']:5.2f} s  "
          f"files hashed {hashed:2d}  weights read {read:2d}", flush=True)
    return row


def run_cohort(studies: list, options: AnalysisOptions, title: str) -> list[dict]:
    print(f"\n{title}", flush=True)
    rows = []
    outcomes = iter_cohort(studies, options)
    for i in range(len(studies)):
        h0, r0 = sum(HASHED.values()), sum(READ.values())
        start = time.perf_counter()
        with ForwardClock() as clock:
            outcome = next(outcomes)
        wall = time.perf_counter() - start
        if not outcome.ok:
            raise SystemExit(f"{outcome.label}: {outcome.error}")
        rows.append(_row(f"study {i + 1}", wall, clock, outcome.results.provenance,
                         sum(HASHED.values()) - h0, sum(READ.values()) - r0))
    return rows


def run_uncached(studies: list, options: AnalysisOptions) -> list[dict]:
    print(f"\nwithout a cache (before): {len(studies)} studies, each analysed on its own", flush=True)
    rows = []
    for i, study in enumerate(studies):
        h0, r0 = sum(HASHED.values()), sum(READ.values())
        start = time.perf_counter()
        with ForwardClock() as clock:
            results = analyse_study(study, options)
        rows.append(_row(f"study {i + 1}", time.perf_counter() - start, clock, results.provenance,
                         sum(HASHED.values()) - h0, sum(READ.values()) - r0))
    return rows


def summary(name: str, rows: list[dict]) -> None:
    rest = rows[1:]
    line = f"{name:28s} first {rows[0]['wall']:6.2f} s (loading {rows[0]['load']:.2f} s, {rows[0]['hashed']} hashes)"
    if rest:
        wall = statistics.mean(r["wall"] for r in rest)
        fwd = statistics.mean(r["forward"] for r in rest)
        line += (f"; later studies mean {wall:6.2f} s, forwards {fwd:.2f} s, loading "
                 f"{statistics.mean(r['load'] for r in rest):.2f} s, hashes {sum(r['hashed'] for r in rest)}, "
                 f"weights read {sum(r['read'] for r in rest)}; mean per study {statistics.mean(r['wall'] for r in rows):.2f} s")
    print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=10)
    parser.add_argument("--uncached", type=int, default=3, help="studies analysed without a cache, for comparison")
    parser.add_argument("--weights", default="demo")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--frames", type=int, default=25)
    args = parser.parse_args(argv)
    os.environ.setdefault("CINEMA_CACHE_DIR", tempfile.mkdtemp(prefix="cinema-bench-cache-"))
    _count_file_work()
    options = AnalysisOptions(weights=args.weights, device=args.device, fast=True)
    n = max(args.studies, args.uncached, 1)
    studies = [generate_phantom(200 + i, ("normal", "dcm", "hcm")[i % 3], n_frames=args.frames).study for i in range(n)]
    import torch

    print(f"weights {args.weights}, fast mode, {args.device}, {torch.get_num_threads()} threads, {args.frames} frames",
          flush=True)
    one = run_cohort(studies[:1], options, "cohort of 1 study")
    many = run_cohort(studies[:args.studies], options, f"cohort of {args.studies} studies (one HeadCache)")
    before = run_uncached(studies[:args.uncached], options) if args.uncached else []
    print(f"\nfiles: {len(HASHED)} checkpoint files (config + weights) used")
    summary("cohort of 1", one)
    summary(f"cohort of {args.studies}", many)
    if before:
        summary("no cache (before)", before)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
