"""Each localisation cue on its own: the 2C/4C plane intersection on oblique geometry, the first temporal harmonic
(a beating ventricle against a vessel pulsating at another rate), the body mask (a bright blob in the air), and
the candidate list handed to the verification stage."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.localise import ALL_CUES, locate_lv_center
from CineMALib.localise.body import body_mask_2d
from CineMALib.localise.cues import first_harmonic
from CineMALib.localise.planes import (
    intersection_line,
    lax_geometry,
    line_through_slice,
    plane_of,
)
from CineMALib.study import CineStudy, CineView, voxel_to_world, world_to_voxel


def unit(v) -> np.ndarray:  # noqa: ANN001
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


AXIS = unit([0.55, -0.45, -0.70])  # an oblique long axis (apex left, anterior, inferior)
AXIS_POINT = np.array([12.0, -30.0, 41.0])


def plane_view(name: str, in_plane: np.ndarray, spacing: float = 1.8, size: int = 64) -> CineView:
    """A one-slice view whose plane holds the long axis and ``in_plane``; its index origin is off the axis."""
    u = unit(in_plane - (in_plane @ AXIS) * AXIS)
    normal = np.cross(AXIS, u)
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2] = AXIS * spacing, u * spacing, normal * 6.0
    affine[:3, 3] = AXIS_POINT - 20 * spacing * AXIS - 30 * spacing * u
    return CineView(name, np.zeros((size, size, 1, 1), np.float32), affine)


def oblique_sax_affine(spacing=(1.5, 1.5, 9.0)) -> np.ndarray:  # noqa: ANN001
    """A SAX stack tilted 12 deg off the long axis, rows and columns rotated about it."""
    helper = unit(np.cross(AXIS, [0.0, 0.0, 1.0]))
    tilt = unit(AXIS + 0.21 * helper)  # the stack normal, ~12 deg from the axis
    row = unit(np.cross(tilt, [0.3, 1.0, 0.2]))
    col = np.cross(tilt, row)
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2] = row * spacing[0], col * spacing[1], tilt * spacing[2]
    affine[:3, 3] = AXIS_POINT - 4.0 * tilt * spacing[2] - 70.0 * row - 60.0 * col
    return affine


def test_two_oblique_lax_planes_meet_on_the_long_axis() -> None:
    four = plane_view("lax_4c", np.array([0.2, 0.9, -0.3]))
    two = plane_view("lax_2c", np.cross(AXIS, [0.2, 0.9, -0.3]) + 0.4 * np.array([0.2, 0.9, -0.3]))
    line = intersection_line([plane_of(four), plane_of(two)], near=np.zeros(3))
    assert line is not None
    assert abs(abs(line.direction @ AXIS) - 1.0) < 1e-9
    rel = AXIS_POINT - line.point
    assert np.linalg.norm(rel - (rel @ AXIS) * AXIS) < 1e-6  # the known axis point lies on the found line
    # where the axis crosses SAX slice k: exact answer from the construction
    sax = oblique_sax_affine()
    normal = np.cross(sax[:3, 0], sax[:3, 1])
    for k in (2.0, 4.0, 7.0):
        origin = (sax @ [0.0, 0.0, k, 1.0])[:3]
        t = (origin - AXIS_POINT) @ normal / (AXIS @ normal)
        expected = world_to_voxel(sax, AXIS_POINT + t * AXIS)
        np.testing.assert_allclose(line_through_slice(line, sax, k), expected, atol=1e-6)
        assert abs(expected[2] - k) < 1e-6


def test_nearly_parallel_planes_give_no_line_and_a_single_plane_gives_distance() -> None:
    a = plane_view("lax_4c", np.array([0.2, 0.9, -0.3]))
    b = plane_view("lax_2c", np.array([0.2, 0.9, -0.3]) + 0.05 * np.cross(AXIS, [0.2, 0.9, -0.3]))
    assert intersection_line([plane_of(a), plane_of(b)], near=np.zeros(3)) is None
    sax = CineView("sax", np.zeros((20, 20, 5, 2), np.float32), oblique_sax_affine())
    geometry = lax_geometry(CineStudy({"sax": sax, "lax_4c": a}), sax)
    assert geometry.kind == "plane"
    off = AXIS_POINT + 7.0 * plane_of(a).normal
    assert geometry.distance(off[None])[0] == pytest.approx(7.0)


def disc_stack(shape, spacing, centres_mm, radius_mm, rng, n_slices=8):  # noqa: ANN001, ANN201
    """Bright discs in dark 8 mm rings on grey tissue, the same on every slice (x, y, z)."""
    ii, jj = np.indices(shape, dtype=float)
    image = 60.0 + rng.normal(0.0, 6.0, (*shape, n_slices))
    for ci, cj in centres_mm:
        d = np.hypot(ii * spacing - ci, jj * spacing - cj)
        image[(d > radius_mm) & (d <= radius_mm + 8)] = 20.0
        image[d <= radius_mm] = 200.0
    return image


def test_lax_planes_pick_the_twin_on_the_long_axis() -> None:
    """Two identical static blobs on an oblique SAX stack; the 2C and 4C planes meet on the axis through one of
    them. Image cues cannot tell them apart; the plane intersection must."""
    rng = np.random.default_rng(3)
    sax_affine = oblique_sax_affine()
    data = disc_stack((120, 120), 1.5, [], 20.0, rng)
    on_axis = np.array([line_ij for line_ij in [world_to_voxel(sax_affine, AXIS_POINT)[:2]]][0])
    other = on_axis + np.array([50.0, 45.0]) / 1.5  # 67 mm away, well inside the field of view
    ii, jj = np.indices((120, 120), dtype=float)
    for k in range(8):  # the on-axis blob follows the (tilted) axis through the stack
        origin = (sax_affine @ [0.0, 0.0, k, 1.0])[:3]
        normal = np.cross(sax_affine[:3, 0], sax_affine[:3, 1])
        t = (origin - AXIS_POINT) @ normal / (AXIS @ normal)
        c_axis = world_to_voxel(sax_affine, AXIS_POINT + t * AXIS)[:2]
        for c in (c_axis, other):
            d = np.hypot(*((np.stack([ii, jj], -1) - c) * 1.5).transpose(2, 0, 1))
            data[..., k][(d > 20) & (d <= 28)] = 20.0
            data[..., k][d <= 20] = 200.0
    sax = CineView("sax", data.astype(np.float32), sax_affine)
    four = plane_view("lax_4c", np.array([0.2, 0.9, -0.3]))
    two = plane_view("lax_2c", np.cross(AXIS, [0.2, 0.9, -0.3]))
    with_lax = locate_lv_center(sax, CineStudy({"sax": sax, "lax_4c": four, "lax_2c": two}))
    k = with_lax.center_voxel[2]
    origin = (sax_affine @ [0.0, 0.0, k, 1.0])[:3]
    normal = np.cross(sax_affine[:3, 0], sax_affine[:3, 1])
    t = (origin - AXIS_POINT) @ normal / (AXIS @ normal)
    assert np.linalg.norm(with_lax.center_world - (AXIS_POINT + t * AXIS)) < 5.0
    assert "lax-planes" in with_lax.cue
    # the other twin was a candidate too, as good by the image cues, and lost on the long-axis term
    twin = [c for c in with_lax.candidates[1:] if np.hypot(*((c.center_voxel[:2] - other) * 1.5)) < 5.0]
    assert twin, with_lax.candidates
    assert twin[0].cues["blob"] > 0.8 * with_lax.candidates[0].cues["blob"]
    assert twin[0].cues["lax-planes"] < 0.5 * with_lax.candidates[0].cues["lax-planes"]


def test_first_harmonic_measures_the_heart_rate_component_only() -> None:
    t = np.arange(20)
    beat = 0.5 + 0.2 * np.cos(2 * np.pi * t / 20 + 0.7)  # one cycle per cine
    fast = 0.5 + 0.3 * np.cos(2 * np.pi * 3 * t / 20)  # three cycles per cine
    spike = np.where(t == 5, 1.0, 0.2)  # a one-frame flow flash
    amp = first_harmonic(np.stack([beat, fast, spike]).astype(np.float32), t, 20)
    assert amp[0] == pytest.approx(0.2, abs=1e-5)
    assert amp[1] == pytest.approx(0.0, abs=1e-5)
    assert np.std(spike) > np.std(beat) and amp[2] < 0.5 * amp[0]
    # subsampled frames keep their phase: same answer from every other frame
    assert first_harmonic(beat[::2][None].astype(np.float32), t[::2], 20)[0] == pytest.approx(0.2, abs=1e-5)


@pytest.fixture(scope="module")
def phantom():  # noqa: ANN201
    return pytest.importorskip("CineMALib.phantom").generate_phantom(0)


def test_harmonic_prefers_the_beating_ventricle_over_a_vessel_pulsing_at_another_rate(phantom) -> None:  # noqa: ANN001
    """The phantom's SAX cine plus a bright round vessel (radius 20 mm, dark wall) 55 mm from the LV, whose
    brightness swings at 3 cycles per cine, more than the ventricle's wall motion: a standard deviation cue would
    take the vessel, the first harmonic must not."""
    view = phantom.study["sax"]
    ed = int(phantom.truth["discretised"]["ED frame"])
    truth = voxel_to_world(view.affine, np.argwhere(phantom.labels["sax"][..., ed] == 3).mean(axis=0))
    data = view.data.copy()
    hi = float(np.percentile(data, 99))
    lv_ij = world_to_voxel(view.affine, truth)[:2]
    centre = (np.array(view.shape[:2]) - 1) / 2.0
    sp = view.spacing[:2]
    side = 1.0 if centre[1] >= lv_ij[1] else -1.0  # towards the roomier side of the field of view
    vessel = lv_ij + np.array([0.0, side * 55.0]) / sp
    ii, jj = np.indices(view.shape[:2], dtype=float)
    d = np.hypot((ii - vessel[0]) * sp[0], (jj - vessel[1]) * sp[1])
    assert np.hypot(*((vessel - lv_ij) * sp)) > 40.0
    swing = 0.5 + 0.5 * np.cos(2 * np.pi * 3 * np.arange(view.n_frames) / view.n_frames)
    data[(d > 20) & (d <= 26)] = 0.0
    data[d <= 20] = (0.2 + 0.8 * swing) * hi
    pulsing = CineView("sax", data, view.affine)
    std = data.std(axis=3).mean(axis=2)
    assert std[tuple(np.rint(vessel).astype(int))] > std[tuple(np.rint(lv_ij).astype(int))]
    loc = locate_lv_center(pulsing)
    assert np.linalg.norm(loc.center_world - truth) < 10.0, loc
    assert "harmonic" in loc.method
    # the vessel is a candidate, and the motion cue ranks it below the ventricle (a std cue ranks it above)
    rival = [c for c in loc.candidates[1:] if np.hypot(*((c.center_voxel[:2] - vessel) * sp)) < 10.0]
    assert rival, loc.candidates
    assert rival[0].cues["harmonic"] < loc.candidates[0].cues["harmonic"]


def test_body_mask_removes_a_bright_blob_in_the_air() -> None:
    """A torso (tissue ellipse) with a ventricle inside, in air; a brighter round object lies in the air, nearer
    the image centre. Without the body cue it wins; with it, it is not even a candidate."""
    rng = np.random.default_rng(7)
    shape, sp = (180, 180), 2.0
    ii, jj = np.indices(shape, dtype=float)
    image = np.abs(rng.normal(0.0, 3.0, (*shape, 8)))  # air: noise floor
    torso = ((ii * sp - 150) / 120) ** 2 + ((jj * sp - 230) / 90) ** 2 <= 1
    image[torso] = 60.0 + rng.normal(0.0, 6.0, image[torso].shape)
    d = np.hypot(ii * sp - 170, jj * sp - 250)
    image[(d > 22) & (d <= 30)] = 20.0
    image[d <= 22] = 180.0
    d = np.hypot(ii * sp - 175, jj * sp - 100)  # in the air, below the torso
    assert not torso[d <= 22].any()
    image[d <= 20] = 250.0
    view = CineView("sax", image.astype(np.float32), np.diag([sp, sp, 10.0, 1.0]))
    inside = body_mask_2d(image[..., 4], np.array([sp, sp]))
    assert inside[int(170 / sp), int(250 / sp)] and not inside[int(175 / sp), int(100 / sp)]
    assert inside[torso].mean() > 0.95 and not inside[0, 0]
    loc = locate_lv_center(view)
    assert np.hypot(loc.center_voxel[0] * sp - 170, loc.center_voxel[1] * sp - 250) < 5.0
    assert all(np.hypot(c.center_voxel[0] * sp - 175, c.center_voxel[1] * sp - 100) > 20 for c in loc.candidates)
    # without the body cue (and the ring cue, which also rejects it: air around it is no myocardial wall) it wins
    without = locate_lv_center(view, cues=[c for c in ALL_CUES if c not in ("body", "ring")])
    assert np.hypot(without.center_voxel[0] * sp - 175, without.center_voxel[1] * sp - 100) < 5.0


def test_candidates_best_first_and_unknown_cue_rejected() -> None:
    rng = np.random.default_rng(5)
    data = disc_stack((100, 100), 2.0, [(60.0, 60.0), (150.0, 140.0)], 18.0, rng)
    view = CineView("sax", data.astype(np.float32), np.diag([2.0, 2.0, 10.0, 1.0]))
    loc = locate_lv_center(view)
    assert len(loc.candidates) >= 2 and loc.cue
    np.testing.assert_allclose(loc.candidates[0].center_world, loc.center_world)
    scores = [c.score for c in loc.candidates]
    assert scores == sorted(scores, reverse=True)
    assert {"blob", "consistency"} <= set(loc.candidates[0].cues)
    with pytest.raises(ValueError, match="unknown localisation cue"):
        locate_lv_center(view, cues=["blob", "sixth-sense"])


def test_ring_tells_a_pool_in_myocardium_from_a_bright_blob_without_one() -> None:
    """Single frame: a bright disc inside a dark 9 mm ring (an LV) and an equally bright, slightly larger disc in
    a wide dark region (fat in muscle) nearer the image centre. The enclosure cue must rank the ringed one first;
    the blob cue alone prefers the other."""
    from CineMALib.localise.ring import enclosure

    rng = np.random.default_rng(11)
    shape, sp = (150, 150), 2.0
    ii, jj = np.indices(shape, dtype=float)
    image = np.repeat((90.0 + rng.normal(0.0, 5.0, shape))[..., None], 8, axis=2)
    d_lv = np.hypot(ii * sp - 95, jj * sp - 200)
    image[(d_lv > 22) & (d_lv <= 31)] = 25.0
    image[d_lv <= 22] = 200.0
    d_fat = np.hypot(ii * sp - 150, jj * sp - 110)
    image[d_fat <= 70] = 30.0  # in a wide dark region (muscle): a step, not a wall
    image[d_fat <= 24] = 200.0
    mean = image[..., 4] / 200.0
    assert enclosure(mean, np.array([95.0, 200.0]) / sp, np.array([sp, sp])) > 0.8
    assert enclosure(mean, np.array([150.0, 110.0]) / sp, np.array([sp, sp])) < 0.3
    view = CineView("sax", image.astype(np.float32), np.diag([sp, sp, 10.0, 1.0]))
    loc = locate_lv_center(view)
    assert np.hypot(loc.center_voxel[0] * sp - 95, loc.center_voxel[1] * sp - 200) < 5.0
    assert "ring" in loc.cue
    blob_only = locate_lv_center(view, cues=["blob", "consistency"])
    assert np.hypot(blob_only.center_voxel[0] * sp - 150, blob_only.center_voxel[1] * sp - 110) < 5.0
