"""Mitral-annulus cut of the SAX LV labels from the 2C/4C hinge landmarks, on geometry known by construction."""

from __future__ import annotations

import numpy as np

from CineMALib.analysis.valve_plane import (annulus_from_hinges, clip_at_mitral_plane, fill_below_mitral_plane,
                                            mitral_annuli)
from CineMALib.labels import LV, MYO, RV
from CineMALib.study import CineView

SAX = CineView("sax", np.zeros((40, 40, 8, 1), np.float32), np.diag([2.0, 2.0, 10.0, 1.0]))  # slice k at z = 10 k


def _tracks(z_hinge: float, n: int = 1, tilt: float = 0.0) -> dict[str, dict[str, np.ndarray]]:
    """Hinges 20 mm around (40, 40) on the plane z = z_hinge + tilt * (x - 40), apex at z = -50 mm, ``n`` frames."""
    def point(x: float, y: float, z: float | None = None) -> np.ndarray:
        return np.tile([x, y, z_hinge + tilt * (x - 40) if z is None else z], (n, 1)).astype(float)
    return {"lax_2c": {"mitral_anterior": point(40, 20), "mitral_inferior": point(40, 60), "apex": point(40, 40, -50)},
            "lax_4c": {"mitral_lateral": point(60, 40), "mitral_septal": point(20, 40), "apex": point(40, 40, -50)}}


def _disk(radius_px: float) -> np.ndarray:
    ii, jj = np.indices((40, 40))
    return (ii - 20) ** 2 + (jj - 20) ** 2 <= radius_px**2


def test_annulus_fits_the_hinges_and_faces_the_apex() -> None:
    a = (np.array([0, -10, 10.0]), np.array([0, 10, 10.0]))
    b = (np.array([-15, 0, 10.0]), np.array([15, 0, 10.0]))
    annulus = annulus_from_hinges(a, b, apex=np.array([0, 0, -40.0]))
    np.testing.assert_allclose(annulus.centre, [0, 0, 10])
    np.testing.assert_allclose(annulus.normal, [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(annulus.radii, [10, 15])
    inside = annulus.beyond(np.array([[0, 9, 11.0], [14, 0, 11], [0, 0, 9], [0, 11, 11], [16, 0, 11]]), 0.0, 1.0)
    np.testing.assert_array_equal(inside, [True, True, False, False, False])


def test_lv_and_myocardium_beyond_the_plane_over_the_orifice_are_cut_the_rest_kept() -> None:
    labels = np.zeros((40, 40, 8, 1), np.uint8)
    labels[_disk(9), 1:8, 0] = MYO  # 18 mm: inside the 20 mm annulus
    labels[_disk(6), 1:8, 0] = LV
    labels[2:6, 10:30, 1:8, 0] = RV
    annuli = mitral_annuli(_tracks(z_hinge=65.0), {"lax_2c": 1, "lax_4c": 1}, 1, [0])
    removed, refused = clip_at_mitral_plane(labels, SAX, annuli)
    assert not np.isin(labels[..., 7, 0], [LV, MYO]).any()  # slice 7 (z = 70 mm) lies beyond z = 65 mm
    assert (labels[_disk(6), 1:7, 0] == LV).all() and (labels[2:6, 10:30, 1:8, 0] == RV).all()
    assert removed == {0: int(_disk(9).sum())} and refused == []


def test_blood_pool_beyond_the_plane_beside_the_orifice_is_kept() -> None:
    """The LV outflow tract rises above the annular plane beside the orifice: it stays LV."""
    labels = np.zeros((40, 40, 8, 1), np.uint8)
    labels[_disk(6), 1:5, 0] = LV  # the ventricle below the plane
    labels[32:38, 17:23, 6, 0] = LV  # x 64-74 mm: beyond the 20 mm annulus radius, on a slice beyond the plane
    labels[17:23, 17:23, 6, 0] = LV  # over the orifice
    clip_at_mitral_plane(labels, SAX, mitral_annuli(_tracks(z_hinge=45.0), {"lax_2c": 1, "lax_4c": 1}, 1, [0]))
    assert (labels[32:38, 17:23, 6, 0] == LV).all() and not labels[17:23, 17:23, 6, 0].any()


def test_a_tilted_plane_cuts_part_of_a_slice() -> None:
    labels = np.zeros((40, 40, 8, 1), np.uint8)
    labels[_disk(8), 0:5, 0] = LV  # slice 4 (z = 40 mm) within the annulus; slices 0-3 below the plane
    annuli = mitral_annuli(_tracks(z_hinge=41.5, tilt=0.5), {"lax_2c": 1, "lax_4c": 1}, 1, [0])
    clip_at_mitral_plane(labels, SAX, annuli)
    # plane z = 41.5 + 0.5 (x - 40), the apex below it: at z = 40 the atrial side is x < 37 mm
    x = np.arange(40)[:, None] * 2.0
    kept = labels[..., 4, 0] == LV
    np.testing.assert_array_equal(kept, _disk(8) & (x > 37.0))
    assert 0 < kept.sum() < _disk(8).sum()


def test_frames_without_both_hinge_pairs_get_no_annulus() -> None:
    tracks = _tracks(z_hinge=45.0, n=2)
    tracks["lax_4c"]["mitral_septal"][1] = np.nan
    assert sorted(mitral_annuli(tracks, {"lax_2c": 2, "lax_4c": 2}, 2, [0, 1])) == [0]
    assert mitral_annuli({"lax_4c": tracks["lax_4c"]}, {"lax_4c": 2}, 2, [0, 1]) == {}


def test_a_cut_that_would_take_most_of_the_ventricle_is_refused() -> None:
    """Landmarks placed mid-ventricle (a failed tracking) must not erase half the LV."""
    labels = np.zeros((40, 40, 8, 1), np.uint8)
    labels[_disk(6), 1:8, 0] = LV
    before = labels.copy()
    removed, refused = clip_at_mitral_plane(labels, SAX, mitral_annuli(_tracks(z_hinge=25.0), {"lax_2c": 1,
                                                                                             "lax_4c": 1}, 1, [0]))
    assert removed == {} and refused == [0]
    np.testing.assert_array_equal(labels, before)


def _basal_probabilities(lv_inner: float, lv_outer: float) -> np.ndarray:
    """(C, x, y) probabilities of a basal slice: LV certain within ``lv_inner`` px, likely-but-below-threshold out to
    ``lv_outer`` px (p(LV) 0.3 vs 0.7 background), a myocardial ring outside, background beyond."""
    probs = np.zeros((4, 40, 40), np.float32)
    probs[0] = 1.0
    ring = _disk(lv_outer + 2) & ~_disk(lv_outer)
    probs[:, ring] = 0.0
    probs[MYO, ring] = 1.0
    weak = _disk(lv_outer) & ~_disk(lv_inner)
    probs[:, weak] = 0.0
    probs[LV, weak], probs[0, weak] = 0.3, 0.7
    probs[:, _disk(lv_inner)] = 0.0
    probs[LV, _disk(lv_inner)] = 1.0
    return probs


def test_a_slice_just_below_the_annulus_gets_its_lv_over_the_orifice_back() -> None:
    """Slice 6 (z = 60 mm) lies 3 mm below the annulus (z = 63 mm); the model labelled only a small core of its LV.
    The fill lowers the LV threshold there (background voxels only): the weak-but-real LV comes back, the
    myocardial ring stays."""
    probs = _basal_probabilities(lv_inner=3, lv_outer=9)
    labels = np.zeros((40, 40, 8, 1), np.uint8)
    labels[..., 6, 0] = np.argmax(probs, axis=0)
    before = labels.copy()
    annuli = mitral_annuli(_tracks(z_hinge=63.0), {"lax_2c": 1, "lax_4c": 1}, 1, [0])
    changed = fill_below_mitral_plane(labels, SAX, annuli, {0: {6: probs}})
    assert changed == {0: [6]}
    assert (labels[_disk(9), 6, 0] == LV).all()
    assert (labels[..., 6, 0][before[..., 6, 0] == MYO] == MYO).all()
    assert not labels[~_disk(11), 6, 0].any()


def test_no_fill_beyond_the_annulus_or_where_the_lv_already_covers_the_orifice() -> None:
    probs = _basal_probabilities(lv_inner=3, lv_outer=9)
    annuli = mitral_annuli(_tracks(z_hinge=57.0), {"lax_2c": 1, "lax_4c": 1}, 1, [0])  # slice 6 is 3 mm beyond
    labels = np.zeros((40, 40, 8, 1), np.uint8)
    labels[..., 6, 0] = np.argmax(probs, axis=0)
    assert fill_below_mitral_plane(labels, SAX, annuli, {0: {6: probs}}) == {}
    covered = _basal_probabilities(lv_inner=9, lv_outer=9)
    labels[..., 6, 0] = np.argmax(covered, axis=0)
    below = mitral_annuli(_tracks(z_hinge=63.0), {"lax_2c": 1, "lax_4c": 1}, 1, [0])
    assert fill_below_mitral_plane(labels, SAX, below, {0: {6: covered}}) == {}
