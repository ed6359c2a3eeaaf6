"""`cinema demo`: make a synthetic study, analyse it with the bundled demo models, compare with the known truth.

Nothing is downloaded: the phantom is generated here and the demo weights ship in ``Resources/demo`` (small models
trained on phantoms only; see its MODEL_CARD.md). The default seed is outside the demo models' training range.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from CineMALib.analysis.options import HEADS, AnalysisOptions
from CineMALib.cli.analyse import analyse_to_folder
from CineMALib.errors import CineMAWeightsError
from CineMALib.infer import DEVICE_CHOICES
from CineMALib.phantom import PATHOLOGIES, generate_phantom, write_phantom
from CineMALib.resources import resource_path

HELP = "analyse a synthetic phantom study with the bundled demo models and compare with its known truth"
DEMO_SEED = 7  # demo models were trained on seeds 1000-1047
TABLE_KEYS: tuple[str, ...] = ("LVEDV (mL)", "LVESV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)",
                               "RVEF (%)", "MAPSE (mm)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output folder (input/ holds the phantom)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="phantom seed (use one below 1000)")
    parser.add_argument("--pathology", choices=PATHOLOGIES, default="normal")
    parser.add_argument("--frames", type=int, default=25, help="cardiac phases of the phantom")
    parser.add_argument("--fast", action="store_true", help="segment ED and ES only")
    parser.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _truth_table(report_values: dict[str, float | None], truth: dict[str, float]) -> str:
    lines = [f"{'measure':14s} {'CineMA demo':>12s} {'phantom truth':>14s}"]
    for key in TABLE_KEYS:
        ours = report_values.get(key)
        true = truth.get(key)
        fmt = (lambda v: f"{v:.1f}" if v is not None else "n/a")
        lines.append(f"{key:14s} {fmt(ours):>12s} {fmt(true):>14s}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    weights = resource_path("demo")
    if not (weights / "finetuned").is_dir():
        raise CineMAWeightsError(f"demo weights are missing from {weights}; reinstall CineMALib or run "
                                 "scripts/train_demo_models.py")
    if args.seed >= 1000:
        print(f"note: seed {args.seed} is in the demo models' training range (1000-1047); results are optimistic")
    phantom = generate_phantom(args.seed, args.pathology, n_frames=args.frames)
    input_dir = args.out / "input"
    write_phantom(phantom, input_dir, "nifti")
    # the end-slice heuristics were tuned on phantoms for these models, so the demo runs them (off by default)
    options = AnalysisOptions(weights="demo", device=args.device, fast=args.fast, heads=HEADS, basal_check=True)
    print("end-slice checks: on for the demo (cinema analyse runs them only with --end-slice-checks; they were "
          "tuned on phantoms for the demo models)")
    reports, failures = analyse_to_folder([phantom.study], options, args.out, args)
    if failures or not reports:
        print(f"the demo analysis failed: {failures[0][1] if failures else 'no report'}")
        return 1
    report = reports[0]
    values = {key: report.value(key) for key in TABLE_KEYS}
    print(_truth_table(values, phantom.truth["discretised"]))
    probs = {row.name[2:-1]: row.value for row in report.rows if row.name.startswith("P(") and row.value is not None}
    if probs:
        best = max(probs, key=lambda k: probs[k])
        print(f"classifier: {best} (p = {probs[best]:.2f}); phantom pathology: {args.pathology}")
    for row in report.rows:
        if row.name.startswith("regression_ef") and row.value is not None:
            print(f"EF regression: {row.value:.1f} {row.unit}; phantom LVEF {phantom.truth['continuous']['LVEF (%)']:.1f} %")
    print("truth = the phantom's labels measured the same way (slice-discretised); demo models are for "
          "demonstration on synthetic data only")
    print(f"phantom input: {input_dir}")
    print(f"results: {args.out} (report.csv, measurements.csv, {report.study_id}/report.html, segmentations)")
    return 0
