"""``--ed-frame`` / ``--es-frame``: the user's ED/ES override, the same flags and help for ``cinema analyse`` and
``cinema measure`` (the decision itself is :func:`CineMALib.phases.decide_ed_es`)."""

from __future__ import annotations

import argparse


def add_phase_arguments(parser: argparse.ArgumentParser, note: str = "") -> None:
    """Add ``--ed-frame N`` and ``--es-frame M`` (0-based SAX frame indices; None = automatic)."""
    extra = f"; {note}" if note else ""
    parser.add_argument("--ed-frame", type=int, metavar="N",
                        help="end-diastole frame, 0-based (the first frame of the SAX cine is 0); default: automatic, "
                             f"the analysed frame of largest LV volume{extra}")
    parser.add_argument("--es-frame", type=int, metavar="M",
                        help="end-systole frame, 0-based (the first frame of the SAX cine is 0); default: automatic, "
                             f"the analysed frame of smallest LV volume{extra}")
