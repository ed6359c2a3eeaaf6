"""Codes for DICOM SEG segments and TID 1500 measurements, each with where it comes from.

Standard codes are used only where their source was checked: every one below is in pydicom 3.0's concept
dictionary (``pydicom.sr._concepts_dict``, generated from DICOM PS3.16), and the CIDs that list it are given.
Numbers with no standard code get a code in CineMA's **private coding scheme** ``99CINEMA``: DICOM PS3.3 section 8.2
reserves designators beginning with "99" for private schemes; the SR declares it in its Coding Scheme
Identification Sequence. Units are UCUM (PS3.16 CID 7181/82 use UCUM; ``/min`` for beats per minute, ``{frame}``
and ``1`` are UCUM annotations/unity for indices and probabilities).

A report row whose name is in neither table (a new measure) gets ``X`` + 8 hex digits of the SHA-1 of its name in
the private scheme, with the name as its meaning: stable, documented, never a standard code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PRIVATE_SCHEME = "99CINEMA"
PRIVATE_SCHEME_NAME = "CineMA private codes"
PRIVATE_SCHEME_ORG = "CineMA for 3D Slicer project"


@dataclass(frozen=True)
class Code:
    """(value, scheme, meaning) plus the source of the code, for the documentation and the tests."""

    value: str
    scheme: str
    meaning: str
    source: str = ""

    @property
    def is_private(self) -> bool:
        return self.scheme == PRIVATE_SCHEME


def _p(value: str, meaning: str) -> Code:
    return Code(value, PRIVATE_SCHEME, meaning, "CineMA private scheme 99CINEMA (README: DICOM export)")


# --- segments (SEG) and findings (SR): SNOMED CT as PS3.16 lists them; the same codes Slicer's terminology uses
ANATOMICAL_STRUCTURE = Code("91723000", "SCT", "Anatomical Structure", "PS3.16 CID 7150 (segmentation category)")
SEGMENT_CODES: dict[int, Code] = {  # CineMA label -> segmented property type
    1: Code("53085002", "SCT", "Right ventricle", "PS3.16 CID 4, 7151, 12305"),
    2: Code("49848007", "SCT", "Left Ventricle Myocardium", "PS3.16 CID 12305"),
    3: Code("87878005", "SCT", "Left ventricle", "PS3.16 CID 4, 7151, 12305"),
}
SEGMENT_LABELS: dict[int, str] = {1: "RV blood pool", 2: "LV myocardium", 3: "LV blood pool"}
CARDIAC_MRI = Code("241620005", "SCT", "Cardiac MRI", "PS3.16 CID 3206, 3757, 3820 (procedure reported)")

# --- measurements: report name -> standard code
STANDARD: dict[str, Code] = {
    "LVEDV": Code("8821-1", "LN", "Left Ventricular ED Volume", "PS3.16 CID 3468, 3835"),
    "LVESV": Code("8823-7", "LN", "Left Ventricular ES Volume", "PS3.16 CID 3469, 3835"),
    "RVEDV": Code("8822-9", "LN", "Right Ventricular ED Volume", "PS3.16 CID 3468, 3835"),
    "RVESV": Code("8824-5", "LN", "Right Ventricular ES Volume", "PS3.16 CID 3469, 3835"),
    "LVEF": Code("8811-2", "LN", "Left ventricular ejection fraction by MR", "PS3.16 CID 3833"),
    "RVEF": Code("8818-7", "LN", "Right ventricular ejection fraction by MR", "PS3.16 CID 3833"),
    "LVM": Code("18087-7", "LN", "Left Ventricle Mass", "PS3.16 CID 12200, 12203"),
    "LVSV": Code("90096001", "SCT", "Stroke Volume", "PS3.16 CID 3835 (finding type: left ventricle)"),
    "RVSV": Code("429483009", "SCT", "RV Stroke Volume", "PS3.16 CID 12204"),
    "LVCO": Code("82799009", "SCT", "Cardiac Output", "PS3.16 CID 12200 (finding type: left ventricle)"),
    "HR": Code("8867-4", "LN", "Heart rate", "PS3.16 CID 12200"),
    "BSA": Code("8277-6", "LN", "BSA", "PS3.16 CID 3455"),
    "TAPSE": Code("77903-3", "LN", "Tricuspid Annular Plane Systolic Excursion (TAPSE)", "PS3.16 CID 12300"),
}
PRIVATE: dict[str, Code] = {
    "ED frame": _p("EDFRAME", "End-diastolic frame index (0-based)"),
    "ES frame": _p("ESFRAME", "End-systolic frame index (0-based)"),
    "LVEDVi": _p("LVEDVI", "LV end-diastolic volume indexed to BSA"),
    "LVESVi": _p("LVESVI", "LV end-systolic volume indexed to BSA"),
    "LVSVi": _p("LVSVI", "LV stroke volume indexed to BSA"),
    "LVMi": _p("LVMI", "LV mass indexed to BSA"),
    "RVEDVi": _p("RVEDVI", "RV end-diastolic volume indexed to BSA"),
    "RVESVi": _p("RVESVI", "RV end-systolic volume indexed to BSA"),
    "RVSVi": _p("RVSVI", "RV stroke volume indexed to BSA"),
    "LVCI": _p("LVCI", "LV cardiac index (cardiac output / BSA)"),
    "LV length ED": _p("LVLENED", "LV length apex to mitral annulus at ED"),
    "LV length ES": _p("LVLENES", "LV length apex to mitral annulus at ES"),
    "LV long-axis shortening": _p("LVLAS", "LV long-axis shortening"),
    "MAPSE": _p("MAPSE", "Mitral annular plane systolic excursion, Euclidean"),
    "MAPSE longitudinal": _p("MAPSELONG", "Mitral annular plane systolic excursion, longitudinal"),
    "TAPSE longitudinal": _p("TAPSELONG", "Tricuspid annular plane systolic excursion, longitudinal"),
    "LV centre R": _p("LVCR", "LV centre used, R coordinate (RAS)"),
    "LV centre A": _p("LVCA", "LV centre used, A coordinate (RAS)"),
    "LV centre S": _p("LVCS", "LV centre used, S coordinate (RAS)"),
    "LV centre confidence": _p("LVCCONF", "Confidence of the automatic LV centre"),
    "LV centre plausibility": _p("LVCPLAUS", "Plausibility of the SAX segmentation at the LV centre"),
}
DISC_SUMMATION = _p("DISCSUM", "Summation of discs on short-axis labels")
DISEASE_CLASS = _p("CVDCLASS", "Most probable class of a research model")
DISEASE_MODEL_NOTE = "research model output, not a diagnostic device"

#: Report unit -> UCUM (code value, meaning).
UCUM: dict[str, tuple[str, str]] = {
    "mL": ("mL", "milliliter"), "%": ("%", "percent"), "g": ("g", "gram"), "mm": ("mm", "millimeter"),
    "L/min": ("L/min", "liter per minute"), "m2": ("m2", "square meter"), "mL/m2": ("mL/m2", "milliliter per square meter"),
    "g/m2": ("g/m2", "gram per square meter"), "L/min/m2": ("L/min/m2", "liter per minute per square meter"),
    "bpm": ("/min", "per minute"), "": ("1", "no units"),
}


def measurement_code(name: str) -> Code:
    """The code of a report row name: standard, else private, else the documented hashed private code."""
    if name in STANDARD:
        return STANDARD[name]
    if name in PRIVATE:
        return PRIVATE[name]
    if name.startswith("P(") and ")" in name:
        cls = name[2:name.index(")")]
        return _p(f"P{cls.upper()}"[:16], f"Probability of class {cls} (research model)"[:64])
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8].upper()
    return _p(f"X{digest}", name[:64])


def ucum(unit: str, name: str = "") -> tuple[str, str]:
    """UCUM (code, meaning) of a report unit; frame indices are ``{frame}``."""
    if name.endswith("frame"):
        return "{frame}", "frame"
    if unit not in UCUM:
        raise ValueError(f"no UCUM code for unit {unit!r} of {name!r}")
    return UCUM[unit]
