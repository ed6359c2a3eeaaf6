"""LV length, long-axis shortening, MAPSE (longitudinal vs Euclidean) and TAPSE from synthetic landmark tracks."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.measure.longaxis import long_axis_rows, phases_from_length
from CineMALib.study import lax_frame

N = 20


def _unit(v):
    return np.asarray(v, float) / np.linalg.norm(v)


def make_view(apex, axis, across, length, descent, inward, hinges=("mitral_lateral", "mitral_septal"),
              es=8, radius=22.0, tricuspid=None):
    """Apex fixed; hinges at apex + L*axis +/- r*across at ED, moving `descent` toward the apex and `inward` toward
    the axis by frame `es` (linear ramp), so truths are known in closed form."""
    f = np.clip(np.arange(N) / es, 0, 1)[:, None]
    mid = apex + (length - descent * f) * axis
    r = radius - inward * f
    points = {"apex": np.tile(apex, (N, 1)), hinges[0]: mid + r * across, hinges[1]: mid - r * across}
    if tricuspid is not None:
        t_descent, t_radial = tricuspid
        points["tricuspid_lateral"] = apex + (length - t_descent * f) * axis - (45.0 + t_radial * f) * across
    return points


def rows_by_name(rows):
    return {r.name: r for r in rows}


@pytest.fixture
def geometry():
    axis = _unit([0.3, -0.5, 0.8])
    across = _unit(np.cross(axis, [1.0, 0.0, 0.0]))
    across2 = np.cross(axis, across)
    return np.array([10.0, -20.0, 5.0]), axis, across, across2


def test_lengths_mapse_and_tapse_match_closed_form(geometry):
    apex, axis, a4, a2 = geometry
    landmarks = {"lax_4c": make_view(apex, axis, a4, 90.0, 12.0, 5.0, tricuspid=(20.0, 3.0)),
                 "lax_2c": make_view(apex, axis, a2, 90.0, 14.0, 0.0, ("mitral_anterior", "mitral_inferior"))}
    rows = rows_by_name(long_axis_rows(landmarks, 0, 8, N))
    assert rows["LV length ED"].value == pytest.approx(90.0)
    assert rows["LV length ES"].value == pytest.approx(90.0 - (12.0 + 14.0) / 2)
    shortening = (100 * 12 / 90 + 100 * 14 / 90) / 2
    assert rows["LV long-axis shortening"].value == pytest.approx(shortening)
    # longitudinal ignores the 5 mm radial hinge motion; Euclidean (the headline, CineMA's definition) includes it
    assert rows["MAPSE longitudinal"].value == pytest.approx((12.0 * 2 + 14.0 * 2) / 4)
    assert rows["MAPSE"].value == pytest.approx((2 * np.hypot(12.0, 5.0) + 2 * 14.0) / 4)
    assert rows["TAPSE longitudinal"].value == pytest.approx(20.0)
    assert rows["TAPSE"].value == pytest.approx(np.hypot(20.0, 3.0))
    assert "Euclidean" in rows["MAPSE"].method and "longitudinal" in rows["MAPSE longitudinal"].method
    assert rows["MAPSE"].frames == (0, 8)


def test_tapse_is_na_without_the_tricuspid_point(geometry):
    apex, axis, a4, _ = geometry
    rows = rows_by_name(long_axis_rows({"lax_4c": make_view(apex, axis, a4, 85.0, 10.0, 0.0)}, 0, 8, N))
    assert rows["TAPSE"].value is None and rows["TAPSE"].method.startswith("n/a")
    assert rows["TAPSE longitudinal"].value is None
    assert rows["MAPSE"].value == pytest.approx(10.0) == rows["MAPSE longitudinal"].value


def test_missing_hinge_at_es_is_left_out_of_the_mean(geometry):
    apex, axis, a4, a2 = geometry
    v4 = make_view(apex, axis, a4, 90.0, 12.0, 0.0)
    v2 = make_view(apex, axis, a2, 90.0, 16.0, 0.0, ("mitral_anterior", "mitral_inferior"))
    v2["mitral_inferior"][8] = np.nan
    rows = rows_by_name(long_axis_rows({"lax_4c": v4, "lax_2c": v2}, 0, 8, N))
    assert rows["MAPSE"].value == pytest.approx((12.0 + 12.0 + 16.0) / 3)
    assert "3 hinge(s)" in rows["MAPSE longitudinal"].method
    assert rows["LV length ES"].value == pytest.approx(90.0 - 12.0)  # 2-chamber length needs both hinges


def test_no_usable_landmarks_gives_na_rows():
    rows = rows_by_name(long_axis_rows({"lax_4c": {"apex": np.full((N, 3), np.nan)}}, 0, 8, N))
    assert all(rows[k].value is None for k in ("LV length ED", "MAPSE", "MAPSE longitudinal", "TAPSE"))


def test_lax_frames_follow_the_cycle_fraction_when_counts_differ(geometry):
    assert lax_frame(9, 25, 25) == 9
    assert lax_frame(9, 25, 30) == round(9 * 30 / 25)
    apex, axis, a4, _ = geometry
    view = make_view(apex, axis, a4, 90.0, 12.0, 0.0, es=8)  # 20 LAX frames, SAX has 10 -> SAX ES 4 = LAX 8
    rows = rows_by_name(long_axis_rows({"lax_4c": view}, 0, 4, 10))
    assert rows["MAPSE"].value == pytest.approx(12.0)
    assert "frames mapped" in rows["MAPSE"].method


def test_phases_from_length(geometry):
    apex, axis, a4, _ = geometry
    phases = phases_from_length({"lax_4c": make_view(apex, axis, a4, 90.0, 12.0, 0.0, es=8)})
    assert phases.ed == 0 and phases.es == 8  # lengths are flat after frame 8: argmin takes the first
    assert "LV length" in phases.method
