"""The SAX-versus-LAX-4C end-slice check on a synthetic geometry where the right answer is known by construction."""

from __future__ import annotations

import numpy as np

from CineMALib.analysis.basal import _end_runs, trim_with_lax_4c, uncovered_end_slices
from CineMALib.labels import LV, RV
from CineMALib.study import CineView


def _views() -> tuple[CineView, CineView]:
    """SAX: 40 x 40 x 8 at 2 x 2 x 10 mm (slice k at z = 10 k). 4C: the x-z plane through y = 40 mm, 2 mm pixels."""
    sax = CineView("sax", np.zeros((40, 40, 8, 1), np.float32), np.diag([2.0, 2.0, 10.0, 1.0]))
    lax_affine = np.array([[2.0, 0, 0, 0], [0, 0, 8.0, 40.0], [0, 2.0, 0, 0], [0, 0, 0, 1]])
    lax = CineView("lax_4c", np.zeros((40, 40, 1, 1), np.float32), lax_affine)
    return sax, lax


def _disk(k_slices: range, centre: tuple[int, int], radius: float, value: int, labels: np.ndarray) -> None:
    ii, jj = np.indices(labels.shape[:2])
    disk = (ii - centre[0]) ** 2 + (jj - centre[1]) ** 2 <= radius**2
    for k in k_slices:
        labels[:, :, k, 0][disk] = value


def test_clears_end_slices_the_4c_contradicts_and_keeps_the_rest() -> None:
    sax, lax = _views()
    sax_labels = np.zeros((40, 40, 8, 1), np.uint8)
    _disk(range(1, 7), (20, 20), 6, LV, sax_labels)  # LV on slices 1-6, crossing the 4C line y = 20 px
    lax_labels = np.zeros((40, 40, 1, 1), np.uint8)
    lax_labels[14:27, 4:22, 0, 0] = LV  # the 4C shows LV only from z = 8 to 42 mm: slices 1-4
    before = sax_labels.copy()
    changes = trim_with_lax_4c(sax_labels, sax, lax_labels, lax, [0], [0])
    assert changes == {0: {LV: [5, 6]}}
    assert not sax_labels[..., 5:7, 0].any()
    np.testing.assert_array_equal(sax_labels[..., :5, 0], before[..., :5, 0])


def test_structures_off_the_4c_line_are_not_judged() -> None:
    """An RV outflow tract lies out of the 4C plane: no evidence either way, so it stays."""
    sax, lax = _views()
    sax_labels = np.zeros((40, 40, 8, 1), np.uint8)
    _disk(range(2, 6), (20, 20), 5, RV, sax_labels)
    _disk(range(6, 7), (20, 5), 3, RV, sax_labels)  # slice 6: RV only near y = 10 mm, far from the 4C line
    lax_labels = np.zeros((40, 40, 1, 1), np.uint8)
    lax_labels[15:26, 8:28, 0, 0] = RV  # 4C RV on slices 2-5 only
    changes = trim_with_lax_4c(sax_labels, sax, lax_labels, lax, [0], [0])
    assert changes == {}
    assert sax_labels[..., 6, 0].any()


def test_unanalysed_4c_frames_give_no_evidence() -> None:
    sax, lax = _views()
    sax_labels = np.zeros((40, 40, 8, 1), np.uint8)
    _disk(range(1, 7), (20, 20), 6, LV, sax_labels)
    assert trim_with_lax_4c(sax_labels, sax, np.zeros((40, 40, 1, 1), np.uint8), lax, [0], []) == {}


def test_end_runs_rules() -> None:
    no = np.zeros(6, bool)
    area = np.array([0, 50, 50, 50, 50, 0])
    assert _end_runs(area, np.array([0, 0, 1, 0, 0, 0], bool)) == []  # never a hole between kept slices
    assert _end_runs(area, np.array([0, 1, 1, 1, 1, 0], bool)) == []  # never every slice
    assert _end_runs(area, np.array([0, 1, 0, 0, 1, 0], bool)) == [1, 4]  # both ends
    sliver = np.array([0, 50, 50, 50, 2, 0])
    assert _end_runs(sliver, np.array([0, 0, 0, 1, 0, 0], bool)) == [3, 4]  # a sliver goes with its neighbour
    assert _end_runs(sliver, no) == []


def _lv_in_4c_on_slices_1_to_6() -> np.ndarray:
    lax_labels = np.zeros((40, 40, 1, 1), np.uint8)
    lax_labels[14:27, 4:32, 0, 0] = LV  # z = 8 to 62 mm: crosses SAX slices 1-6
    return lax_labels


def test_coverage_warning_names_an_empty_slice_the_4c_crosses_and_edits_nothing() -> None:
    sax, lax = _views()
    sax_labels = np.zeros((40, 40, 8, 1), np.uint8)
    _disk(range(1, 7), (20, 20), 6, LV, sax_labels)
    assert uncovered_end_slices(sax_labels, sax, _lv_in_4c_on_slices_1_to_6(), lax, [0], [0]) == []
    sax_labels[..., 6, 0] = 0  # the SAX model missed the basal slice
    before = sax_labels.copy()
    warnings = uncovered_end_slices(sax_labels, sax, _lv_in_4c_on_slices_1_to_6(), lax, [0], [0])
    assert len(warnings) == 1 and "LV frame 0: SAX slice 6 has no LV" in warnings[0]
    np.testing.assert_array_equal(sax_labels, before)


def test_coverage_warning_names_an_end_slice_far_narrower_than_the_4c() -> None:
    sax, lax = _views()
    sax_labels = np.zeros((40, 40, 8, 1), np.uint8)
    _disk(range(1, 6), (20, 20), 6, LV, sax_labels)
    _disk(range(6, 7), (20, 20), 1, LV, sax_labels)  # slice 6 keeps only a sliver of LV on the 4C line
    lax_labels = _lv_in_4c_on_slices_1_to_6()
    warnings = uncovered_end_slices(sax_labels, sax, lax_labels, lax, [0], [0])
    assert len(warnings) == 1 and "SAX slice 6 crosses the 4-chamber plane" in warnings[0]


def test_coverage_warning_on_a_phantom_true_labels_pass_and_a_dropped_basal_slice_is_named() -> None:
    from CineMALib.phantom import generate_phantom

    ph = generate_phantom(3, "normal", n_frames=6)
    sax_labels, lax_labels = ph.labels["sax"].copy(), ph.labels["lax_4c"]
    ed = int(ph.truth["discretised"]["ED frame"])
    frames = list(range(ph.study["lax_4c"].n_frames))
    args = (ph.study["sax"], lax_labels, ph.study["lax_4c"], [ed], frames)
    assert uncovered_end_slices(sax_labels, *args) == []
    top = int(np.flatnonzero((sax_labels[..., ed] == LV).any(axis=(0, 1)))[-1])
    plane = sax_labels[:, :, top, ed]
    plane[plane == LV] = 0
    warnings = uncovered_end_slices(sax_labels, *args)
    assert any(w.startswith(f"LV frame {ed}: SAX slice {top} has no LV") for w in warnings), warnings
