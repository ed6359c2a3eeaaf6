"""The "LV centre" point and the model-window ROI (issue 16, Slicer part) on a real headless MRML scene.

The ROI is checked with Slicer's own ``IsPointInROIWorld`` at the model grid's corner voxels, so a wrong centre,
size, axis order or a flip would move a corner out of the box (or an outside point into it).
"""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import itertools

import numpy as np
import pytest
from slicer_synthetic import oblique_affine

from CineMALib.preprocess import sax_model_grid
from CineMALib.study import CineView

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer


def _sax_view(n_slices=9):
    """A 1.4 mm x 1.4 mm x 8 mm oblique, flipped stack (the model grid is 1 x 1 x 10 mm, 192 x 192 x 16)."""
    affine = oblique_affine((1.4, 1.4, 8.0), (60.0, -40.0, 25.0))
    return CineView("sax", np.zeros((300, 280, n_slices, 2), dtype=np.float32), affine)


def _corners(grid, inset):
    """Model-grid points ``inset`` voxels inside (positive) or outside (negative) the ROI's eight corners."""
    lo = np.array([0.0, 0.0, grid.box[2][0]]) - 0.5
    hi = np.array([grid.shape[0], grid.shape[1], grid.box[2][1]], dtype=float) - 0.5
    for pick in itertools.product((0, 1), repeat=3):
        corner = np.where(pick, hi - inset, lo + inset)
        yield grid.points_to_world(corner)


def test_roi_is_the_model_window_in_plane_and_the_image_slices_through_plane(ctx):
    from CineMASlicer.lv_centre import show_window, window_roi

    view = _sax_view()
    centre = view.affine[:3, :3] @ np.array([150.0, 140.0, 4.0]) + view.affine[:3, 3]
    grid = sax_model_grid(view, centre)
    assert grid.box[2] == (0, 7)  # 9 slices x 8 mm resample to 7 slices of 10 mm; slices 7-15 are padding
    roi = window_roi(ctx)
    show_window(roi, grid)
    for point in _corners(grid, 0.05):
        assert roi.IsPointInROIWorld(point), point
    for point in _corners(grid, -0.2):
        assert not roi.IsPointInROIWorld(point), point
    np.testing.assert_allclose(sorted(roi.GetSize()), sorted([192.0, 192.0, 70.0]), atol=1e-6)
    show_window(roi, grid)
    assert ctx.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsROINode") == 1 and window_roi(ctx) is roi


def test_roi_follows_the_centre(ctx):
    from CineMASlicer.lv_centre import show_window, window_roi

    view = _sax_view()
    roi = window_roi(ctx)
    a = view.affine[:3, :3] @ np.array([150.0, 140.0, 4.0]) + view.affine[:3, 3]  # mid-image: no clamping
    b = a + np.array([20.0, -20.0, 0.0])
    show_window(roi, sax_model_grid(view, a))
    centre_a = np.array(roi.GetCenterWorld())
    show_window(roi, sax_model_grid(view, b))
    shift = np.array(roi.GetCenterWorld()) - centre_a
    assert np.linalg.norm(shift - (b - a)) < 1.5  # the window moves with the centre (to the 1 mm grid)


def test_automatic_point_is_not_an_override_until_the_user_moves_it(ctx):
    from CineMASlicer.lv_centre import centre_point, place_automatic, point_position, user_centre

    point = centre_point(ctx)
    assert point_position(point) is None and user_centre(point) is None
    automatic = np.array([12.5, -3.0, 40.0])
    place_automatic(point, automatic, "confidence 0.86")
    np.testing.assert_allclose(point_position(point), automatic)
    assert user_centre(point) is None
    point.SetNthControlPointPositionWorld(0, 22.5, -3.0, 40.0)  # the user drags it 10 mm to the right
    np.testing.assert_allclose(user_centre(point), [22.5, -3.0, 40.0])
    point.SetNthControlPointPositionWorld(0, 12.6, -3.0, 40.0)  # back onto the automatic place
    assert user_centre(point) is None
    place_automatic(point, np.array([0.0, 0.0, 0.0]))
    assert point.GetNumberOfControlPoints() == 1 and centre_point(ctx) is point
