"""Disc summation on oblique stacks, slice pitch from the affine, NaN frames, ED/ES choice and label maps."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.measure import measure_labels
from CineMALib.phases import decide_ed_es
from CineMALib.measure.volumes import stack_geometry, volume_curves


def rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def oblique_affine(spacing=(1.25, 1.5, 10.0), seed=3) -> np.ndarray:
    aff = np.eye(4)
    aff[:3, :3] = rotation(seed) @ np.diag(spacing)
    aff[:3, 3] = [-80.0, 12.5, 33.0]
    return aff


def random_cine(seed: int = 0, shape=(24, 20, 6, 7)) -> np.ndarray:
    """Random CineMA labels whose LV size varies by frame."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=shape).astype(np.uint8)  # bg, RV, MYO
    for t in range(shape[3]):
        labels[..., t][rng.random(shape[:3]) < 0.1 + 0.05 * t] = 3
    return labels


def test_disc_summation_uses_pixel_area_and_slice_pitch_on_an_oblique_stack():
    aff, labels = oblique_affine(), random_cine()
    curves = volume_curves(labels, aff)
    for t in range(labels.shape[3]):
        for name, value in (("LV", 3), ("RV", 1), ("MYO", 2)):
            expected = np.count_nonzero(labels[..., t] == value) * 1.25 * 1.5 * 10.0 / 1000.0
            assert curves[name][t] == pytest.approx(expected, rel=1e-12)


def test_pitch_is_distance_between_slice_centres_not_thickness():
    # 8 mm slices with a 2 mm gap: the affine's third column joins neighbouring slice centres (10 mm apart).
    centre0, centre1 = np.array([5.0, -3.0, 40.0]), np.array([5.0, -3.0, 40.0]) + 10.0 * rotation(1)[:, 2]
    aff = np.eye(4)
    aff[:3, :2] = rotation(1)[:, :2] * 1.8
    aff[:3, 2] = centre1 - centre0
    aff[:3, 3] = centre0
    geom = stack_geometry(aff)
    assert geom.pitch == pytest.approx(10.0)
    assert geom.voxel_ml == pytest.approx(1.8 * 1.8 * 10.0 / 1000)
    assert geom.shear_note == ""


def test_sheared_stack_is_noted():
    aff = np.diag([1.5, 1.5, 10.0, 1.0])
    aff[0, 2] = 3.0  # slice centres step sideways
    geom = stack_geometry(aff)
    assert geom.pitch == pytest.approx(np.hypot(10.0, 3.0))
    assert "sheared" in geom.shear_note


def test_unanalysed_frames_are_nan_and_ignored_for_ed_es():
    labels = random_cine(1)
    labels[..., 6] = 3  # a huge LV in a frame that was not analysed must not become ED
    curves = volume_curves(labels, np.eye(4), analysed_frames=(0, 2, 3, 5))
    assert np.isnan(curves["LV"][[1, 4, 6]]).all() and np.isfinite(curves["LV"][[0, 2, 3, 5]]).all()
    phases = decide_ed_es(curves["LV"])
    lv = curves["LV"]
    assert phases.ed == int(np.nanargmax(lv)) and phases.ed != 6
    assert phases.es == int(np.nanargmin(lv))
    assert "4 analysed frames" in phases.ed_method


def test_ed_es_override_and_rejection_of_unanalysed_frame():
    curves = volume_curves(random_cine(2), np.eye(4), analysed_frames=(0, 1, 2))
    phases = decide_ed_es(curves["LV"], ed=1, es=2)
    assert (phases.ed, phases.es) == (1, 2) and "given" in phases.method
    with pytest.raises(CineMAInputError, match="not an analysed frame"):
        decide_ed_es(curves["LV"], ed=5)


def test_rv_taken_at_lv_defined_frames():
    labels = np.zeros((10, 10, 2, 4), np.uint8)
    lv_sizes, rv_sizes = [30, 20, 10, 25], [5, 40, 35, 8]  # RV's own max/min are at other frames
    for t in range(4):
        labels[..., 0, t].flat[:lv_sizes[t]] = 3
        labels[..., 1, t].flat[:rv_sizes[t]] = 1
    report = measure_labels(labels, np.eye(4))
    assert (report.ed_frame, report.es_frame) == (0, 2)
    assert report.value("RVEDV") == pytest.approx(rv_sizes[0] / 1000)
    assert report.value("RVESV") == pytest.approx(rv_sizes[2] / 1000)
    assert "LV-defined ED frame 0" in report.get("RVEDV").method


@pytest.mark.parametrize("label_map", ["mnms", "ukbb"])
def test_lv_first_label_maps_give_the_same_volumes(label_map):
    cinema = random_cine(4)
    native = cinema.copy()
    native[cinema == 3], native[cinema == 1] = 1, 3  # these maps use LV=1, RV=3
    a, b = measure_labels(cinema, np.eye(4)), measure_labels(native, np.eye(4), label_map=label_map)
    for key in ("LVEDV", "LVESV", "RVEDV", "LVM"):
        assert a.value(key) == pytest.approx(b.value(key))
    assert label_map in b.get("LVEDV").method


def test_values_outside_the_label_map_are_rejected():
    labels = random_cine(5)
    labels[0, 0, 0, 0] = 7
    with pytest.raises(CineMAInputError, match="not in the 'cinema' map"):
        measure_labels(labels, np.eye(4))


def test_method_states_pitch_labels_and_phase_rule():
    report = measure_labels(random_cine(6), oblique_affine())
    method = report.get("LVEDV (mL)").method
    assert "1.25x1.50 mm x 10.00 mm slice pitch" in method
    assert "CineMA labels" in method and f"ED frame {report.ed_frame} = largest LV volume" in method
