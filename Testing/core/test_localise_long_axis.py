"""The ``sax-along`` cue: on a LAX plane with its SAX stack, the centre keeps the plane image's position across the
long axis and takes the SAX centre's along it (synthetic oblique geometry with a known answer)."""

from __future__ import annotations

import numpy as np

from CineMALib.localise import ALL_CUES, locate_lv_center
from CineMALib.localise.longaxis import MAX_MOVE_MM, along_sax_axis
from CineMALib.study import CineStudy, CineView, voxel_to_world, world_to_voxel


def unit(v) -> np.ndarray:  # noqa: ANN001
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


AXIS = unit([0.55, -0.45, -0.70])  # an oblique long axis
ACROSS = unit(np.cross(AXIS, [0.2, 0.9, -0.3]))
NORMAL = np.cross(AXIS, ACROSS)  # the LAX plane holds AXIS and ACROSS
ORIGIN = np.array([12.0, -30.0, 41.0])


def test_along_sax_axis_keeps_across_and_takes_along() -> None:
    tilted = unit(AXIS + 0.2 * NORMAL)  # a SAX normal 11 deg out of the plane
    point = ORIGIN + 7.0 * ACROSS
    sax = ORIGIN + 12.0 * AXIS - 9.0 * ACROSS + 4.0 * NORMAL
    moved = along_sax_axis(point, sax, tilted, NORMAL)
    assert moved is not None
    assert abs(float((moved - ORIGIN) @ ACROSS) - 7.0) < 1e-6  # across: the image's
    assert abs(float((moved - ORIGIN) @ AXIS) - 12.0) < 1e-6  # along: the SAX centre's
    assert abs(float((moved - ORIGIN) @ NORMAL)) < 1e-6  # still on the plane


def test_along_sax_axis_refuses_a_normal_out_of_the_plane_or_a_far_move() -> None:
    point = ORIGIN.copy()
    assert along_sax_axis(point, ORIGIN + 10.0 * NORMAL, NORMAL, NORMAL) is None  # not a LAX plane for this stack
    far = ORIGIN + (MAX_MOVE_MM + 5.0) * AXIS
    assert along_sax_axis(point, far, AXIS, NORMAL) is None  # the views disagree: keep the image's


def lax_plane(size: int = 96, spacing: float = 2.0) -> CineView:
    """A 4C-like plane (i along the axis, apex at low i): an elongated LV pool open at the base into a bright
    atrium, so the image cues alone drift towards the base."""
    affine = np.eye(4)
    affine[:3, 0], affine[:3, 1], affine[:3, 2] = AXIS * spacing, ACROSS * spacing, NORMAL * 6.0
    affine[:3, 3] = ORIGIN - 30 * spacing * AXIS - 48 * spacing * ACROSS
    ii, jj = np.indices((size, size), dtype=float)
    image = np.full((size, size), 40.0)
    lv = ((ii - 45) / 22.0) ** 2 + ((jj - 48) / 11.0) ** 2
    atrium = np.hypot(ii - 74, jj - 48) <= 13.0
    image[lv <= 1.45] = 15.0  # the dark myocardium around the LV
    image[(lv <= 1.0) | atrium | ((ii > 55) & (np.abs(jj - 48) <= 6))] = 200.0  # pool, valve opening, atrium
    return CineView("lax_4c", image[:, :, None, None].astype(np.float32), affine)


def test_lax_plane_takes_the_sax_level_along_the_axis_and_its_own_centre_across() -> None:
    lax = lax_plane()
    sax_affine = np.eye(4)
    helper = unit(np.cross(AXIS, [0.0, 0.0, 1.0]))
    sax_affine[:3, 2] = unit(AXIS + 0.15 * helper) * 8.0
    sax_affine[:3, 0] = unit(np.cross(sax_affine[:3, 2], [0.3, 1.0, 0.2])) * 1.5
    sax_affine[:3, 1] = unit(np.cross(sax_affine[:3, 2], sax_affine[:3, 0])) * 1.5
    sax = CineView("sax", np.zeros((8, 8, 4, 1), np.float32), sax_affine)
    study = CineStudy({"sax": sax, "lax_4c": lax})
    lv_centre = voxel_to_world(lax.affine, np.array([45.0, 48.0, 0.0]))
    # the SAX centre 8 mm further along the axis, 4 mm across it and 2 mm off the plane
    sax_centre = lv_centre + 8.0 * AXIS - 4.0 * ACROSS + 2.0 * NORMAL
    found = locate_lv_center(lax, study, sax_center_world=sax_centre)
    without = locate_lv_center(lax, study, sax_center_world=sax_centre,
                               cues=[c for c in ALL_CUES if c != "sax-along"])
    assert "sax-along" in found.cue and "sax-along" not in without.cue
    along = unit(sax_affine[:3, 2] - (sax_affine[:3, 2] @ NORMAL) * NORMAL)  # the SAX normal within the plane
    across = np.cross(NORMAL, along)
    assert abs(float((found.center_world - sax_centre) @ along)) < 1e-6  # along: the SAX level
    assert abs(float((found.center_world - without.center_world) @ across)) < 1e-6  # across: the image's
    assert abs(float((found.center_world - lv_centre) @ ACROSS)) < 5.0  # (the pool, steered by the SAX prior)
    assert abs(float(world_to_voxel(lax.affine, found.center_world)[2])) < 1e-6  # on the plane
    assert np.allclose(found.candidates[0].center_world, found.center_world)
