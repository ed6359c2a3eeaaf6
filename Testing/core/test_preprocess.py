"""Model-grid preprocessing: exact geometry on oblique anisotropic stacks, round trips, shapes, intensities."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from scipy.spatial.transform import Rotation

from CineMALib.preprocess import (
    ModelGrid,
    dataset_style,
    frame_batch,
    lax_model_grid,
    resampled_geometry,
    sax_model_grid,
    scale_intensity,
    stacked_input,
)
from CineMALib.study import CineView, lps_to_ras, voxel_to_world
from conftest import shared_path


def oblique_view(seed: int, shape: tuple[int, int, int] = (150, 170, 11),
                 spacing: tuple[float, float, float] = (1.37, 1.37, 8.0), name: str = "sax",
                 n_frames: int = 1) -> tuple[CineView, np.ndarray]:
    """A random-intensity view with a random rotation; also returns its voxel -> LPS affine (for SimpleITK)."""
    rng = np.random.default_rng(seed)
    aff_lps = np.eye(4)
    aff_lps[:3, :3] = Rotation.random(random_state=seed).as_matrix() * np.asarray(spacing)
    aff_lps[:3, 3] = rng.uniform(-100, 100, 3)
    data = (rng.random((*shape, n_frames)) * 100).astype(np.float32)
    return CineView(name, data, lps_to_ras(aff_lps)), aff_lps


def ellipsoid(view: CineView, center_world: np.ndarray, semi_axes_mm: tuple[float, float, float],
              seed: int) -> np.ndarray:
    """Binary ellipsoid, randomly oriented in world space, sampled on the view's grid."""
    rot = Rotation.random(random_state=seed + 100).as_matrix()
    ijk = np.indices(view.shape, dtype=float).reshape(3, -1).T
    local = (voxel_to_world(view.affine, ijk) - center_world) @ rot
    inside = np.sum((local / np.asarray(semi_axes_mm)) ** 2, axis=1) <= 1.0
    return inside.reshape(view.shape).astype(np.uint8)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * np.logical_and(a, b).sum() / (a.sum() + b.sum())


def centroid_world(mask: np.ndarray, affine: np.ndarray) -> np.ndarray:
    return voxel_to_world(affine, np.argwhere(mask).mean(axis=0))


def test_sax_grid_matches_simpleitk_resample_on_oblique_stack() -> None:
    """The official resampler (sitk.Resample, origin shift in LPS components) then the integer crop, voxel for
    voxel — including zero padding where the window leaves the image."""
    view, aff_lps = oblique_view(seed=3)
    data = view.frame(0)
    spacing = np.linalg.norm(aff_lps[:3, :3], axis=0)
    image = sitk.GetImageFromArray(np.ascontiguousarray(data.T))
    image.SetSpacing(spacing.tolist())
    image.SetOrigin(aff_lps[:3, 3].tolist())
    image.SetDirection((aff_lps[:3, :3] / spacing).flatten().tolist())
    target = (1.0, 1.0, 10.0)
    size = [int(np.round(n * s / t)) for n, s, t in zip(data.shape, spacing, target, strict=True)]
    origin = [o + 0.5 * (t - s) for o, t, s in zip(image.GetOrigin(), target, spacing, strict=True)]
    resampled = sitk.GetArrayFromImage(sitk.Resample(image, size, sitk.Transform(), sitk.sitkLinear, origin,
                                                     target, image.GetDirection(), 0.0,
                                                     image.GetPixelID())).T
    res_affine, res_shape = resampled_geometry(view.affine, view.shape, target, "itk_world")
    assert res_shape == resampled.shape
    center_index = np.array([40.3, 150.7, 4.2])  # near an edge: the window pads on the high side along y
    grid = sax_model_grid(view, voxel_to_world(res_affine, center_index), origin_shift="itk_world",
                          clamp_to_image=False)
    start = np.ceil(center_index[:2] - 96).astype(int)
    expected = np.zeros((192, 192, 16), np.float32)
    sub = resampled[max(start[0], 0):start[0] + 192, max(start[1], 0):start[1] + 192]
    off = np.maximum(-start, 0)
    expected[off[0]:off[0] + sub.shape[0], off[1]:off[1] + sub.shape[1], :sub.shape[2]] = sub
    model = grid.to_model(data)
    assert model.shape == (192, 192, 16)
    assert np.count_nonzero(expected == 0) > 192 * 192  # the comparison covers padding too
    np.testing.assert_allclose(model, expected, atol=1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_world_points_round_trip_through_model_grid(seed: int) -> None:
    view, _ = oblique_view(seed)
    rng = np.random.default_rng(seed)
    center = voxel_to_world(view.affine, np.array(view.shape) / 2.0)
    grid = sax_model_grid(view, center)
    points = center + rng.uniform(-40, 40, (50, 3))
    model_idx = grid.world_to_points(points)
    np.testing.assert_allclose(grid.points_to_world(model_idx), points, atol=1e-6)
    # snapped to the nearest model voxel, a point moves by at most half a voxel along each model axis
    snapped = grid.points_to_world(np.rint(model_idx))
    along_axes = (snapped - points) @ (grid.affine[:3, :3] / grid.spacing)
    assert np.all(np.abs(along_axes) <= grid.spacing / 2 + 1e-6)
    src = grid.points_to_source_voxel(model_idx)
    np.testing.assert_allclose(voxel_to_world(view.affine, src), points, atol=1e-6)
    np.testing.assert_allclose(grid.source_voxel_to_points(src), model_idx, atol=1e-6)


def blob_case(seed: int) -> tuple[CineView, ModelGrid, np.ndarray]:
    """An oblique 1.37 x 1.37 x 8 mm stack, its SAX model grid, and an oblique ellipsoid label on it."""
    view, _ = oblique_view(seed)
    center_world = voxel_to_world(view.affine, np.array([70.0, 90.0, 5.0]))
    return view, sax_model_grid(view, center_world), ellipsoid(view, center_world, (30.0, 22.0, 38.0), seed)


def shift_along_axes(result: np.ndarray, blob: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Centroid displacement (mm) of ``result`` vs ``blob`` along the grid's own axes."""
    shift = centroid_world(result > 0, affine) - centroid_world(blob > 0, affine)
    return shift @ (affine[:3, :3] / np.linalg.norm(affine[:3, :3], axis=0))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_soft_label_round_trip_within_half_source_voxel(seed: int) -> None:
    """Probabilities taken to the model grid and pulled back linearly (``logits_to_source``)."""
    view, grid, blob = blob_case(seed)
    probs = np.stack([grid.to_model(1.0 - blob), grid.to_model(blob.astype(np.float32))])
    back = grid.logits_to_source(np.log(np.clip(probs, 1e-6, 1.0)))
    assert dice(back > 0, blob > 0) > 0.99
    assert np.all(np.abs(shift_along_axes(back, blob, view.affine)) <= view.spacing / 2)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_hard_label_round_trip_keeps_blob(seed: int) -> None:
    """Hard labels on the 10 mm model grid (what an argmax gives) pulled back two ways.

    Through 8 -> 10 -> 8 mm slices, nearest neighbour duplicates and drops slices; the probability pull-back
    stays within Dice 0.9 and half a model voxel (diagonal 5.05 mm) of the truth, nearest is coarser.
    """
    view, grid, blob = blob_case(seed)
    hard = grid.to_model(blob.astype(np.float32)) >= 0.5
    soft_back = grid.logits_to_source(5.0 * np.stack([~hard, hard]).astype(np.float32))
    near_back = grid.labels_to_source(hard.astype(np.uint8))
    half_model_voxel = 0.5 * float(np.linalg.norm(grid.spacing))
    assert dice(soft_back > 0, blob > 0) > 0.9
    assert np.linalg.norm(shift_along_axes(soft_back, blob, view.affine)) <= half_model_voxel
    assert dice(near_back > 0, blob > 0) > 0.85
    assert np.linalg.norm(shift_along_axes(near_back, blob, view.affine)) <= 2 * half_model_voxel


def test_pull_back_keeps_thin_last_slice() -> None:
    """21 slices of 5 mm resample to round(10.5) = 10 slices of 10 mm: the last source slice centre lies 2.5 mm
    past the model extent. Pulling labels back must still cover it (edge value within one model voxel)."""
    view, _ = oblique_view(11, shape=(100, 100, 21), spacing=(1.2, 1.2, 5.0))
    grid = sax_model_grid(view, voxel_to_world(view.affine, np.array([50.0, 50.0, 10.0])))
    assert grid.box[2] == (0, 10)
    ones = grid.box_mask().astype(np.uint8)
    assert np.all(grid.labels_to_source(ones) == 1)
    assert np.all(grid.logits_to_source(np.stack([1.0 - ones, ones]).astype(np.float32) * 5) == 1)
    assert not np.any(grid.labels_to_source(np.zeros(grid.shape, np.uint8)))


def test_lax_blob_round_trip() -> None:
    view, _ = oblique_view(12, shape=(200, 180, 1), spacing=(1.45, 1.45, 7.0), name="lax_2c")
    center_world = voxel_to_world(view.affine, np.array([90.0, 100.0, 0.0]))
    blob = ellipsoid(view, center_world, (35.0, 20.0, 60.0), 12)
    grid = lax_model_grid(view, center_world + 3.0 * view.affine[:3, 2] / 7.0)  # an off-plane centre projects
    assert grid.shape == (256, 256, 1)
    probs = np.stack([grid.to_model(1.0 - blob), grid.to_model(blob.astype(np.float32))])
    back = grid.logits_to_source(np.log(np.clip(probs, 1e-6, 1.0)))
    assert dice(back > 0, blob > 0) > 0.97
    assert np.all(np.abs(shift_along_axes(back, blob, view.affine))[:2] <= view.spacing[:2] / 2)
    # model outputs of a LAX network have no depth axis: (C, X, Y) logits, (X, Y) labels, (x, y) points
    np.testing.assert_array_equal(grid.logits_to_source(np.log(np.clip(probs[..., 0], 1e-6, 1.0))), back)
    hard = np.rint(grid.to_model(blob, order=0))[..., 0]
    assert dice(grid.labels_to_source(hard) > 0, blob > 0) > 0.95
    xy = np.array([[10.0, 20.0], [200.0, 31.5]])
    np.testing.assert_allclose(grid.points_to_world(xy), grid.points_to_world(np.c_[xy, np.zeros(2)]))
    np.testing.assert_allclose(grid.points_to_source_voxel(xy)[:, 2], 0.0, atol=1e-9)  # on the plane


def test_probabilities_outside_model_window_are_background() -> None:
    view, _ = oblique_view(0, shape=(300, 300, 8), spacing=(1.0, 1.0, 10.0))
    grid = sax_model_grid(view, voxel_to_world(view.affine, np.array([150.0, 150.0, 4.0])))
    ones = np.zeros((2, *grid.shape), np.float32)
    ones[1] = 10.0  # logit strongly favours class 1 everywhere in the window
    labels = grid.logits_to_source(ones)
    inside = labels == 1
    assert 0 < inside.sum() < labels.size
    idx = np.argwhere(inside)
    extent = idx.max(axis=0) - idx.min(axis=0) + 1
    assert tuple(extent[:2]) == (192, 192)  # exactly the window, nothing of the rest of the 300 x 300 plane


def test_model_shapes_and_tensor_layout() -> None:
    sax, _ = oblique_view(4, n_frames=3)
    grid = sax_model_grid(sax, voxel_to_world(sax.affine, np.array(sax.shape) / 2.0))
    assert grid.shape == (192, 192, 16) and not grid.is_2d
    np.testing.assert_allclose(grid.spacing, [1.0, 1.0, 10.0])
    assert stacked_input(sax, grid, [0, 2]).shape == (1, 2, 192, 192, 16)
    assert frame_batch(sax, grid, [0, 1, 2]).shape == (3, 1, 192, 192, 16)
    lax, _ = oblique_view(5, shape=(208, 240, 1), spacing=(1.4, 1.4, 6.0), name="lax_4c", n_frames=2)
    lgrid = lax_model_grid(lax, voxel_to_world(lax.affine, np.array([100.0, 120.0, 0.0])))
    assert lgrid.shape == (256, 256, 1) and lgrid.is_2d
    np.testing.assert_allclose(lgrid.spacing, [1.0, 1.0, 6.0])
    assert stacked_input(lax, lgrid, [0, 1]).shape == (1, 2, 256, 256)
    with pytest.raises(ValueError, match="one plane"):
        lax_model_grid(sax, np.zeros(3))


def test_joint_intensity_scaling_is_exactly_unit_range() -> None:
    rng = np.random.default_rng(7)
    ed = rng.uniform(50, 400, (20, 20, 4)).astype(np.float32)
    stack = np.stack([ed, 0.5 * ed])
    scaled = scale_intensity(stack)
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    lo, hi = stack.min(), stack.max()
    np.testing.assert_allclose(scaled, (stack - lo) / (hi - lo), rtol=1e-5, atol=1e-6)  # one joint min/max
    assert scaled[1].max() < 0.6  # the dimmer frame was not stretched on its own
    mask = np.zeros((20, 20, 4), bool)
    mask[5:15] = True
    masked = scale_intensity(stack, mask)
    assert masked[:, ~mask].max() == 0.0 and masked[:, mask].min() == 0.0 and masked[:, mask].max() == 1.0
    assert not np.any(scale_intensity(np.full((3, 3), 5.0)))  # constant input: zeros, no NaN


def test_stacked_input_is_unit_range_and_padding_zero() -> None:
    view, _ = oblique_view(6, shape=(120, 110, 6), n_frames=2)
    view.data[..., 1] *= 3.0
    grid = sax_model_grid(view, voxel_to_world(view.affine, np.array([60.0, 55.0, 3.0])))
    x = stacked_input(view, grid, [0, 1])
    mask = grid.fov_mask()
    assert x.min() == 0.0 and x.max() == 1.0
    assert not np.any(x[..., ~mask])
    assert x[0, 0][mask].max() < 0.5  # frame 0 is a third as bright: joint scaling keeps that


def test_dataset_style_percentile_clip() -> None:
    rng = np.random.default_rng(8)
    frame = rng.normal(100, 20, (40, 40, 5)).astype(np.float32)
    frame[0, 0, 0] = 1e4  # an outlier the 99.5th percentile clips away
    out = dataset_style(frame)
    assert out.min() == 0.0 and out.max() == 255.0
    assert np.array_equal(out, np.floor(out))
    lo, hi = np.percentile(frame, [0.95, 99.5])
    expected = np.floor((np.clip(frame, lo, hi) - lo) / (hi - lo) * 255.0)
    assert np.mean(np.abs(out - expected) <= 1.0) == 1.0
    assert np.sum(out == 255.0) >= 0.004 * frame.size  # everything above the 99.5th percentile saturates


def test_deep_stack_cropped_around_centre_with_warning() -> None:
    view, _ = oblique_view(9, shape=(100, 100, 25), spacing=(1.0, 1.0, 10.0))
    center = voxel_to_world(view.affine, np.array([50.0, 50.0, 18.0]))
    grid = sax_model_grid(view, center)
    assert grid.warning is not None and "exceed" in grid.warning
    kept = grid.points_to_source_voxel(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 15.0]]))[:, 2]
    np.testing.assert_allclose(kept, [9.0, 24.0], atol=1e-6)  # ceil(18 - 8) = 10 .. 25 shifted inside: 9 .. 24
    shallow = sax_model_grid(oblique_view(9, shape=(100, 100, 9), spacing=(1.0, 1.0, 10.0))[0], center)
    assert shallow.warning is None and shallow.box[2] == (0, 9)  # padded at the end


def test_small_image_is_kept_whole_in_window() -> None:
    view, _ = oblique_view(10, shape=(90, 120, 8), spacing=(1.0, 1.0, 10.0))
    grid = sax_model_grid(view, voxel_to_world(view.affine, np.array([5.0, 100.0, 4.0])))
    assert all(hi - lo == n for (lo, hi), n in zip(grid.box, (90, 120, 8), strict=True))
    model = grid.to_model(view.frame(0))
    assert np.count_nonzero(model) == view.frame(0).size


def load_nifti_view(path, name: str) -> CineView:
    nib = pytest.importorskip("nibabel")
    image = nib.load(str(path))
    return CineView(name, np.asarray(image.dataobj, dtype=np.float32), image.affine)


EXAMPLES = ["acdc_sax_ed", "acdc_sax_es", "mnms_sax_ed", "mnms_sax_es", "mnms2_sax_ed", "mnms2_sax_es",
            "mnms2_lax_4c_ed", "mnms2_lax_4c_es"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_preprocessed_examples_come_back_unchanged(name: str) -> None:
    """The official example frames are already on the model grid: centred on the image centre, the model grid
    must be the same voxels (then padded at the end in depth)."""
    view = load_nifti_view(shared_path("data", "cinema-examples", f"{name}.nii.gz"), "lax_4c" if "lax" in name
                           else "sax")
    center = voxel_to_world(view.affine, (np.array(view.shape) - 1) / 2.0)
    grid: ModelGrid = lax_model_grid(view, center) if "lax" in name else sax_model_grid(view, center)
    np.testing.assert_allclose(grid.affine[:3, :3], view.affine[:3, :3], atol=1e-4)
    x = stacked_input(view, grid, [0])
    original = scale_intensity(view.frame(0))
    nz = view.shape[2]
    if grid.is_2d:
        np.testing.assert_allclose(x[0, 0], original[..., 0], atol=1e-5)
    else:
        np.testing.assert_allclose(x[0, 0, ..., :nz], original, atol=1e-5)
        assert not np.any(x[0, 0, ..., nz:])
    labels = (view.frame(0) > np.median(view.frame(0))).astype(np.uint8)
    np.testing.assert_array_equal(grid.labels_to_source(np.rint(grid.to_model(labels, order=0))), labels)
