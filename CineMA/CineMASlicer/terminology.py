"""Segment names, colours and standard codes for CineMA's labels, so every segmentation node looks the same.

Codes are SNOMED CT (scheme ``SCT``) as in the DICOM SEG recipe of clinical-measurements.md: category
91723000 "Anatomical Structure"; types 87878005 Left ventricle, 49848007 Left Ventricle Myocardium,
53085002 Right ventricle. The tag string follows Slicer's terminology-entry serialisation
(``context~category~type~modifier~anatomicContext~region~regionModifier``, each code ``scheme^value^meaning``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from CineMALib.labels import CINEMA_LABELS, LV, MYO, RV

TERMINOLOGY_CONTEXT = "Segmentation category and type - 3D Slicer General Anatomy list"
ANATOMIC_CONTEXT = "Anatomic codes - DICOM master list"
CATEGORY = ("SCT", "91723000", "Anatomical Structure")
#: Segment tag holding the CineMA label value, so reading back never depends on names the user may change.
LABEL_TAG = "CineMA.label"
TERMINOLOGY_TAG = "TerminologyEntry"


@dataclass(frozen=True)
class SegmentSpec:
    """One structure: segment ID, displayed name, RGB colour (0-1), SNOMED type code and CineMA label value."""

    segment_id: str
    name: str
    color: tuple[float, float, float]
    code: tuple[str, str, str]
    label: int

    def terminology_entry(self) -> str:
        """The ``TerminologyEntry`` tag value Slicer's terminology widgets and DICOM SEG export read."""
        def fmt(code: tuple[str, str, str]) -> str:
            return "^".join(code)

        empty = "^^"
        return "~".join([TERMINOLOGY_CONTEXT, fmt(CATEGORY), fmt(self.code), empty, ANATOMIC_CONTEXT, empty, empty])


#: In label order (1 RV, 2 MYO, 3 LV): importing a CineMA label map with these IDs maps value v to SEGMENTS[v-1].
SEGMENTS: tuple[SegmentSpec, ...] = (
    SegmentSpec("RV", CINEMA_LABELS[RV], (0.20, 0.45, 0.90), ("SCT", "53085002", "Right ventricle"), RV),
    SegmentSpec("MYO", CINEMA_LABELS[MYO], (0.25, 0.75, 0.30), ("SCT", "49848007", "Left Ventricle Myocardium"), MYO),
    SegmentSpec("LV", CINEMA_LABELS[LV], (0.85, 0.20, 0.20), ("SCT", "87878005", "Left ventricle"), LV),
)
BY_LABEL: dict[int, SegmentSpec] = {spec.label: spec for spec in SEGMENTS}
BY_NAME: dict[str, SegmentSpec] = {spec.name.lower(): spec for spec in SEGMENTS}


def label_of_segment(segment: Any) -> int | None:
    """CineMA label of a ``vtkSegment``: its ``CineMA.label`` tag, else its name; None for a user's extra segment."""
    import vtk

    text = vtk.reference("")
    if segment.GetTag(LABEL_TAG, text) and str(text).isdigit() and int(str(text)) in BY_LABEL:
        return int(str(text))
    spec = BY_NAME.get(segment.GetName().strip().lower())
    return spec.label if spec else None
