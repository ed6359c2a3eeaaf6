"""Body surface area and BSA-indexed values (mL/m2, g/m2, L/min/m2).

Mosteller (default): sqrt(height_cm x weight_kg / 3600). DuBois & DuBois: 0.007184 x weight_kg^0.425 x
height_cm^0.725. Both m2 (clinical-measurements.md §3.1; formulas are standard, tagged [bg] there).
"""

from __future__ import annotations

import math

from CineMALib.errors import CineMAInputError
from CineMALib.measure.report import Measurement

FORMULAS: dict[str, str] = {
    "mosteller": "Mosteller: sqrt(height cm x weight kg / 3600)",
    "dubois": "DuBois & DuBois: 0.007184 x weight kg^0.425 x height cm^0.725",
}
#: Indexed name -> (source name, indexed unit).
INDEXED: dict[str, tuple[str, str]] = {
    "LVEDVi": ("LVEDV", "mL/m2"), "LVESVi": ("LVESV", "mL/m2"), "LVSVi": ("LVSV", "mL/m2"), "LVMi": ("LVM", "g/m2"),
    "RVEDVi": ("RVEDV", "mL/m2"), "RVESVi": ("RVESV", "mL/m2"), "RVSVi": ("RVSV", "mL/m2"),
    "LVCI": ("LVCO", "L/min/m2"),
}


def body_surface_area(height_cm: float, weight_kg: float, formula: str = "mosteller") -> float:
    """BSA in m2; rejects non-positive or implausible inputs (height in m or weight in lb are common slips)."""
    if formula not in FORMULAS:
        raise CineMAInputError(None, f"unknown BSA formula {formula!r}; choose one of {sorted(FORMULAS)}")
    if not (30.0 <= height_cm <= 250.0):
        raise CineMAInputError(None, f"height {height_cm} cm is outside 30-250 cm (give centimetres)")
    if not (2.0 <= weight_kg <= 400.0):
        raise CineMAInputError(None, f"weight {weight_kg} kg is outside 2-400 kg (give kilograms)")
    if formula == "mosteller":
        return math.sqrt(height_cm * weight_kg / 3600.0)
    return 0.007184 * weight_kg ** 0.425 * height_cm ** 0.725


def bsa_rows(height_cm: float | None, weight_kg: float | None, formula: str,
             rows: list[Measurement]) -> list[Measurement]:
    """The BSA row and one indexed row per available source row; all n/a without height and weight."""
    if height_cm is None or weight_kg is None:
        why = "n/a: height and weight not given"
        return [Measurement("BSA", None, "m2", why)]
    bsa = body_surface_area(height_cm, weight_kg, formula)
    out = [Measurement("BSA", bsa, "m2", f"{FORMULAS[formula]}; height {height_cm:g} cm, weight {weight_kg:g} kg")]
    by_name = {row.name: row for row in rows}
    for name, (source, unit) in INDEXED.items():
        src = by_name.get(source)
        if src is None:
            continue
        value = src.value / bsa if src.available else None
        out.append(Measurement(name, value, unit, f"{source} / BSA {bsa:.3f} m2 ({formula})", src.phase, src.frames))
    return out
