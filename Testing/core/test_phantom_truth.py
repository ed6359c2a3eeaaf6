"""Synthetic phantom: determinism, seed variation, and the internal consistency of its known truth."""

from __future__ import annotations

import time

import numpy as np
import pytest

from CineMALib.labels import LV, MYO, RV
from CineMALib.phantom import PATHOLOGIES, Phantom, generate_phantom
from CineMALib.phantom.anatomy import build_shapes
from CineMALib.phantom.motion import frame_phases, is_systole, volume_curve
from CineMALib.phantom.params import draw_heart, draw_subject, heart_rng, subject_rng
from CineMALib.phantom.render import heart_box
from CineMALib.phantom.truth import grid_label_volumes, rv_box
from CineMALib.study import spacing_from_affine

REQUIRED_KEYS = {"LVEDV (mL)", "LVESV (mL)", "LVSV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)",
                 "RVSV (mL)", "RVEF (%)", "ED frame", "ES frame", "MAPSE (mm)", "TAPSE (mm)"}


@pytest.fixture(scope="module")
def timed_phantom() -> tuple[Phantom, float]:
    start = time.perf_counter()
    phantom = generate_phantom(0, "normal", 25)
    return phantom, time.perf_counter() - start


@pytest.fixture(scope="module")
def phantom(timed_phantom: tuple[Phantom, float]) -> Phantom:
    return timed_phantom[0]


def test_generation_time_is_reported(timed_phantom: tuple[Phantom, float], record_property) -> None:
    phantom, seconds = timed_phantom
    record_property("phantom_generation_s", round(seconds, 2))
    print(f"\nphantom seed 0, 25 frames, 4 views generated in {seconds:.2f} s")
    assert set(phantom.study.views) == {"sax", "lax_2c", "lax_3c", "lax_4c"}
    assert all(view.n_frames == 25 for view in phantom.study.views.values())


def test_same_seed_gives_identical_study() -> None:
    a, b = generate_phantom(5, "normal", 6), generate_phantom(5, "normal", 6)
    for name in a.study.views:
        np.testing.assert_array_equal(a.study[name].data, b.study[name].data)
        np.testing.assert_array_equal(a.study[name].affine, b.study[name].affine)
        np.testing.assert_array_equal(a.labels[name], b.labels[name])
    assert a.truth == b.truth
    for view, points in a.landmarks_world.items():
        for name, track in points.items():
            np.testing.assert_array_equal(track, b.landmarks_world[view][name])


def test_different_seeds_differ_in_anatomy_geometry_and_noise() -> None:
    a, b = generate_phantom(5, "normal", 6), generate_phantom(6, "normal", 6)
    assert a.truth["continuous"]["LVEDV (mL)"] != pytest.approx(b.truth["continuous"]["LVEDV (mL)"], rel=1e-3)
    assert not np.allclose(a.study["sax"].affine, b.study["sax"].affine)
    assert (a.study.metadata.height_cm, a.study.metadata.heart_rate_bpm) != \
        (b.study.metadata.height_cm, b.study.metadata.heart_rate_bpm)


@pytest.mark.parametrize("kind", ["continuous", "discretised"])
def test_truth_tables_are_arithmetically_consistent(phantom: Phantom, kind: str) -> None:
    table = phantom.truth[kind]
    assert REQUIRED_KEYS <= set(table)
    for side in ("LV", "RV"):
        edv, esv = table[f"{side}EDV (mL)"], table[f"{side}ESV (mL)"]
        assert 0 < esv < edv
        assert table[f"{side}SV (mL)"] == pytest.approx(edv - esv, abs=1e-9)
        assert table[f"{side}EF (%)"] == pytest.approx(100.0 * (edv - esv) / edv, abs=1e-9)
    assert isinstance(table["ED frame"], int) and isinstance(table["ES frame"], int)
    assert table["MAPSE euclidean (mm)"] >= table["MAPSE longitudinal (mm)"] > 0
    assert table["MAPSE (mm)"] == table["MAPSE euclidean (mm)"]
    assert table["TAPSE (mm)"] > table["MAPSE (mm)"]  # normal RV free wall moves further than the mitral ring


def test_discretised_truth_equals_recount_of_returned_labels(phantom: Phantom) -> None:
    labels, affine = phantom.labels["sax"], phantom.study["sax"].affine
    voxel_ml = float(np.prod(spacing_from_affine(affine))) / 1000.0
    lv = (labels == LV).sum(axis=(0, 1, 2)) * voxel_ml
    ed, es = int(np.argmax(lv)), int(np.argmin(lv))
    table = phantom.truth["discretised"]
    assert (table["ED frame"], table["ES frame"]) == (ed, es)
    assert table["LVEDV (mL)"] == pytest.approx(lv[ed], abs=0.01)
    assert table["LVESV (mL)"] == pytest.approx(lv[es], abs=0.01)
    assert table["LVM (g)"] == pytest.approx((labels[..., ed] == MYO).sum() * voxel_ml * 1.05, abs=0.01)
    assert table["RVEDV (mL)"] == pytest.approx((labels[..., ed] == RV).sum() * voxel_ml, abs=0.01)
    assert table["RVESV (mL)"] == pytest.approx((labels[..., es] == RV).sum() * voxel_ml, abs=0.01)


def test_continuous_and_discretised_truth_differ_only_by_disc_summation(phantom: Phantom) -> None:
    c, d = phantom.truth["continuous"], phantom.truth["discretised"]
    for key in ("LVEDV (mL)", "LVESV (mL)", "RVEDV (mL)", "RVESV (mL)", "LVM (g)"):
        assert d[key] == pytest.approx(c[key], rel=0.12), key
    assert abs(d["LVEF (%)"] - c["LVEF (%)"]) < 5.0
    assert abs(d["RVEF (%)"] - c["RVEF (%)"]) < 8.0
    assert abs(d["ES frame"] - c["ES frame"]) <= 1


def test_closed_form_volumes_match_a_fine_grid(phantom: Phantom) -> None:
    shapes = phantom.shapes
    es = phantom.truth["continuous"]["ES frame"]
    for t in (0, es):
        grid = grid_label_volumes(shapes, t, *heart_box(shapes), step=1.0)
        assert grid[LV] == pytest.approx(shapes.lv_volume_ml[t], rel=0.015)
        assert grid[MYO] == pytest.approx(shapes.myo_volume_ml, rel=0.015)
        assert grid[RV] == pytest.approx(grid_label_volumes(shapes, t, *rv_box(shapes, t))[RV], rel=0.02)


def test_myocardium_is_incompressible_and_thickens_in_systole(phantom: Phantom) -> None:
    shapes = phantom.shapes
    es = phantom.truth["continuous"]["ES frame"]
    assert shapes.wall[es] > 1.2 * shapes.wall[0]
    assert phantom.truth["continuous"]["LVM (g)"] == pytest.approx(shapes.myo_volume_ml * 1.05)


def _continuous_function(seed: int, pathology: str) -> dict[str, float]:
    """LV EF, EDV, mass and ED wall from the anatomy alone (no rendering: fast enough for many seeds)."""
    heart = draw_heart(heart_rng(seed, pathology), pathology, draw_subject(subject_rng(seed), pathology))
    phases = frame_phases(20)
    shapes = build_shapes(heart, volume_curve(phases, heart), is_systole(phases, heart))
    lv = shapes.lv_volume_ml
    return {"ef": 100 * (lv.max() - lv.min()) / lv.max(), "edv": lv.max(), "mass": shapes.myo_volume_ml * 1.05,
            "wall": shapes.wall[0]}


def test_pathologies_move_function_in_the_right_direction_across_seeds() -> None:
    for seed in range(12):
        normal, dcm, hcm = (_continuous_function(seed, p) for p in PATHOLOGIES)
        assert 25.0 <= dcm["ef"] <= 36.0 and 53.0 <= normal["ef"] <= 66.0 and 65.0 <= hcm["ef"] <= 77.0
        assert dcm["ef"] < normal["ef"] < hcm["ef"]
        assert dcm["edv"] > normal["edv"] > hcm["edv"]
        assert hcm["wall"] > 1.4 * normal["wall"] and hcm["mass"] > normal["mass"]


def test_rendered_pathologies_keep_their_order_after_discretisation() -> None:
    tables = {p: generate_phantom(1, p, 12).truth["discretised"] for p in PATHOLOGIES}
    assert tables["dcm"]["LVEF (%)"] < tables["normal"]["LVEF (%)"] < tables["hcm"]["LVEF (%)"]
    assert tables["hcm"]["LVM (g)"] > tables["normal"]["LVM (g)"]
    assert tables["dcm"]["LVEDV (mL)"] > tables["normal"]["LVEDV (mL)"]


def test_metadata_and_timing_are_plausible(phantom: Phantom) -> None:
    meta = phantom.study.metadata
    assert meta.sex in ("M", "F")
    assert 150 <= meta.height_cm <= 198 and 40 <= meta.weight_kg <= 130 and 50 <= meta.heart_rate_bpm <= 100
    rr = 60000.0 / meta.heart_rate_bpm
    np.testing.assert_allclose(phantom.study["sax"].trigger_times_ms, np.arange(25) * rr / 25)
    assert phantom.truth["seed"] == 0 and phantom.truth["pathology"] == "normal"


@pytest.mark.parametrize("kwargs", [{"pathology": "amyloid"}, {"n_frames": 2}, {"seed": -1}])
def test_invalid_arguments_are_refused(kwargs: dict) -> None:
    args = {"seed": 0, "pathology": "normal", "n_frames": 25} | kwargs
    with pytest.raises(ValueError):
        generate_phantom(**args)
