"""GPU check on a CUDA machine: golden parity in fp32 and bf16, then a 50-frame all-frames all-heads analysis timed.

Run it through ``benchmarks/gpu_check.sh`` (one command, exits non-zero on any failure). Three parts:

1. **Parity.** Every golden fixture (tiny models made by the official code, ``--golden`` folder) is run on the GPU
   through the project's own ``infer.autocast_context``: in fp32 (TF32 off) against the stored CPU outputs with the
   CPU test's tolerance, and in bf16 autocast (what ``--device cuda`` uses) against a relative tolerance, since bf16
   keeps 8 bits of mantissa (relative step 2**-8 = 0.4 %) and errors add up over the layers.
2. **Ceiling.** A bf16 8192^3 matrix product timed in the same run: the card's achievable bf16 rate.
3. **Analysis.** Every released architecture of an all-frames, all-heads analysis with random weights (full size,
   from ``Resources/checkpoints.json``), run through ``CineMALib.infer.predict`` as the pipeline runs them:
   dense models over every frame (SAX and LAX 4C segmentation, 2C/4C landmark heatmaps, 2C/4C landmark
   coordinates), each ConvViT head once on its ED/ES pair. GPU time by CUDA events around the whole set after one
   warm-up pass; FLOPs counted on meta-device copies; achieved TFLOP/s and its ratio to the measured bf16 ceiling.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file
from torch.utils.flop_counter import FlopCounterMode

from CineMALib.checkpoints import build_model, get_checkpoint
from CineMALib.infer import autocast_context, predict
from CineMALib.models import CineMA, ConvUNetR, ConvViT

GOLDEN_CLASSES = {"convunetr": ConvUNetR, "convvit": ConvViT, "cinema": CineMA}
FP32_TOL = 1e-4  # the CPU golden test's atol = rtol
BF16_REL_TOL = 5e-2  # max |gpu - ref| / max |ref| per output tensor
TARGET_GPU_SECONDS = 0.5
DENSE = ("segmentation/mnms2_sax", "segmentation/mnms2_lax_4c", "landmark_heatmap/lax_2c", "landmark_heatmap/lax_4c",
         "landmark_coordinate/lax_2c", "landmark_coordinate/lax_4c")
HEADS = ("classification_cvd/acdc_sax", "classification_sex/mnms_sax", "classification_vendor/mnms2_sax",
         "regression_ef/acdc_sax", "regression_bmi/acdc_sax", "regression_age/mnms_sax",
         "classification_cvd/mnms2_lax_4c", "classification_vendor/mnms2_lax_4c", "regression_ef/mnms2_lax_4c")


def _golden_model(folder: Path, name: str) -> tuple[torch.nn.Module, dict[str, Any], dict[str, torch.Tensor]]:
    meta = json.loads((folder / f"{name}.json").read_text())
    model = GOLDEN_CLASSES[name.split("_")[0]](**meta["constructor_kwargs"]).eval()
    model.load_state_dict(load_file(folder / f"{name}.safetensors"), strict=True)
    return model, meta, load_file(folder / f"{name}.io.safetensors")


def _golden_outputs(model: torch.nn.Module, meta: dict[str, Any], io: dict[str, torch.Tensor],
                    dev: torch.device) -> dict[str, torch.Tensor]:
    """Default-forward outputs keyed as the fixture stores them (``output.<view>`` or ``output.reduce_all``)."""
    inputs = {k[len("input."):]: io[k].to(dev) for k in meta["io_tensors"] if k.startswith("input.")}
    if isinstance(model, CineMA):
        feats = model.feature_forward(inputs)
        return {f"output.feature_forward.{k}": v for k, v in feats.items()}
    out = model(inputs)
    if isinstance(out, dict):
        return {f"output.{k}": v for k, v in out.items()}
    return {"output.reduce_all": out}


def check_parity(folder: Path, dev: torch.device) -> tuple[list[str], bool]:
    lines, ok = [], True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    for path in sorted(folder.glob("*.io.safetensors")):
        name = path.name[: -len(".io.safetensors")]
        model, meta, io = _golden_model(folder, name)
        model.to(dev)
        for mode in ("fp32", "bf16"):
            context = autocast_context(dev) if mode == "bf16" else torch.autocast("cuda", enabled=False)
            with torch.inference_mode(), context:
                outs = _golden_outputs(model, meta, io, dev)
            for key, value in outs.items():
                ref = io[key].float()
                got = value.float().cpu()
                err = float((got - ref).abs().max())
                scale = float(ref.abs().max())
                if mode == "fp32":
                    passed = bool(torch.allclose(got, ref, atol=FP32_TOL, rtol=FP32_TOL))
                    tol = f"atol=rtol={FP32_TOL:g}"
                else:
                    passed = err / max(scale, 1e-12) <= BF16_REL_TOL
                    tol = f"rel<={BF16_REL_TOL:g}"
                ok &= passed
                lines.append(f"  {name:24s} {mode} {key:34s} max|err| {err:.2e} (rel {err / max(scale, 1e-12):.2e}) "
                             f"{tol} {'PASS' if passed else 'FAIL'}")
    return lines, ok


def bf16_matmul_tflops(dev: torch.device, n: int = 8192, repeats: int = 10) -> float:
    a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(repeats):
        a @ b
    end.record()
    torch.cuda.synchronize()
    return 2 * n**3 * repeats / (start.elapsed_time(end) / 1e3) / 1e12


@dataclass
class Job:
    """One registry model run on ``count`` inputs of shape ``shape`` (channels first, no batch)."""

    name: str
    view: str
    shape: tuple[int, ...]
    count: int


def _input_shape(name: str) -> tuple[str, tuple[int, ...]]:
    entry = get_checkpoint(name)
    view = entry.views[0]
    data = entry.config_copy()["data"]
    size = data["sax" if view == "sax" else "lax"]["patch_size"]
    return view, (entry.n_frames, *size)


def analysis_jobs(frames: int) -> list[Job]:
    jobs = []
    for name in DENSE + HEADS:
        view, shape = _input_shape(name)
        jobs.append(Job(name, view, shape, frames if name in DENSE else 1))
    return jobs


def count_flops(job: Job) -> int:
    with torch.device("meta"):
        model = build_model(job.name)
        x = torch.empty(1, *job.shape)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model({job.view: x})
    return counter.get_total_flops() * job.count


def run_analysis(models: dict[str, torch.nn.Module], jobs: list[Job], dev: torch.device, batch: int) -> None:
    for job in jobs:
        rng = np.random.default_rng(0)
        inputs = (rng.random(job.shape, dtype=np.float32) for _ in range(job.count))
        for _ in predict(models[job.name], job.view, inputs, total=job.count, batch_size=batch, device=dev):
            pass


def time_analysis(frames: int, batch: int, dev: torch.device, peak: float) -> tuple[list[str], float]:
    jobs = analysis_jobs(frames)
    torch.manual_seed(0)
    models = {job.name: build_model(job.name).to(dev) for job in jobs}
    run_analysis(models, jobs, dev, batch)  # warm-up: cuDNN algorithm choice, allocator
    lines = []
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for job in jobs:  # per model, for the table
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        run_analysis(models, [job], dev, batch)
        e.record()
        torch.cuda.synchronize()
        flops = count_flops(job)
        seconds = s.elapsed_time(e) / 1e3
        lines.append(f"  {job.name:36s} x{job.count:<3d} {seconds * 1e3:8.1f} ms {flops / 1e12:7.2f} TFLOP "
                     f"{flops / seconds / 1e12:7.1f} TFLOP/s")
    torch.cuda.synchronize()
    wall = time.perf_counter()
    start.record()
    run_analysis(models, jobs, dev, batch)
    end.record()
    torch.cuda.synchronize()
    wall = time.perf_counter() - wall
    gpu = start.elapsed_time(end) / 1e3
    total = sum(count_flops(job) for job in jobs)
    achieved = total / gpu / 1e12
    lines.append(f"whole analysis ({frames} frames, batch {batch}): GPU {gpu:.3f} s, wall {wall:.3f} s, "
                 f"{total / 1e12:.2f} TFLOP, {achieved:.1f} TFLOP/s = {achieved / peak:.1%} of measured bf16 peak "
                 f"{peak:.0f} TFLOP/s; peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    return lines, gpu


def dry_run(golden: Path, frames: int) -> int:
    """What the check would run, with its inputs checked: each fixture builds and loads strictly, each job counts."""
    names = sorted(p.name[: -len(".io.safetensors")] for p in golden.glob("*.io.safetensors"))
    if not names:
        print(f"gpu_check: no golden fixtures (*.io.safetensors) in {golden}", file=sys.stderr)
        return 2
    for name in names:
        _golden_model(golden, name)
        print(f"parity: {name} in fp32 (atol=rtol={FP32_TOL:g}) and bf16 autocast (rel<={BF16_REL_TOL:g})")
    total = 0
    for job in analysis_jobs(frames):
        flops = count_flops(job)
        total += flops
        print(f"analysis: {job.name:36s} x{job.count:<3d} input {job.shape} {flops / 1e12:7.2f} TFLOP")
    print(f"analysis total {total / 1e12:.2f} TFLOP; target GPU time <= {TARGET_GPU_SECONDS} s; dry run: nothing timed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--golden", type=Path, required=True, help="folder of the golden fixtures (cinema-golden)")
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--batch", type=int, default=25, help="frames per forward")
    parser.add_argument("--dry-run", action="store_true",
                        help="no GPU needed: check the fixtures load and list the analysis with its FLOPs, then stop")
    args = parser.parse_args(argv)
    if args.dry_run:
        return dry_run(args.golden, args.frames)
    if not torch.cuda.is_available():
        print("gpu_check: CUDA is not available here", file=sys.stderr)
        return 2
    dev = torch.device("cuda")
    print(f"{torch.cuda.get_device_name(dev)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    lines, parity_ok = check_parity(args.golden, dev)
    print(f"golden parity (fp32: TF32 off; bf16: autocast as --device cuda): {'PASS' if parity_ok else 'FAIL'}")
    print("\n".join(lines))
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    peak = bf16_matmul_tflops(dev)
    print(f"bf16 matmul 8192^3: {peak:.0f} TFLOP/s (this run)")
    lines, gpu = time_analysis(args.frames, args.batch, dev, peak)
    print("\n".join(lines))
    time_ok = gpu <= TARGET_GPU_SECONDS
    print(f"target GPU time <= {TARGET_GPU_SECONDS} s: {'PASS' if time_ok else 'FAIL'} ({gpu:.3f} s)")
    return 0 if parity_ok and time_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
