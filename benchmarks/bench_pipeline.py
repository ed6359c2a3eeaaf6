"""Speed and memory of the pipeline with FULL-SIZE released architectures (random weights) on a phantom study.

    python benchmarks/bench_pipeline.py [--frames 25] [--modes fast full] [--device cpu] [--batch-size 4]

The six released architectures the pipeline uses (SAX and LAX-4C segmentation, 2C/4C landmark heatmaps, CVD
classification, EF regression) are built with ``build_model`` (random weights, seeded) and saved in the hub layout,
so loading, hashing and inference are all real. Each mode runs in a fresh child process, which reports: wall time
per stage, weight-loading time, time inside model forwards, the rest ("non-model": resampling, post-processing),
peak RSS (VmHWM), FLOPs per forward (counted on the meta device) and the achieved GFLOP/s against a float32 matmul
timed in the same process. Targets: fast mode < 45 s, peak RSS < 6 GB, non-model time < 10 % of the total.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HEADS = {  # registry checkpoint -> (pipeline stage, view, input shape of one item)
    "segmentation/acdc_sax": ("segmentation_sax", "sax", (1, 192, 192, 16)),
    "segmentation/mnms2_lax_4c": ("segmentation_lax_4c", "lax_4c", (1, 256, 256)),
    "landmark_heatmap/lax_2c": ("landmarks_lax_2c", "lax_2c", (1, 256, 256)),
    "landmark_heatmap/lax_4c": ("landmarks_lax_4c", "lax_4c", (1, 256, 256)),
    "classification_cvd/acdc_sax": ("classification_cvd", "sax", (2, 192, 192, 16)),
    "regression_ef/acdc_sax": ("regression_ef", "sax", (2, 192, 192, 16)),
}
TARGETS = {"fast wall (s)": 45.0, "peak RSS (GB)": 6.0, "non-model share (%)": 10.0}


def write_weights(folder: Path) -> None:
    """Random full-size models in the hub layout, with the registry's default config.yaml."""
    from CineMALib.analysis.demo_models import save_checkpoint
    from CineMALib.checkpoints import build_model, get_checkpoint

    for i, name in enumerate(HEADS):
        torch.manual_seed(i)
        model = build_model(name)
        save_checkpoint(model, get_checkpoint(name).config_copy(), folder, name, seed=0)
        del model


def flops_per_item() -> dict[str, float]:
    """Forward FLOPs of one input item per stage, counted shape-only on the meta device."""
    from torch.utils.flop_counter import FlopCounterMode

    from CineMALib.checkpoints import build_model

    out: dict[str, float] = {}
    for name, (stage, view, shape) in HEADS.items():
        with torch.device("meta"):
            model = build_model(name)
            x = torch.empty(1, *shape)
        with FlopCounterMode(display=False) as counter:
            model({view: x})
        out[stage] = float(counter.get_total_flops())
    return out


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def peak_rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # macOS reports bytes, Linux KiB


def child(weights: str, mode: str, frames: int, device: str, batch: int) -> dict:
    """One pipeline run; returns its measurements (runs in a fresh process)."""
    import CineMALib.analysis.pipeline as pipeline
    import CineMALib.analysis.sax_stage as sax_stage
    from CineMALib.analysis.options import AnalysisOptions
    from CineMALib.phantom import generate_phantom
    from forward_clock import ForwardClock  # benchmarks/ (this script's folder)

    sax_stage.RECENTRE_MM = float("inf")  # random weights give random LV centroids; do not re-run frames for them
    study = generate_phantom(7, "normal", n_frames=frames).study
    gflops_ref = matmul_gflops()
    options = AnalysisOptions(weights=weights, fast=mode == "fast", device=device, batch_size=batch,
                              datasets={"segmentation_sax": "acdc", "segmentation_lax_4c": "mnms2",
                                        "classification_cvd": "acdc", "regression_ef": "acdc"})
    start = time.perf_counter()
    with ForwardClock() as clock:
        results = pipeline.analyse_study(study, options)
    wall = time.perf_counter() - start
    times = {k[5:-4]: float(v) for k, v in results.provenance.items() if k.startswith("time ")}
    load = sum(v for k, v in times.items() if k.startswith("load "))
    return {"mode": mode, "wall": wall, "forward": clock.seconds, "load": load, "stages": clock.stages,
            "stage_wall": times, "rss_gb": peak_rss_gb(), "matmul_gflops": gflops_ref,
            "threads": torch.get_num_threads(), "skipped": [k for k in results.provenance if k.startswith("skipped")]}


def report(run: dict, flops: dict[str, float]) -> None:
    total_flops = sum(items * flops.get(stage, 0.0) for stage, (_, items) in run["stages"].items())
    achieved = total_flops / run["forward"] / 1e9 if run["forward"] else 0.0
    non_model = run["wall"] - run["forward"] - run["load"]
    print(f"\n== {run['mode']} mode: {run['wall']:.1f} s wall, {run['threads']} threads, peak RSS {run['rss_gb']:.2f} GB")
    print(f"{'stage':22s} {'wall s':>8s} {'forward s':>10s} {'items':>6s} {'GFLOP/item':>11s} {'GFLOP/s':>8s}")
    for stage, (secs, items) in run["stages"].items():
        per = flops.get(stage, 0.0) / 1e9
        print(f"{stage:22s} {run['stage_wall'].get(stage, float('nan')):8.1f} {secs:10.1f} {int(items):6d} "
              f"{per:11.1f} {per * items / secs if secs else 0:8.1f}")
    print(f"weight loading (incl. sha256 checks) {run['load']:.1f} s; locate {run['stage_wall'].get('locate', 0):.1f} s")
    print(f"model forwards {run['forward']:.1f} s ({100 * run['forward'] / run['wall']:.0f} %); non-model "
          f"{non_model:.1f} s ({100 * non_model / run['wall']:.1f} % of the total; "
          f"{100 * (non_model + run['load']) / run['wall']:.1f} % with loading)")
    print(f"achieved {achieved:.1f} GFLOP/s in forwards vs float32 matmul {run['matmul_gflops']:.1f} GFLOP/s "
          f"({100 * achieved / run['matmul_gflops']:.0f} %)")
    checks = {"peak RSS (GB)": run["rss_gb"], "non-model share (%)": 100 * non_model / run["wall"]}
    if run["mode"] == "fast":
        checks["fast wall (s)"] = run["wall"]
    for key, value in checks.items():
        print(f"  {key:22s} {value:8.2f}  target < {TARGETS[key]:g}  {'PASS' if value < TARGETS[key] else 'FAIL'}")
    if run["skipped"]:
        print("  skipped heads:", ", ".join(run["skipped"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=25)
    parser.add_argument("--modes", nargs="+", default=["fast", "full"], choices=["fast", "full"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--weights-dir", type=Path, help="reuse a folder written by an earlier run")
    parser.add_argument("--child", nargs=2, metavar=("WEIGHTS", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.frames, args.device, args.batch_size)))
        return 0
    os.environ.setdefault("CINEMA_CACHE_DIR", tempfile.mkdtemp(prefix="cinema-bench-cache-"))
    folder = args.weights_dir or Path(tempfile.mkdtemp(prefix="cinema-bench-weights-"))
    if not (folder / "finetuned").is_dir():
        print(f"writing full-size random weights to {folder} ...", flush=True)
        write_weights(folder)
    flops = flops_per_item()
    for mode in args.modes:
        cmd = [sys.executable, __file__, "--child", str(folder), mode, "--frames", str(args.frames),
               "--device", args.device, "--batch-size", str(args.batch_size)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        report(json.loads(done.stdout.strip().splitlines()[-1]), flops)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
