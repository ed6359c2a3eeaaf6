"""Measure the 21 ACDC subset cases from their expert ED/ES labels and print one table (for closing notes).

Usage: python benchmarks/acdc_measure_table.py [ACDC_SUBSET_DIR] [--csv OUT.csv]
ED/ES are the Info.cfg frames (1-based there, 0-based here); height/weight from Info.cfg give BSA (Mosteller).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from CineMALib.measure import Report, measure_labels
from CineMALib.io.labels import read_label_file
from CineMALib.study import StudyMetadata

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "acdc-subset"
COLUMNS = ("LVEDV (mL)", "LVESV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)", "RVEF (%)",
           "LVEDVi (mL/m2)", "LVMi (g/m2)")


def read_info(case: Path) -> dict[str, str]:
    """Info.cfg as a dict ('ED', 'ES', 'Group', 'Height', 'Weight', 'NbFrame')."""
    pairs = (line.split(":", 1) for line in case.joinpath("Info.cfg").read_text().splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def measure_case(case: Path) -> tuple[Report, dict[str, str]]:
    """The report of one case from its expert labels (ACDC label map, Info.cfg ED/ES, height and weight)."""
    info = read_info(case)
    ed, es = int(info["ED"]), int(info["ES"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the known ACDC sform trap; the reader handles it
        ed_lab, affine = read_label_file(case / f"{case.name}_frame{ed:02d}_gt.nii.gz")
        es_lab, _ = read_label_file(case / f"{case.name}_frame{es:02d}_gt.nii.gz")
    meta = StudyMetadata(patient_id=case.name, height_cm=float(info["Height"]), weight_kg=float(info["Weight"]))
    report = measure_labels((ed_lab, es_lab), affine, label_map="acdc", ed=ed - 1, es=es - 1, metadata=meta,
                            study_id=case.name)
    return report, info


def cases(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "Info.cfg").is_file())


def table(rows: list[tuple[Report, dict[str, str]]]) -> str:
    """A fixed-width text table: case, group, ED/ES frames (0-based), the COLUMNS."""
    head = f"{'case':11s} {'group':5s} {'ED':>3s} {'ES':>3s} " + " ".join(f"{c.split(' ')[0]:>7s}" for c in COLUMNS)
    lines = [head, f"{'':26s}" + " ".join(f"{c.split(' ')[1].strip('()'):>7s}" for c in COLUMNS)]
    for report, info in rows:
        values = " ".join(f"{v:7.1f}" if (v := report.value(c)) is not None else f"{'n/a':>7s}" for c in COLUMNS)
        lines.append(f"{report.study_id:11s} {info['Group']:5s} {report.ed_frame:3d} {report.es_frame:3d} {values}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--csv", type=Path, help="also write report.csv-style output here")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = [measure_case(c) for c in cases(args.root)]
    print(table(rows))
    print(f"{len(rows)} cases in {time.perf_counter() - start:.1f} s")
    if args.csv:
        from CineMALib.report import write_report_csv
        write_report_csv([r for r, _ in rows], args.csv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
