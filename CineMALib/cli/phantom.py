"""`cinema phantom`: write a synthetic cine CMR study with known truth (NIfTI or DICOM) and print its truth."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from CineMALib.errors import CineMAInputError

HELP = "write a synthetic cine CMR study with known truth (volumes, mass, EF, MAPSE/TAPSE, labels, landmarks)"
_SUMMARY_KEYS = ("LVEDV (mL)", "LVESV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)", "RVEF (%)",
                 "MAPSE (mm)", "TAPSE (mm)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from CineMALib.phantom.params import PATHOLOGIES

    parser.add_argument("--out", required=True, type=Path, help="output folder (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed, same study (default 0)")
    parser.add_argument("--pathology", choices=PATHOLOGIES, default="normal",
                        help="normal, dcm (dilated, EF ~25-35 %%) or hcm (thick wall, EF ~65-75 %%)")
    parser.add_argument("--format", dest="fmt", choices=("nifti", "dicom"), default="nifti",
                        help="image format (labels, landmarks and truth are always NIfTI/JSON)")
    parser.add_argument("--frames", type=int, default=25, help="cardiac phases per cycle (default 25)")


def summary_lines(phantom: object, out: Path, fmt: str, seconds: float) -> list[str]:
    """A short human-readable summary: views, then continuous and discretised truth side by side."""
    study, truth = phantom.study, phantom.truth  # type: ignore[attr-defined]
    lines = [f"synthetic phantom seed {truth['seed']} ({truth['pathology']}), {truth['n_frames']} frames, "
             f"{fmt} in {out} ({seconds:.1f} s)"]
    for name, view in study.views.items():
        sp = view.spacing
        lines.append(f"  {name:7s} {'x'.join(map(str, view.shape))} voxels, {sp[0]:.2f} x {sp[1]:.2f} x {sp[2]:.1f} mm")
    c, d = truth["continuous"], truth["discretised"]
    lines.append(f"  {'truth':12s} {'continuous':>11s} {'discretised':>12s}")
    for key in _SUMMARY_KEYS:
        lines.append(f"  {key:12s} {c[key]:11.1f} {d[key]:12.1f}")
    phases = f"{c['ED frame']:>5d}/{c['ES frame']:<5d} {d['ED frame']:>6d}/{d['ES frame']:<5d}"
    lines.append(f"  {'ED/ES frame':12s} {phases}")
    return lines


def run(args: argparse.Namespace) -> int:
    from CineMALib.phantom import generate_phantom, write_phantom

    if args.seed < 0:
        raise CineMAInputError(None, f"--seed must be >= 0, got {args.seed}")
    if not 4 <= args.frames <= 100:
        raise CineMAInputError(None, f"--frames must be between 4 and 100, got {args.frames}")
    if args.out.exists() and not args.out.is_dir():
        raise CineMAInputError(args.out, "exists and is not a folder")
    start = time.perf_counter()
    phantom = generate_phantom(args.seed, args.pathology, args.frames)
    try:
        write_phantom(phantom, args.out, args.fmt)
    except OSError as err:
        raise CineMAInputError(args.out, f"cannot write the phantom: {err.strerror or err}") from None
    print("\n".join(summary_lines(phantom, args.out, args.fmt, time.perf_counter() - start)))
    return 0
