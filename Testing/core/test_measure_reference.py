"""Reference flags come only from verified sources, carry their citation, and respect sex-specific thresholds."""

from __future__ import annotations

import pytest

from CineMALib.measure.reference import RULES, apply_references, normalise_sex
from CineMALib.measure.report import Measurement


def row(name, value, unit):
    return Measurement(name, value, unit, "test")


def test_every_rule_is_from_a_seen_source_with_a_citation():
    assert RULES
    for rule in RULES:
        assert rule.source_tag == "seen" and len(rule.citation) > 20


def test_low_lvef_is_flagged_with_acdc_criteria_and_normal_is_not():
    low, normal = apply_references([row("LVEF", 35.0, "%"), ], None)[0], apply_references([row("LVEF", 62.0, "%")],
                                                                                           None)[0]
    assert "LVEF > 50" in low.flag and "< 40" in low.flag and "ACDC" in low.citation
    assert normal.flag == "" and "ACDC" in normal.citation


def test_boundary_of_a_strict_criterion():
    assert "LVEF > 50" in apply_references([row("LVEF", 50.0, "%")], None)[0].flag
    assert "LVEF > 50" not in apply_references([row("LVEF", 50.01, "%")], None)[0].flag


def test_sex_specific_thresholds():
    women = apply_references([row("LVEDVi", 85.0, "mL/m2")], "F")[0]
    men = apply_references([row("LVEDVi", 85.0, "mL/m2")], "M")[0]
    unknown = apply_references([row("LVEDVi", 85.0, "mL/m2")], None)[0]
    assert "80 mL/m2" in women.flag and men.flag == "" and unknown.flag == "" and unknown.citation == ""


def test_unverified_ranges_do_not_flag():
    # UK Biobank women RVEF 47-68 % was only seen in third-party code: RVEF 45 % must not be flagged by it.
    rvef = apply_references([row("RVEF", 45.0, "%")], "F")[0]
    assert rvef.flag == "" and "Biobank" not in rvef.citation
    lvesv = apply_references([row("LVESV", 300.0, "mL")], "F")[0]
    assert lvesv.flag == "" and lvesv.citation == ""


def test_uk_biobank_lvef_band_is_sex_specific_and_says_it_is_derived():
    flagged = apply_references([row("LVEF", 50.0, "%")], "F")[0]
    assert "UK Biobank healthy women" in flagged.flag and "1.96 SD" in flagged.citation
    assert "UK Biobank" not in apply_references([row("LVEF", 50.0, "%")], "M")[0].flag


def test_missing_values_get_no_reference():
    assert apply_references([row("LVEF", None, "%")], "F")[0].citation == ""


@pytest.mark.parametrize("given,expected", [("M", "M"), ("female", "F"), (" m ", "M"), ("O", None), (None, None)])
def test_normalise_sex(given, expected):
    assert normalise_sex(given) == expected
