"""Which cine view does a text (DICOM SeriesDescription, file name) name? sax, lax_2c, lax_3c or lax_4c.

Why: scanners and sites spell views many ways ("cine_SA_8mm", "2CH", "VLA", "LVOT", "lax_4c", "HLA"); one
tolerant matcher is shared by the DICOM and the NIfTI/NRRD readers so they agree.
"""

from __future__ import annotations

import re

_L = r"(?<![a-z])"  # no letter before
_R = r"(?![a-z])"  # no letter after
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lax_2c", re.compile(rf"(?<!\d)2[\s_-]?(?:ch|c|cv|chamber){_R}|{_L}vla{_R}|two[\s_-]?ch|{_L}lax[\s_-]?2")),
    ("lax_3c", re.compile(rf"(?<!\d)3[\s_-]?(?:ch|c|cv|chamber){_R}|{_L}lvot{_R}|three[\s_-]?ch|{_L}lax[\s_-]?3")),
    ("lax_4c", re.compile(rf"(?<!\d)4[\s_-]?(?:ch|c|cv|chamber){_R}|{_L}hla{_R}|four[\s_-]?ch|{_L}lax[\s_-]?4")),
    ("sax", re.compile(rf"{_L}sax?{_R}|short[\s_-]?ax|{_L}sa(?=\d)|{_L}sa_")),
)
_LONG_AXIS = re.compile(rf"{_L}(?:lax|long[\s_-]?ax|la){_R}")
_LOCALISER = re.compile(r"locali[sz]er|scout|survey|\bloc\b|tri[\s_-]?pilot|3[\s_-]?plane|\bpilot\b")


def view_from_text(text: str | None) -> str | None:
    """The view a description or file name names, or None when it names none (or several)."""
    if not text:
        return None
    low = str(text).lower()
    found = {view for view, pattern in _PATTERNS if pattern.search(low)}
    return found.pop() if len(found) == 1 else None


def says_long_axis(text: str | None) -> bool:
    """True when the text says 'long axis' without saying which one."""
    return bool(text) and bool(_LONG_AXIS.search(str(text).lower()))


def says_localiser(text: str | None) -> bool:
    """True for localiser / scout / survey series, which are never cines."""
    return bool(text) and bool(_LOCALISER.search(str(text).lower()))
