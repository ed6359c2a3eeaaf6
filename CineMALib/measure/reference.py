"""Reference thresholds, only those whose source was read by the team ([seen] in clinical-measurements.md §3.5).

Deliberately absent: the UK Biobank 95 % ranges (seen only in third-party code), the Kawel-Boehm 2020 tables (not
retrieved; the third-party encoding looked like echo cut-offs), Oxford SSFP means (source attribution unverified),
the ACDC "RV volume" criteria (the README does not say which phase) and any indexed range not seen. A value with
no rule here gets no flag: absence of a flag is not a statement of normality.
"""

from __future__ import annotations

from dataclasses import dataclass

from CineMALib.measure.report import Measurement

ACDC = ("ACDC group definitions (Bernard et al., IEEE TMI 2018;37:2514), as stated in the CineMA data README; "
        "dataset labelling criteria, not population reference ranges")
MNMS2 = "M&Ms-2 dataset labelling criteria, as stated in the CineMA data README"
PETERSEN = ("Petersen et al., JCMR 2017;19:18 (UK Biobank, 804 healthy Caucasians aged 45-74, 1.5 T SSFP, manual "
            "contours), abstract mean +/- SD; flag at mean +/- 1.96 SD is our derivation assuming normality")


OPS = {"<": lambda v, t: v < t, "<=": lambda v, t: v <= t, ">": lambda v, t: v > t, ">=": lambda v, t: v >= t}


@dataclass(frozen=True)
class Rule:
    """Flag ``column`` when ``value <op> threshold`` holds (e.g. LVEF <= 50 for "normal is LVEF > 50")."""

    column: str
    op: str
    threshold: float
    message: str
    citation: str
    sex: str | None = None
    source_tag: str = "seen"

    def applies(self, sex: str | None) -> bool:
        return self.sex is None or self.sex == sex

    def triggered(self, value: float) -> bool:
        return bool(OPS[self.op](value, self.threshold))


def _petersen(column: str, sex: str, mean: float, sd: float, what: str) -> tuple[Rule, Rule]:
    lo, hi = mean - 1.96 * sd, mean + 1.96 * sd
    who, unit = ("women" if sex == "F" else "men"), column.split("(")[1].rstrip(")")
    text = f"UK Biobank healthy {who} {what} {mean:g} +/- {sd:g} {unit} (95 % band {lo:.1f}-{hi:.1f} {unit})"
    return (Rule(column, "<", lo, f"below {text}", PETERSEN, sex),
            Rule(column, ">", hi, f"above {text}", PETERSEN, sex))


def _acdc(column: str, op: str, threshold: float, message: str, sex: str | None = None) -> Rule:
    return Rule(column, op, threshold, message, ACDC, sex)


def _mnms2(column: str, threshold: float, sex: str) -> Rule:
    who, kind = ("men" if sex == "M" else "women"), ("LV" if column.startswith("LV") else "RV")
    unit = column.split("(")[1].rstrip(")")
    return Rule(column, ">", threshold, f"meets the M&Ms-2 dilated-{kind} criterion {column.split(' ')[0]} > "
                                        f"{threshold:g} {unit} ({who})", MNMS2, sex)


RULES: tuple[Rule, ...] = (
    _acdc("LVEF (%)", "<=", 50.0, "not above the ACDC normal criterion LVEF > 50 %"),
    _acdc("LVEF (%)", "<", 40.0, "meets the ACDC DCM/MINF criterion LVEF < 40 %"),
    _acdc("RVEF (%)", "<=", 40.0, "not above the ACDC normal criterion RVEF > 40 %"),
    _acdc("LVEDVi (mL/m2)", ">=", 90.0, "not below the ACDC normal criterion LVEDVi < 90 mL/m2 (men)", "M"),
    _acdc("LVEDVi (mL/m2)", ">=", 80.0, "not below the ACDC normal criterion LVEDVi < 80 mL/m2 (women)", "F"),
    _mnms2("LVEDV (mL)", 214.0, "M"), _mnms2("LVEDV (mL)", 179.0, "F"),
    _mnms2("LVEDVi (mL/m2)", 105.0, "M"), _mnms2("LVEDVi (mL/m2)", 96.0, "F"),
    _mnms2("RVEDV (mL)", 250.0, "M"), _mnms2("RVEDV (mL)", 201.0, "F"),
    _mnms2("RVEDVi (mL/m2)", 121.0, "M"), _mnms2("RVEDVi (mL/m2)", 112.0, "F"),
    *_petersen("LVEF (%)", "F", 61.0, 5.0, "LVEF"), *_petersen("LVEF (%)", "M", 58.0, 5.0, "LVEF"),
    *_petersen("LVMi (g/m2)", "M", 53.0, 9.0, "LV mass index"),
    *_petersen("LVMi (g/m2)", "F", 42.0, 7.0, "LV mass index"),
)


def normalise_sex(sex: str | None) -> str | None:
    """'M'/'F' from common spellings; anything else (unknown, other) gives None so sex-specific rules are skipped."""
    if sex is None:
        return None
    key = sex.strip().upper()[:1]
    return key if key in ("M", "F") else None


def apply_references(rows: list[Measurement], sex: str | None) -> list[Measurement]:
    """Attach the citations of every rule consulted for a row, and the messages of the rules it triggers."""
    sex = normalise_sex(sex)
    out = []
    for row in rows:
        rules = [r for r in RULES if r.column == row.column and r.applies(sex) and r.source_tag == "seen"]
        if not rules or not row.available:
            out.append(row)
            continue
        citations = list(dict.fromkeys(r.citation for r in rules))
        flags = [r.message for r in rules if r.triggered(row.value)]  # type: ignore[arg-type]
        out.append(row.with_reference(" | ".join(citations), "; ".join(flags)))
    return out
