"""`cinema analyse`: segment, track landmarks, score and measure one or many cine studies; write a report folder.

Each INPUT is one study (a file or folder that ``cinema info`` understands). A study that fails is reported on
stderr and in ``failures.txt`` and skipped; the others are written, and the exit code is 1. ``--lv-center R,A,S``
(one study) or ``--manifest FILE`` (a cohort: CSV ``study,R,A,S``, see :mod:`CineMALib.analysis.manifest`) place
the model window at a user-given LV centre instead of searching for it.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from CineMALib.analysis.cohort import CentreFor, CohortProgress, StudyOutcome, iter_cohort
from CineMALib.analysis.manifest import Manifest, read_manifest
from CineMALib.analysis.options import HEADS, AnalysisOptions, OptionsError
from CineMALib.analysis.pipeline import REVIEW
from CineMALib.cli.phases import add_phase_arguments
from CineMALib.errors import CineMAError, CineMAInputError
from CineMALib.exchange.from_analysis import record_and_export
from CineMALib.infer import DEVICE_CHOICES
from CineMALib.measure import measure_study
from CineMALib.measure.report import Report
from CineMALib.report.outputs import study_folder_name, write_cohort_tables, write_study_outputs
from CineMALib.user_centre import parse_centre

HELP = "analyse cine studies with the CineMA models: segmentation, landmarks, scores, measurements, reports"
SUMMARY_KEYS: tuple[str, ...] = ("LVEDV (mL)", "LVESV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)",
                                 "RVEF (%)", "MAPSE (mm)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="study file or folder (one per study)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--weights", default="official",
                        help="'official' (Hugging Face hub / cache), 'demo' (bundled phantom-trained demo models) "
                             "or a folder in the hub layout (finetuned/<task>/...)")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=0, help="checkpoint training seed (0, 1 or 2)")
    seeds.add_argument("--ensemble", action="store_true", help="average seeds 0-2 (3x slower; spread reported)")
    parser.add_argument("--dataset", action="append", default=[], metavar="HEAD=DATA",
                        help="training data set of a head, e.g. segmentation_sax=mnms (repeatable)")
    parser.add_argument("--heads", nargs="+", choices=HEADS, default=list(HEADS), help="heads to run")
    parser.add_argument("--fast", action="store_true", help="segment only ED and ES (found from image intensity)")
    checks = parser.add_mutually_exclusive_group()
    checks.add_argument("--end-slice-checks", action="store_true",
                        help="turn on the end-slice heuristics (off by default): remove small label islands, check "
                             "the SAX end slices against the LAX-4C segmentation and the mitral landmarks, fill and "
                             "cut the LV at the mitral annulus; tuned on phantoms for the demo models, not measured on "
                             "real labelled studies; every change is listed in the report's provenance")
    checks.add_argument("--no-basal-check", action="store_true",
                        help="deprecated, no effect: the end-slice checks are off unless --end-slice-checks is given")
    parser.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where the models run")
    parser.add_argument("--batch-size", type=int, default=4, help="frames per model call")
    parser.add_argument("--height", type=float, metavar="CM", help="height in cm (overrides the file's)")
    parser.add_argument("--weight", type=float, metavar="KG", help="weight in kg (overrides the file's)")
    parser.add_argument("--sex", choices=["M", "F"], help="sex (overrides the file's)")
    centre = parser.add_mutually_exclusive_group()
    centre.add_argument("--lv-center", metavar="R,A,S",
                        help="LV centre in world mm, RAS (as Slicer shows it), e.g. 12.5,-40,33: the model window is "
                             "centred there instead of searched for (one INPUT only)")
    centre.add_argument("--manifest", type=Path, metavar="CSV",
                        help="per-study LV centres for a cohort: a CSV with columns study,R,A,S (study = the INPUT as "
                             "given, its file/folder name, or the study id); studies not listed are located "
                             "automatically")
    add_phase_arguments(parser, "the frames analysed in --fast mode; the same index for every INPUT of a cohort")
    parser.add_argument("--dicom", action="store_true",
                        help="also write seg_<view>.dcm (DICOM SEG) and sr.dcm (TID 1500 report) into each study's "
                             "folder; needs DICOM input")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _datasets(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        head, sep, data = pair.partition("=")
        if not sep or not head or not data:
            raise OptionsError(f"--dataset {pair!r}: expected HEAD=DATA, e.g. segmentation_sax=acdc")
        out[head] = data
    return out


def _end_slice_checks(args: argparse.Namespace) -> bool:
    """``--end-slice-checks``; the old ``--no-basal-check`` still parses (it asked for today's default) with a note."""
    if getattr(args, "no_basal_check", False):
        print("note: --no-basal-check is deprecated and has no effect: the end-slice checks are off by default "
              "(--end-slice-checks turns them on)", file=sys.stderr)
    return bool(getattr(args, "end_slice_checks", False))


def options_from_args(args: argparse.Namespace) -> AnalysisOptions:
    """Validated analysis options (a bad choice fails here, before any model runs)."""
    return AnalysisOptions(weights=args.weights, datasets=_datasets(args.dataset), seed=args.seed,
                           ensemble=args.ensemble, device=args.device, fast=args.fast, batch_size=args.batch_size,
                           heads=tuple(args.heads), basal_check=_end_slice_checks(args),
                           ed_frame=args.ed_frame, es_frame=args.es_frame)


def centre_source(args: argparse.Namespace, n_inputs: int) -> tuple[CentreFor | None, Manifest | None]:
    """The per-study LV centre from ``--lv-center`` or ``--manifest`` (checked before any study is read)."""
    text, manifest_path = getattr(args, "lv_center", None), getattr(args, "manifest", None)
    if text is not None:
        if n_inputs != 1:
            raise CineMAInputError(None, f"--lv-center gives one study's centre but {n_inputs} inputs were given; "
                                         "use --manifest with a study,R,A,S row per study")
        try:
            centre = parse_centre(text)
        except ValueError as err:
            raise CineMAInputError(None, str(err)) from None
        return (lambda _item, _study: centre), None
    if manifest_path is not None:
        manifest = read_manifest(manifest_path)
        return (lambda item, study: manifest.centre_for(item, study.study_id)), manifest
    return None, None


def _progress_bar(quiet: bool) -> tuple[CohortProgress | None, Callable[[], None]]:
    """A tqdm bar on stderr that restarts for each stage of each study."""
    if quiet:
        return None, lambda: None
    bar = tqdm(total=1, file=sys.stderr, leave=False, dynamic_ncols=True, disable=None)  # off when not a terminal
    state = {"key": None}

    def update(index: int, n: int, stage: str, done: int, total: int) -> None:
        key = (index, stage)
        if state["key"] != key:
            state["key"] = key
            bar.reset(total=max(total, 1))
            bar.set_description(f"study {index + 1}/{n} {stage}")
        bar.n = done
        bar.refresh()

    return update, bar.close


def _apply_overrides(outcome: StudyOutcome, args: argparse.Namespace) -> None:
    meta = outcome.study.metadata  # type: ignore[union-attr]
    for field, flag in (("height_cm", "height"), ("weight_kg", "weight"), ("sex", "sex")):
        value = getattr(args, flag, None)
        if value is not None:
            setattr(meta, field, value)


def _summary(report: Report) -> str:
    parts = [] if report.phases is None else [f"ED {report.ed_frame}, ES {report.es_frame} ({report.phases.choice})"]
    for key in SUMMARY_KEYS:
        row = report.get(key)
        if row is not None and row.available:
            parts.append(f"{key} {row.formatted()}")
    return "; ".join(parts) or "no measurements"


def _dicom(outcome: StudyOutcome, report: Report, folder: Path, options: AnalysisOptions, args: argparse.Namespace,
           failures: list[tuple[str, str]]) -> None:
    """dicom_source.json for a DICOM study; with --dicom also SEG + SR. A study that cannot be exported (NIfTI
    input) keeps everything else it wrote and is listed as a failure with one line."""
    try:
        record_and_export(outcome.study, outcome.results, report, folder, options,  # type: ignore[arg-type]
                          getattr(args, "dicom", False))
    except CineMAError as err:
        failures.append((outcome.label, f"--dicom: {err}"))
        tqdm.write(f"cinema analyse: {outcome.label}: no DICOM export: {err}", file=sys.stderr)


def analyse_to_folder(inputs: list, options: AnalysisOptions, out: Path, args: argparse.Namespace,
                      cancel: threading.Event | None = None) -> tuple[list[Report], list[tuple[str, str]]]:
    """Analyse, measure and write every study; returns the reports and the (label, error) failures."""
    centre_for, manifest = centre_source(args, len(inputs))
    progress, close = _progress_bar(getattr(args, "quiet", False))
    reports: list[Report] = []
    failures: list[tuple[str, str]] = []
    taken: set[str] = set()
    try:
        for outcome in iter_cohort(inputs, options, progress=progress, cancel=cancel, centre_for=centre_for):
            if outcome.ok:
                try:
                    _apply_overrides(outcome, args)
                    report = measure_study(outcome.results, outcome.study)  # type: ignore[arg-type]
                    folder = out / study_folder_name(report.study_id, taken)
                    write_study_outputs(outcome.results, report, outcome.study, folder)  # type: ignore[arg-type]
                except Exception as err:  # noqa: BLE001 - measuring/writing one study must not stop the cohort
                    outcome.error = f"{type(err).__name__}: {err}"
                else:
                    reports.append(report)
                    _dicom(outcome, report, folder, options, args, failures)
                    tqdm.write(f"{report.study_id}: {_summary(report)} -> {folder}", file=sys.stderr)
                    for key, text in outcome.results.provenance.items():  # type: ignore[union-attr]
                        if key.startswith(REVIEW):
                            tqdm.write(f"{report.study_id}: {REVIEW}{text}", file=sys.stderr)
            if outcome.error is not None:
                failures.append((outcome.label, outcome.error))
                where = "" if outcome.error.startswith(outcome.label) else f"{outcome.label}: "
                tqdm.write(f"cinema analyse: FAILED: {where}{outcome.error}", file=sys.stderr)
            outcome.results = outcome.study = None  # free the label maps before the next study
            write_cohort_tables(reports, failures, out)
    finally:
        close()
    if manifest is not None and manifest.unused():
        print(f"cinema analyse: warning: {manifest.path}: row(s) matching no analysed study: "
              f"{', '.join(manifest.unused())}", file=sys.stderr)
    return reports, failures


def run(args: argparse.Namespace) -> int:
    if (args.height is None) != (args.weight is None):
        raise CineMAInputError(None, "give both --height and --weight (or neither)")
    options = options_from_args(args)
    reports, failures = analyse_to_folder(list(args.inputs), options, args.out, args)
    n = len(args.inputs)
    print(f"analysed {len(reports)}/{n} studies; wrote {args.out / 'report.csv'}" if reports
          else f"no study could be analysed ({n} failed); see {args.out / 'failures.txt'}")
    return 1 if failures else 0

