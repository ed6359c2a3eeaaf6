"""`cinema send RESULT_DIR --to AET@HOST:PORT`: C-STORE the DICOM SEG and SR objects of a result folder to a PACS.

Sends every ``seg_*.dcm`` and ``sr.dcm`` under RESULT_DIR (one study's folder or a cohort's), in one association.
A refused association, an unreachable host or a failed store is one line, and the exit code is not 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from CineMALib.errors import CineMAInputError

HELP = "send the DICOM SEG/SR of cinema results to a PACS (C-STORE)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("result_dir", type=Path, metavar="RESULT_DIR", help="results folder (or a .dcm file)")
    parser.add_argument("--to", required=True, metavar="AET@HOST:PORT", help="the PACS: called AE title, host, port")
    parser.add_argument("--calling-aet", default="CINEMA", help="our AE title (default CINEMA)")
    parser.add_argument("--timeout", type=float, default=30.0, help="network timeout in seconds")


def run(args: argparse.Namespace) -> int:
    from CineMALib.exchange.send import find_objects, parse_destination, send_files

    destination = parse_destination(args.to)
    files = find_objects(args.result_dir)
    if not files:
        raise CineMAInputError(args.result_dir, "no seg_*.dcm or sr.dcm to send; run cinema analyse --dicom or "
                                                "cinema export-dicom first")
    sent = send_files(files, destination, calling_aet=args.calling_aet, timeout=args.timeout)
    print(f"sent {len(sent)} object(s) to {destination}")
    return 0
