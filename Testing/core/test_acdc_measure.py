"""`cinema measure` on the 21 real ACDC cases (expert ED/ES labels): LVEF by group where the ACDC definitions put
it, ED volumes above ES volumes, BSA from Info.cfg. Prints the case table (run with -s to see it).

ACDC group definitions (doc §3.5, [seen]): NOR LVEF > 50 %; DCM and MINF LVEF < 40 %; HCM LVEF > 55 %. No margin
is needed: every case falls inside its group's bound. RV-group cases have no LVEF criterion.
"""

from __future__ import annotations

import csv

import nibabel as nib
import pytest
from conftest import shared_path

from CineMALib.cli import main

LVEF_RULE = {"NOR": (50.0, None), "DCM": (None, 40.0), "MINF": (None, 40.0), "HCM": (55.0, None)}
SHOWN = ("LVEDV (mL)", "LVESV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)", "RVEF (%)", "LVEDVi (mL/m2)")


def read_info(case) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in (case / "Info.cfg").read_text().splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


@pytest.fixture(scope="module")
def acdc_rows(tmp_path_factory):
    """case -> (Info.cfg, report.csv row) from running the CLI on the expert labels of every case."""
    root = shared_path("data", "acdc-subset")
    out_root = tmp_path_factory.mktemp("acdc")
    rows = {}
    for case in sorted(p for p in root.iterdir() if (p / "Info.cfg").is_file()):
        info = read_info(case)
        ed, es = int(info["ED"]), int(info["ES"])
        out = out_root / case.name
        rc = main(["measure", "--ed", str(case / f"{case.name}_frame{ed:02d}_gt.nii.gz"),
                   "--es", str(case / f"{case.name}_frame{es:02d}_gt.nii.gz"), "--label-map", "acdc",
                   "--ed-frame", str(ed - 1), "--es-frame", str(es - 1), "--height", info["Height"],
                   "--weight", info["Weight"], "--study-id", case.name, "--out", str(out)])
        assert rc == 0, case.name
        with open(out / "report.csv", newline="") as handle:
            rows[case.name] = (info, next(csv.DictReader(handle)))
    print("\ncase        group " + " ".join(f"{c:>14s}" for c in SHOWN))
    for name, (info, row) in rows.items():
        print(f"{name:11s} {info['Group']:5s} " + " ".join(f"{row[c]:>14s}" for c in SHOWN))
    return rows


def test_all_21_cases_measured(acdc_rows):
    assert len(acdc_rows) == 21
    assert {info["Group"] for info, _ in acdc_rows.values()} == {"NOR", "DCM", "HCM", "MINF", "RV"}


def test_lvef_falls_where_the_acdc_group_definitions_put_it(acdc_rows):
    checked = 0
    for name, (info, row) in acdc_rows.items():
        low, high = LVEF_RULE.get(info["Group"], (None, None))
        ef = float(row["LVEF (%)"])
        if low is not None:
            assert ef > low, f"{name} ({info['Group']}): LVEF {ef} % not > {low} %"
        if high is not None:
            assert ef < high, f"{name} ({info['Group']}): LVEF {ef} % not < {high} %"
        checked += low is not None or high is not None
    assert checked == 16


def test_ed_volumes_exceed_es_volumes(acdc_rows):
    for name, (_, row) in acdc_rows.items():
        assert float(row["LVEDV (mL)"]) > float(row["LVESV (mL)"]), name
        assert float(row["RVEDV (mL)"]) > float(row["RVESV (mL)"]), name


def test_real_spacing_used_not_the_unit_sform(acdc_rows):
    # The sform says 1 mm voxels; the volumes must use the header pixdim (in-plane 0.70-1.95 mm, slices 5-10 mm).
    root = shared_path("data", "acdc-subset")
    for name, (info, row) in acdc_rows.items():
        zooms = nib.load(str(root / name / f"{name}_frame{int(info['ED']):02d}_gt.nii.gz")).header.get_zooms()
        expected = f"voxel count x {zooms[0]:.2f}x{zooms[1]:.2f} mm x {zooms[2]:.2f} mm slice pitch"
        assert expected in row["LV volume method"], name
        assert "pixdim" in row["notes"], name


def test_bsa_and_frames_from_info_cfg(acdc_rows):
    for name, (info, row) in acdc_rows.items():
        bsa = (float(info["Height"]) * float(info["Weight"]) / 3600) ** 0.5
        assert float(row["BSA (m2)"]) == pytest.approx(bsa, abs=1e-3), name
        assert int(row["ED frame"]) == int(info["ED"]) - 1 and int(row["ES frame"]) == int(info["ES"]) - 1, name
