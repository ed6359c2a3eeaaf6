"""Synthetic phantom geometry: oblique SAX stack, LAX planes through the long axis, landmarks on the LAX images."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.labels import LV, MYO, RV
from CineMALib.phantom import Phantom, generate_phantom
from CineMALib.phantom.render import subplane_offsets
from CineMALib.results import LANDMARK_NAMES, TRICUSPID_LATERAL
from CineMALib.study import spacing_from_affine, voxel_to_world, world_to_voxel


@pytest.fixture(scope="module", params=[(2, "normal"), (3, "hcm")], ids=["normal-2", "hcm-3"])
def phantom(request: pytest.FixtureRequest) -> Phantom:
    seed, pathology = request.param
    return generate_phantom(seed, pathology, 10)


def _plane_distance(affine: np.ndarray, points: np.ndarray) -> np.ndarray:
    normal = affine[:3, 2] / np.linalg.norm(affine[:3, 2])
    return np.abs((points - affine[:3, 3]) @ normal)


def _labels_near(phantom: Phantom, view: str, t: int, point: np.ndarray, radius_mm: float) -> set[int]:
    """Label values of the pixels of a LAX label image within ``radius_mm`` (in-plane) of a world point."""
    affine = phantom.study[view].affine
    lab = phantom.labels[view][:, :, 0, t]
    ii, jj = np.meshgrid(np.arange(lab.shape[0]), np.arange(lab.shape[1]), indexing="ij")
    centres = voxel_to_world(affine, np.stack([ii, jj, np.zeros_like(ii)], axis=-1))
    near = np.linalg.norm(centres - point, axis=-1) <= radius_mm
    return set(np.unique(lab[near]).tolist())


def test_landmarks_have_the_cinema_names_and_one_point_per_frame(phantom: Phantom) -> None:
    assert set(phantom.landmarks_world) == {"lax_2c", "lax_4c"}
    assert tuple(phantom.landmarks_world["lax_2c"]) == LANDMARK_NAMES["lax_2c"]
    assert tuple(phantom.landmarks_world["lax_4c"]) == LANDMARK_NAMES["lax_4c"] + (TRICUSPID_LATERAL,)
    for points in phantom.landmarks_world.values():
        for track in points.values():
            assert track.shape == (phantom.study["sax"].n_frames, 3) and np.all(np.isfinite(track))


def test_landmarks_lie_in_their_lax_plane(phantom: Phantom) -> None:
    for view, points in phantom.landmarks_world.items():
        for name, track in points.items():
            assert _plane_distance(phantom.study[view].affine, track).max() < 0.5, (view, name)
            ijk = world_to_voxel(phantom.study[view].affine, track)
            shape = phantom.study[view].shape
            assert np.all((ijk[:, :2] >= 0) & (ijk[:, :2] <= np.array(shape[:2]) - 1)), (view, name)


def test_landmarks_sit_on_the_lv_and_rv_contours(phantom: Phantom) -> None:
    es = phantom.truth["continuous"]["ES frame"]
    for t in (0, es):
        for view, points in phantom.landmarks_world.items():
            hinges = [n for n in points if n.startswith("mitral")]
            for name in hinges:
                assert {LV, MYO} <= _labels_near(phantom, view, t, points[name][t], 3.0), (view, name, t)
            assert MYO in _labels_near(phantom, view, t, points["apex"][t], 3.0), (view, t)
            # the epicardial apex is the myocardium point farthest from the mitral-annulus centre
            centre = np.mean([points[n][t] for n in hinges], axis=0)
            lab = phantom.labels[view][:, :, 0, t]
            ij = np.argwhere(lab == MYO).astype(float)
            myo = voxel_to_world(phantom.study[view].affine, np.column_stack([ij, np.zeros(len(ij))]))
            farthest = np.linalg.norm(myo - centre, axis=1).max()
            assert abs(farthest - np.linalg.norm(points["apex"][t] - centre)) < 2.5, (view, t)
        assert RV in _labels_near(phantom, "lax_4c", t, phantom.landmarks_world["lax_4c"][TRICUSPID_LATERAL][t], 3.0)


def test_mitral_hinges_descend_towards_the_fixed_apex_in_systole(phantom: Phantom) -> None:
    es = phantom.truth["continuous"]["ES frame"]
    for points in phantom.landmarks_world.values():
        apex = points["apex"]
        np.testing.assert_allclose(apex, apex[0][None, :].repeat(len(apex), axis=0), atol=1e-9)
        for name in (n for n in points if n.startswith("mitral")):
            assert np.linalg.norm(points[name][es] - apex[es]) < np.linalg.norm(points[name][0] - apex[0]) - 4.0


def test_sax_stack_is_oblique_regular_and_covers_both_ventricles(phantom: Phantom) -> None:
    sax = phantom.study["sax"]
    axes = sax.affine[:3, :3] / sax.spacing
    np.testing.assert_allclose(axes.T @ axes, np.eye(3), atol=1e-9)
    assert np.linalg.det(sax.affine[:3, :3]) > 0
    assert np.abs(axes).max() < 0.99  # no image axis along a scanner axis: a truly oblique stack
    assert sax.spacing[2] == pytest.approx(10.0) and phantom.stacks["sax"].thickness == pytest.approx(8.0)
    assert 1.4 <= sax.spacing[0] <= 1.9 and 1.4 <= sax.spacing[1] <= 1.9
    assert 136 <= min(sax.shape[:2]) and max(sax.shape[:2]) <= 192 and 9 <= sax.shape[2] <= 16
    ed = phantom.labels["sax"][..., 0]
    with_heart = [k for k in range(sax.shape[2]) if np.any(ed[:, :, k] > 0)]
    assert 0 < with_heart[0] and with_heart[-1] < sax.shape[2] - 1  # margin below the apex and above the base
    assert len(with_heart) >= 8
    assert np.count_nonzero(ed == RV) > 0.3 * np.count_nonzero(ed == LV)


def test_sax_normal_is_close_to_the_long_axis(phantom: Phantom) -> None:
    points = phantom.landmarks_world["lax_4c"]
    axis = np.mean([points["mitral_lateral"][0], points["mitral_septal"][0]], axis=0) - points["apex"][0]
    normal = phantom.study["sax"].affine[:3, 2] / 10.0
    angle = np.degrees(np.arccos(abs(axis @ normal) / np.linalg.norm(axis)))
    assert angle < 20.0


def test_lax_planes_are_single_slices_through_the_long_axis(phantom: Phantom) -> None:
    apex = phantom.landmarks_world["lax_2c"]["apex"][0]
    mitral_centre = phantom.heart_frame.to_world(np.array([0.0, 0.0, phantom.shapes.z_base[0]]))
    for view in ("lax_2c", "lax_3c", "lax_4c"):
        cine = phantom.study[view]
        assert cine.is_2d and 192 <= min(cine.shape[:2]) and max(cine.shape[:2]) <= 224
        assert 1.4 <= spacing_from_affine(cine.affine)[0] <= 1.9
        assert _plane_distance(cine.affine, np.stack([apex, mitral_centre])).max() < 1e-6
        present = set(np.unique(phantom.labels[view][..., 0]).tolist())
        assert {LV, MYO} <= present, view
    lab_2c, lab_4c = phantom.labels["lax_2c"], phantom.labels["lax_4c"]
    assert np.count_nonzero(lab_4c == RV) > 0.2 * np.count_nonzero(lab_4c == LV)
    assert np.count_nonzero(lab_2c == RV) < 0.05 * np.count_nonzero(lab_2c == LV)


def test_images_have_bssfp_contrast_on_the_labels(phantom: Phantom) -> None:
    for view in ("sax", "lax_4c"):
        img, lab = phantom.study[view].data[..., 0], phantom.labels[view][..., 0]
        blood, myo = np.median(img[lab == LV]), np.median(img[lab == MYO])
        assert blood > 2.0 * myo, view
        assert np.median(img[lab == RV]) > 2.0 * myo, view
        assert np.median(img[lab == 0]) < blood
        assert img.max() <= 4095 and np.all(img == np.rint(img))
    air = phantom.study["sax"].data[:3, :3, :, :]  # image corners lie outside the body: noise only
    assert 0 < air.mean() < 0.1 * np.median(phantom.study["sax"].data[..., 0][phantom.labels["sax"][..., 0] == LV])


def test_subplane_offsets_sample_the_slice_profile_symmetrically() -> None:
    offsets = subplane_offsets(8.0, 5)
    np.testing.assert_allclose(offsets, [-3.2, -1.6, 0.0, 1.6, 3.2])
    assert np.abs(subplane_offsets(8.0, 3)).max() < 4.0 and 0.0 in subplane_offsets(8.0, 3)
