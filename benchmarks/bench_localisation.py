"""LV localisation benchmark on every real labelled study in ../shared and off-centre variants built from them.

Per case: the in-plane distance (mm) between the located LV centre and the LV label centroid, which cue decided,
the confidence and the time. Summary per group: share within 10 mm, median, worst case, time per study. Verdict
(the issue 16 targets): every real case within 10 mm and >= 95 % of the generated off-centre cases within 10 mm.

    python benchmarks/bench_localisation.py [--shared ../shared] [--markdown] [--cues blob,harmonic] [--only acdc]

``--cues`` restricts the locator to the named cues (each cue measured alone); it needs a locator that takes
``cues=`` (today's CineMALib.localise). To measure an older locator, put its tree first on the path:
``PYTHONPATH=/tmp/old python benchmarks/bench_localisation.py`` (the cases are built by this tree's files).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from localisation_cases import Case, in_plane_distance_mm, real_cases  # noqa: E402
from localisation_offcentre import offcentre_cases  # noqa: E402

WITHIN_MM = 10.0
LAX_TARGET_GROUPS = frozenset({"examples-lax-with-sax", "examples-lax-alone", "ukbb-lax4c", "ukbb-lax2c"})
GENERATED_SHARE = 0.95


@dataclass
class Row:
    name: str
    group: str
    real: bool
    distance_mm: float
    cue: str
    confidence: float
    seconds: float
    warned: bool


def build_cases(shared: Path, generated: bool = True) -> list[Case]:
    """The real cases, then (optionally) their off-centre variants (donor bodies: the UK Biobank SAX stacks)."""
    cases = real_cases(shared)
    if generated:
        donors = [c for c in cases if c.group == "ukbb-sax-alone"]
        cases = cases + offcentre_cases(cases, donors)
    return cases


def run_case(case: Case, cues: tuple[str, ...] | None = None) -> Row:
    """Locate the case's view with the study around it (LAX views, when present, are part of the study)."""
    from CineMALib.locate import locate_lv_center

    view = case.study[case.view]
    kwargs = {"cues": cues} if cues else {}
    start = time.perf_counter()
    try:
        loc = locate_lv_center(view, case.study, **kwargs)
    except ValueError as error:  # the chosen cues do not apply to this case (e.g. harmonic on one frame)
        if not cues:
            raise
        return Row(case.name, case.group, case.real, float("inf"), f"n/a: {error}", 0.0,
                   time.perf_counter() - start, True)
    seconds = time.perf_counter() - start
    cue = getattr(loc, "cue", "") or loc.method
    return Row(case.name, case.group, case.real, in_plane_distance_mm(view, loc.center_world, case.truth_world),
               cue, float(loc.confidence), seconds, loc.warning is not None)


def run(cases: list[Case], cues: tuple[str, ...] | None = None, progress: bool = False) -> list[Row]:
    rows = []
    for case in cases:
        rows.append(run_case(case, cues))
        if progress:
            r = rows[-1]
            print(f"{r.name:45s} {r.distance_mm:7.1f} mm  {r.seconds:5.2f} s  {r.confidence:.2f}  {r.cue}",
                  file=sys.stderr, flush=True)
    return rows


def summary(rows: list[Row]) -> list[dict[str, object]]:
    """One line per group (real groups first), then all real and all generated cases."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    groups = dict(sorted(groups.items(), key=lambda kv: (not kv[1][0].real, kv[0])))
    groups["all real"] = [r for r in rows if r.real]
    groups["all generated"] = [r for r in rows if not r.real]
    out = []
    for name, members in groups.items():
        if not members:
            continue
        dist = np.array([r.distance_mm for r in members])
        worst = members[int(np.argmax(dist))]
        secs = np.array([r.seconds for r in members])
        out.append({"group": name, "n": len(members), "within": float(np.mean(dist <= WITHIN_MM)),
                    "median_mm": float(np.median(dist)), "worst_mm": float(dist.max()), "worst": worst.name,
                    "mean_s": float(secs.mean()), "max_s": float(secs.max()),
                    "warned": int(sum(r.warned for r in members))})
    return out


def verdict(rows: list[Row]) -> tuple[bool, list[str]]:
    """Pass when every real case is within 10 mm and >= 95 % of the generated ones are; the reasons otherwise."""
    reasons = [f"real case {r.name}: {r.distance_mm:.1f} mm" for r in rows if r.real and r.distance_mm > WITHIN_MM]
    generated = [r for r in rows if not r.real]
    if generated:
        share = float(np.mean([r.distance_mm <= WITHIN_MM for r in generated]))
        if share < GENERATED_SHARE:
            reasons.append(f"generated cases within {WITHIN_MM:.0f} mm: {100 * share:.1f} % < "
                           f"{100 * GENERATED_SHARE:.0f} %")
    return not reasons, reasons


def markdown(rows: list[Row]) -> str:
    lines = ["| group | n | within 10 mm | median mm | worst mm (case) | mean s | max s | warned |",
             "|---|---:|---:|---:|---|---:|---:|---:|"]
    for s in summary(rows):
        lines.append(f"| {s['group']} | {s['n']} | {100 * s['within']:.0f} % | {s['median_mm']:.1f} | "
                     f"{s['worst_mm']:.1f} ({s['worst']}) | {s['mean_s']:.2f} | {s['max_s']:.2f} | {s['warned']} |")
    return "\n".join(lines)


def cue_counts(rows: list[Row]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.cue] = counts.get(row.cue, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parents[1] / "shared")
    parser.add_argument("--markdown", action="store_true", help="print the summary as a Markdown table")
    parser.add_argument("--cues", help="comma-separated cues to use alone (e.g. blob,harmonic)")
    parser.add_argument("--only", help="only groups or case names containing this text")
    parser.add_argument("--real-only", action="store_true", help="skip the generated off-centre cases")
    parser.add_argument("--quiet", action="store_true", help="no per-case lines")
    args = parser.parse_args(argv)
    if not (args.shared / "data").is_dir():
        print(f"no team data at {args.shared / 'data'}: give --shared", file=sys.stderr)
        return 2
    cases = build_cases(args.shared, generated=not args.real_only)
    if args.only:
        cases = [c for c in cases if args.only in c.group or args.only in c.name]
    cues = tuple(args.cues.split(",")) if args.cues else None
    rows = run(cases, cues, progress=not args.quiet)
    if args.markdown:
        print(markdown(rows))
    else:
        for s in summary(rows):
            print(f"{s['group']:24s} n={s['n']:3d} within10={100 * s['within']:5.1f}% median={s['median_mm']:5.1f} "
                  f"worst={s['worst_mm']:6.1f} ({s['worst']}) mean={s['mean_s']:.2f}s max={s['max_s']:.2f}s "
                  f"warned={s['warned']}")
    print(f"\ncues that decided: {cue_counts(rows)}")
    ok, reasons = verdict(rows)
    print("PASS" if ok else "FAIL: " + "; ".join(reasons))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
