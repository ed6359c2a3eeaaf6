"""End-slice re-thresholding against the 4C view, on a synthetic geometry where the right answer is known."""

from __future__ import annotations

import numpy as np

from CineMALib.analysis.basal import Bands
from CineMALib.analysis.end_slices import EndSliceProbabilities, calibrate_end_slices, fit_offset
from CineMALib.labels import LV, RV
from CineMALib.study import CineView


def _views() -> tuple[CineView, CineView]:
    """SAX: 40 x 40 x 8 at 2 x 2 x 10 mm (slice k at z = 10 k). 4C: the x-z plane through y = 40 mm (SAX column 20),
    2 mm pixels, so SAX slice k is 4C column 5 k."""
    sax = CineView("sax", np.zeros((40, 40, 8, 1), np.float32), np.diag([2.0, 2.0, 10.0, 1.0]))
    lax_affine = np.array([[2.0, 0, 0, 0], [0, 0, 8.0, 40.0], [0, 2.0, 0, 0], [0, 0, 0, 1]])
    return sax, CineView("lax_4c", np.zeros((40, 40, 1, 1), np.float32), lax_affine)


def _disk(radius: float, centre: tuple[int, int] = (20, 20)) -> np.ndarray:
    ii, jj = np.indices((40, 40))
    return (ii - centre[0]) ** 2 + (jj - centre[1]) ** 2 <= radius**2


def _probabilities(rv_prob: dict[int, np.ndarray]) -> np.ndarray:
    """(4, 40, 40, 8) probabilities: per slice, p(RV) as given (0.01 where not), the rest background."""
    probs = np.zeros((4, 40, 40, 8), np.float32)
    probs[RV] = 0.01
    for k, p in rv_prob.items():
        probs[RV, :, :, k] = p
    probs[0] = 1.0 - probs[RV]
    return probs


def _run(probs: np.ndarray, lax_rv_rows: slice, lax_rv_cols: slice) -> tuple[np.ndarray, dict]:
    sax, lax = _views()
    labels = np.argmax(probs, axis=0).astype(np.uint8)[..., np.newaxis]
    store = EndSliceProbabilities()
    store.keep(0, probs, labels[..., 0])
    lax_labels = np.zeros((40, 40, 1, 1), np.uint8)
    lax_labels[lax_rv_rows, lax_rv_cols, 0, 0] = RV
    changes = calibrate_end_slices(labels, store, sax, lax_labels, lax, [0], [0])
    return labels[..., 0], changes


def test_a_slice_the_model_left_below_threshold_is_recovered_where_the_4c_shows_it() -> None:
    disk = _disk(6)  # 24 mm across the 4C line
    probs = _probabilities({k: np.where(disk, 0.9 if k < 6 else 0.3, 0.01) for k in range(1, 7)})
    # 4C: RV 24 mm wide (x 28-50 mm) from z = 8 to 62 mm, i.e. on slices 1-6
    labels, changes = _run(probs, slice(14, 26), slice(4, 32))
    assert changes == {0: {RV: [6]}}
    np.testing.assert_array_equal(labels[..., 6] == RV, disk)
    assert (labels[..., 7] == 0).all()


def test_slices_that_agree_with_the_4c_are_left_alone() -> None:
    disk = _disk(6)
    probs = _probabilities({k: np.where(disk, 0.9, 0.01) for k in range(1, 6)} | {6: np.where(disk, 0.3, 0.01)})
    labels_before = np.argmax(probs, axis=0)
    labels, changes = _run(probs, slice(14, 26), slice(4, 27))  # the 4C also ends at slice 5
    assert changes == {}
    np.testing.assert_array_equal(labels, labels_before)


def test_a_gross_overcall_is_shrunk_to_the_models_more_confident_core() -> None:
    core, wide = _disk(5), _disk(10)
    probs = _probabilities({k: np.where(core, 0.9, np.where(wide, 0.6, 0.01)) for k in range(1, 6)})
    # 4C: RV 40 mm wide on slices 1-4 but only 20 mm (x 30-50 mm) on slice 5
    sax, lax = _views()
    lax_labels = np.zeros((40, 40, 1, 1), np.uint8)
    lax_labels[10:30, 4:23, 0, 0] = RV
    lax_labels[15:25, 23:27, 0, 0] = RV
    labels = np.argmax(probs, axis=0).astype(np.uint8)[..., np.newaxis]
    store = EndSliceProbabilities()
    store.keep(0, probs, labels[..., 0])
    changes = calibrate_end_slices(labels, store, sax, lax_labels, lax, [0], [0])
    assert changes == {0: {RV: [5]}}
    np.testing.assert_array_equal(labels[..., 5, 0] == RV, core)
    np.testing.assert_array_equal(labels[..., 4, 0] == RV, wide)


def test_a_structure_off_the_4c_line_is_never_changed() -> None:
    """An RV outflow tract out of the 4C plane: its chord is 0 in both views, whatever its probabilities."""
    disk, tract = _disk(6), _disk(3, centre=(20, 5))
    probs = _probabilities({k: np.where(disk, 0.9, 0.01) for k in range(1, 6)} | {6: np.where(tract, 0.9, 0.01)})
    labels, changes = _run(probs, slice(14, 26), slice(4, 27))
    assert changes == {}
    np.testing.assert_array_equal(labels[..., 6] == RV, tract)


def test_fit_offset_matches_the_target_chord_and_prefers_no_shift() -> None:
    sax, lax = _views()
    bands = Bands(sax, lax)
    ramp = np.clip(1.0 - np.hypot(*(np.indices((40, 40)) - 20)) / 15.0, 0.01, 0.99)  # p(RV) falls off with radius
    probs = np.stack([1 - ramp, ramp, np.zeros_like(ramp), np.zeros_like(ramp)])
    log_p = np.log(np.clip(probs, 1e-6, 1))
    offset, plane = fit_offset(log_p, RV, 20.0, bands, 3)
    assert offset < 0 and abs(bands.sax_chord(3, RV, plane) - 20.0) <= 2.0
    chord_now = bands.sax_chord(3, RV, np.argmax(log_p, axis=0))
    assert fit_offset(log_p, RV, chord_now, bands, 3)[0] == 0.0


def test_the_lv_blood_pool_is_only_ever_raised() -> None:
    """An LV end slice claiming more than the 4C shows is left to the trim and the mitral-plane cut."""
    core, wide = _disk(5), _disk(10)
    probs = np.zeros((4, 40, 40, 8), np.float32)
    for k in range(1, 6):
        probs[LV, :, :, k] = np.where(core, 0.9, np.where(wide, 0.6, 0.01))
    probs[0] = 1.0 - probs[LV]
    sax, lax = _views()
    lax_labels = np.zeros((40, 40, 1, 1), np.uint8)
    lax_labels[10:30, 4:23, 0, 0] = LV
    lax_labels[15:25, 23:27, 0, 0] = LV  # 20 mm on slice 5, where the SAX claims 40 mm
    labels = np.argmax(probs, axis=0).astype(np.uint8)[..., np.newaxis]
    store = EndSliceProbabilities()
    store.keep(0, probs, labels[..., 0])
    assert calibrate_end_slices(labels, store, sax, lax_labels, lax, [0], [0]) == {}
    np.testing.assert_array_equal(labels[..., 5, 0] == LV, wide)


def test_a_slice_the_4c_image_does_not_reach_is_left_alone() -> None:
    """No 4C evidence is not evidence of absence: a slice beyond the 4C image's edge keeps the model's labels."""
    disk = _disk(6)
    probs = _probabilities({k: np.where(disk, 0.9, 0.01) for k in range(1, 7)})
    sax, _ = _views()
    lax_affine = np.array([[2.0, 0, 0, 0], [0, 0, 8.0, 40.0], [0, 2.0, 0, 0], [0, 0, 0, 1]])
    lax = CineView("lax_4c", np.zeros((40, 28, 1, 1), np.float32), lax_affine)  # z up to 54 mm: slice 6 unseen
    lax_labels = np.zeros((40, 28, 1, 1), np.uint8)
    lax_labels[14:26, 4:28, 0, 0] = RV
    labels = np.argmax(probs, axis=0).astype(np.uint8)[..., np.newaxis]
    store = EndSliceProbabilities()
    store.keep(0, probs, labels[..., 0])
    assert calibrate_end_slices(labels, store, sax, lax_labels, lax, [0], [0]) == {}
    np.testing.assert_array_equal(labels[..., 6, 0] == RV, disk)
