"""`cinema export-dicom RESULT_DIR`: DICOM SEG + TID 1500 SR from saved results (hand-edited labels included).

RESULT_DIR is a ``cinema analyse`` output folder (every study in it) or one study's folder. Each study needs the
``dicom_source.json`` the analysis wrote for DICOM input, and its source images (``--source DIR`` when they moved).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from CineMALib.errors import CineMAError
from CineMALib.exchange.seg import ALGORITHM_TYPES

HELP = "write DICOM SEG (seg_<view>.dcm) and SR TID 1500 (sr.dcm) from saved cinema analyse results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("result_dir", type=Path, metavar="RESULT_DIR", help="cinema analyse output (or one study's) folder")
    parser.add_argument("--source", type=Path, metavar="DIR",
                        help="folder holding the source DICOM study when it moved since the analysis")
    parser.add_argument("--algorithm-type", choices=ALGORITHM_TYPES,
                        help="segment algorithm type (default: AUTOMATIC, or SEMIAUTOMATIC when the labels were "
                             "edited after the analysis; MANUAL for labels drawn by hand)")


def run(args: argparse.Namespace) -> int:
    from CineMALib.exchange.from_folder import export_folder, index_sources, study_folders

    folders = study_folders(args.result_dir)
    moved = index_sources(args.source) if args.source is not None else None
    failed = 0
    for folder in folders:
        try:
            written = export_folder(folder, moved, args.algorithm_type)
        except CineMAError as err:
            failed += 1
            print(f"cinema export-dicom: FAILED: {err}", file=sys.stderr)
            continue
        print(f"{folder}: wrote {', '.join(sorted(written))}")
    if failed and len(folders) == 1:
        return 2
    return 1 if failed else 0
