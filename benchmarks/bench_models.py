"""Speed of the full-size CineMA models on CPU (float32, random weights), relative to this machine's matmul speed.

For each model type: time per forward (warm-up, then the median of ``--repeats``), FLOPs counted with
``torch.utils.flop_counter.FlopCounterMode``, achieved GFLOP/s, and that divided by the GFLOP/s of a 4096x4096 fp32
matmul timed in the same run (so results from busy or different machines stay comparable). Segmentation rows also
print the time relative to the official implementation's reference times on the project's 2-core machine.

FLOPs are counted on a ``meta``-device copy of the model: on CPU the fused flash-attention kernel is not counted by
FlopCounterMode, while on ``meta`` SDPA decomposes into counted matmuls. No memory is used for that copy.

    python benchmarks/bench_models.py --repeats 3 --out bench.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from CineMALib.models import CineMA, ConvUNetR, ConvViT

SAX, LAX = [192, 192, 16], [256, 256]
ENC = {"enc_conv_chans": [64, 128], "enc_conv_n_blocks": 2, "enc_embed_dim": 768, "enc_depth": 12, "enc_n_heads": 12}
# Official implementation, seconds per frame on the 2-core project machine (task brief).
OFFICIAL_SECONDS = {"convunetr_sax_seg": 11.5, "convunetr_lax_4c_seg": 0.67}


def _views(views: dict[str, list[int]]) -> dict[str, Any]:
    return {
        "image_size_dict": views,
        "in_chans_dict": {v: 1 for v in views},
        "enc_patch_size_dict": {v: [4, 4, 1][: len(s)] for v, s in views.items()},
        "enc_scale_factor_dict": {v: [2, 2, 1][: len(s)] for v, s in views.items()},
    }


def _unetr(view: str, size: list[int]) -> nn.Module:
    nd = len(size)
    return ConvUNetR(
        **_views({view: size}), **ENC, out_chans=4, dec_chans=[32, 64, 128, 256, 512],
        dec_patch_size_dict={view: [2, 2, 1][:nd]}, dec_scale_factor_dict={view: [2, 2, 1][:nd]},
    )


def _mae() -> nn.Module:
    views = {"sax": SAX, "lax_2c": LAX, "lax_3c": LAX, "lax_4c": LAX}
    return CineMA(**_views(views), **ENC, dec_embed_dim=512, dec_depth=8, dec_n_heads=16)


@dataclass
class Case:
    """One benchmarked model: how to build it, its input shapes and which method runs."""

    name: str
    build: Callable[[], nn.Module]
    inputs: dict[str, list[int]]  # view -> (B, C, *spatial)
    method: str = "forward"


CASES = [
    Case("convunetr_sax_seg", lambda: _unetr("sax", SAX), {"sax": [1, 1, *SAX]}),
    Case("convunetr_lax_4c_seg", lambda: _unetr("lax_4c", LAX), {"lax_4c": [1, 1, *LAX]}),
    Case("convvit_sax_2frame", lambda: ConvViT(**_views({"sax": SAX}), **ENC, n_frames=2, out_chans=5),
         {"sax": [1, 2, *SAX]}),
    Case("convvit_lax_4c", lambda: ConvViT(**_views({"lax_4c": LAX}), **ENC, n_frames=1, out_chans=6),
         {"lax_4c": [1, 1, *LAX]}),
    Case("cinema_mae_feature_forward_4views", _mae,
         {"sax": [1, 1, *SAX], "lax_2c": [1, 1, *LAX], "lax_3c": [1, 1, *LAX], "lax_4c": [1, 1, *LAX]},
         "feature_forward"),
]


def count_flops(case: Case) -> int:
    """FLOPs of one call, counted on the meta device (see module docstring)."""
    with torch.device("meta"):
        model = case.build().eval()
        images = {v: torch.empty(s) for v, s in case.inputs.items()}
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        getattr(model, case.method)(images)
    return counter.get_total_flops()


def time_call(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[float, float]:
    """Median (wall-clock, process CPU) seconds of ``fn`` after ``warmup`` calls.

    CPU seconds divided by the thread count approximate the wall time on an idle machine when others share it.
    """
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def matmul_gflops(repeats: int, n: int = 4096) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / time_call(lambda: a @ b, repeats)[0] / 1e9


def bench_case(case: Case, repeats: int, matmul: float) -> dict[str, Any]:
    flops = count_flops(case)
    torch.manual_seed(0)
    model = case.build().eval()
    images = {v: torch.rand(s) for v, s in case.inputs.items()}
    fn = getattr(model, case.method)
    with torch.inference_mode():
        seconds, cpu_seconds = time_call(lambda: fn(images), repeats)
    gflops_s = flops / seconds / 1e9
    row = {
        "model": case.name,
        "method": case.method,
        "inputs": case.inputs,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "gflop": flops / 1e9,
        "gflop_per_s": gflops_s,
        "ratio_to_matmul": gflops_s / matmul,
    }
    if case.name in OFFICIAL_SECONDS:
        row["official_seconds"] = OFFICIAL_SECONDS[case.name]
        row["time_vs_official"] = seconds / OFFICIAL_SECONDS[case.name]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per model (median reported)")
    parser.add_argument("--out", default="-", help="JSON output path ('-' = stdout)")
    parser.add_argument("--only", nargs="*", default=None, help="subset of model names")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    matmul = matmul_gflops(args.repeats)
    rows = [bench_case(c, args.repeats, matmul) for c in CASES if args.only is None or c.name in args.only]
    header = f"{'model':36s} {'s/frame':>8s} {'cpu s':>8s} {'GFLOP':>8s} {'GFLOP/s':>8s} {'/matmul':>8s} {'/official':>9s}"
    lines = [f"fp32 matmul 4096^2: {matmul:.1f} GFLOP/s, threads {torch.get_num_threads()}", header]
    for r in rows:
        official = f"{r['time_vs_official']:9.2f}" if "time_vs_official" in r else f"{'-':>9s}"
        lines.append(
            f"{r['model']:36s} {r['seconds']:8.3f} {r['cpu_seconds']:8.2f} {r['gflop']:8.1f} {r['gflop_per_s']:8.1f} "
            f"{r['ratio_to_matmul']:8.2f} {official}"
        )
    print("\n".join(lines), file=sys.stderr if args.out == "-" else sys.stdout)
    result = {
        "matmul_gflop_per_s": matmul, "threads": torch.get_num_threads(), "torch": torch.__version__, "rows": rows,
        "note": "wall-clock on a shared machine: other processes may slow any row; compare ratio_to_matmul",
    }
    text = json.dumps(result, indent=1)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
