"""DICOM reading on synthetic series: slice/phase order, geometry, per-slice series, multi-view folders, enhanced MR."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from dicom_factory import (  # noqa: E402
    SeriesSpec, lax_plane_normal, plane_with_normal, read_back, rotation, write_enhanced, write_per_slice_series,
    write_series)

from CineMALib.errors import CineMAInputError
from CineMALib.io import read_study, read_view


def assert_encoded_order(data: np.ndarray, spec: SeriesSpec) -> None:
    """Voxel (i, 0, k, t) must hold column i of slice k, phase t (see dicom_factory)."""
    assert data.shape == (spec.cols, spec.rows, spec.n_slices, spec.n_phases)
    k, t = np.meshgrid(np.arange(spec.n_slices), np.arange(spec.n_phases), indexing="ij")
    for i in (0, spec.cols - 1):
        np.testing.assert_array_equal(data[i, 0], 1000 * k + 20 * t + i + spec.value_offset)
    np.testing.assert_array_equal(data[:, 0], data[:, -1])  # every row of a DICOM image is the same ramp


@pytest.mark.parametrize("reverse", [False, True])
def test_oblique_stack_order_and_affine(tmp_path: Path, reverse: bool) -> None:
    spec = SeriesSpec(reverse_instances=reverse)
    write_series(tmp_path, spec)
    study = read_study(tmp_path)
    assert list(study.views) == ["sax"]
    view = study["sax"]
    assert_encoded_order(view.data, spec)
    np.testing.assert_allclose(view.affine, spec.expected_affine_ras(), atol=1e-4)
    np.testing.assert_allclose(view.spacing, [1.25, 1.5, 8.0], atol=1e-5)
    normal_ras = np.diag([-1, -1, 1]) @ spec.normal
    positions = [view.affine[:3, :3] @ [0, 0, k] @ normal_ras for k in range(spec.n_slices)]
    assert np.all(np.diff(positions) > 0)  # z grows along the normal whatever the instance numbers say
    assert np.all(np.diff(view.trigger_times_ms) > 0)
    assert study.metadata.patient_id == "SYNTH001"


def test_phases_follow_trigger_time_not_instance_number(tmp_path: Path) -> None:
    spec = SeriesSpec(n_slices=2, n_phases=4)
    paths = write_series(tmp_path, spec)
    for p in paths:  # scramble instance numbers inside each slice; trigger times stay true
        ds = read_back(p)
        ds.InstanceNumber = 1000 - int(ds.InstanceNumber)
        ds.save_as(p)
    assert_encoded_order(read_view(tmp_path).data, spec)


def test_without_trigger_times_instance_number_orders(tmp_path: Path) -> None:
    spec = SeriesSpec(n_slices=2, n_phases=4, trigger_step=0.0)
    write_series(tmp_path, spec)
    view = read_view(tmp_path)
    assert_encoded_order(view.data, spec)
    assert view.trigger_times_ms is None


def test_one_series_per_slice_is_merged(tmp_path: Path) -> None:
    spec = SeriesSpec(n_slices=5, n_phases=3, description="cine sa")
    write_per_slice_series(tmp_path, spec)
    view = read_view(tmp_path)
    assert view.name == "sax"
    assert_encoded_order(view.data, spec)
    np.testing.assert_allclose(view.affine, spec.expected_affine_ras(), atol=1e-4)


def _lax(spec: SeriesSpec, normal: np.ndarray, description: str, number: int) -> SeriesSpec:
    return SeriesSpec(n_slices=1, n_phases=spec.n_phases, rows=14, cols=16, rot=plane_with_normal(normal),
                      origin=spec.origin + 10, description=description, series_number=number)


def lax_normals(sax: SeriesSpec, offset: float = 0.0) -> dict[str, np.ndarray]:
    """LAX plane normals (LPS) at the anatomical rotations about the long axis (4C 0, 2C ~85, 3C ~130 deg)."""
    return {view: lax_plane_normal(sax.normal, angle + offset)
            for view, angle in (("lax_4c", 0.0), ("lax_2c", 85.0), ("lax_3c", 130.0))}


def test_folder_with_four_views_by_description(tmp_path: Path) -> None:
    sax = SeriesSpec(description="SA_stack", rot=rotation(30, -40, 0))
    write_series(tmp_path, sax)
    normals = lax_normals(sax)
    for number, (desc, view) in enumerate([("cine 2CH", "lax_2c"), ("LVOT cine", "lax_3c"), ("4ch_retro", "lax_4c")]):
        # descriptions deliberately disagree with geometry for 2CH/3CH: the description must win
        geometry = {"lax_2c": "lax_3c", "lax_3c": "lax_2c", "lax_4c": "lax_4c"}[view]
        write_series(tmp_path, _lax(sax, normals[geometry], desc, 20 + number))
    study = read_study(tmp_path)
    assert list(study.views) == ["sax", "lax_2c", "lax_3c", "lax_4c"]
    for name in ("lax_2c", "lax_3c", "lax_4c"):
        assert study[name].data.shape == (16, 14, 1, sax.n_phases)
    assert read_view(tmp_path, "lax_3c").name == "lax_3c"
    with pytest.raises(CineMAInputError, match="several views"):
        read_view(tmp_path)


@pytest.mark.parametrize(("offset", "views"), [(0.0, ("lax_4c", "lax_2c")), (25.0, ("lax_4c", "lax_2c", "lax_3c")),
                                                (-20.0, ("lax_3c",)), (15.0, ("lax_2c", "lax_3c"))])
def test_unnamed_long_axis_told_apart_by_geometry(tmp_path: Path, offset: float, views: tuple[str, ...]) -> None:
    sax = SeriesSpec(description="", rot=rotation(30, -40, 0))
    write_series(tmp_path, sax)
    normals = lax_normals(sax, offset)
    for number, view in enumerate(views):
        write_series(tmp_path, _lax(sax, normals[view], "", 31 + number))
    with pytest.warns(UserWarning, match="rotation about the long axis"):
        study = read_study(tmp_path)
    assert set(study.views) == {"sax", *views}
    for view in views:
        got = study[view].affine[:3, 2]
        expected = np.diag([-1, -1, 1]) @ normals[view]
        assert abs(got @ expected) / np.linalg.norm(got) > 0.999, view


def test_unnamed_long_axis_without_sax_uses_shared_axis(tmp_path: Path) -> None:
    sax = SeriesSpec(rot=rotation(30, -40, 0))  # not written: only its long axis defines the LAX planes
    normals = lax_normals(sax, 10.0)
    for number, view in enumerate(("lax_3c", "lax_4c", "lax_2c")):
        write_series(tmp_path, _lax(sax, normals[view], "cine", 40 + number))
    with pytest.warns(UserWarning, match="other long-axis planes"):
        study = read_study(tmp_path)
    for view in ("lax_2c", "lax_3c", "lax_4c"):
        got = study[view].affine[:3, 2]
        assert abs(got @ (np.diag([-1, -1, 1]) @ normals[view])) / np.linalg.norm(got) > 0.999, view


def test_non_cine_series_are_skipped_with_a_warning(tmp_path: Path) -> None:
    sax = SeriesSpec()
    write_series(tmp_path, sax)
    write_series(tmp_path / "loc", SeriesSpec(n_slices=3, n_phases=1, description="localizer", series_number=1))
    write_series(tmp_path / "t1", SeriesSpec(n_slices=3, n_phases=1, description="T1 map", series_number=2,
                                             rot=rotation(0, 0, 0)))
    with pytest.warns(UserWarning, match="not a cine"):
        study = read_study(tmp_path)
    assert list(study.views) == ["sax"]
    assert_encoded_order(study["sax"].data, sax)


def test_two_sax_series_in_one_folder_are_ambiguous(tmp_path: Path) -> None:
    write_series(tmp_path, SeriesSpec(series_number=5))
    write_series(tmp_path, SeriesSpec(series_number=9, origin=np.array([0.0, 0.0, 0.0])))
    with pytest.raises(CineMAInputError, match="ambiguous.*series 5.*series 9"):
        read_study(tmp_path)


def test_enhanced_multiframe(tmp_path: Path) -> None:
    spec = SeriesSpec(n_slices=3, n_phases=4, description="cine_sax_enhanced")
    path = write_enhanced(tmp_path / "enhanced.dcm", spec)
    for source in (path, tmp_path):
        view = read_view(source)
        assert_encoded_order(view.data, spec)
        np.testing.assert_allclose(view.affine, spec.expected_affine_ras(), atol=1e-4)
        np.testing.assert_allclose(view.trigger_times_ms, 10.0 + 40.0 * np.arange(4))


def test_metadata_and_rescale(tmp_path: Path) -> None:
    spec = SeriesSpec(n_slices=2, n_phases=3,
                      patient={"PatientSize": "1.75", "PatientWeight": "70", "PatientSex": "F"},
                      extra={"HeartRate": "62", "RescaleSlope": "2", "RescaleIntercept": "-5"})
    write_series(tmp_path, spec)
    study = read_study(tmp_path)
    meta = study.metadata
    assert (meta.height_cm, meta.weight_kg, meta.sex, meta.heart_rate_bpm) == (175.0, 70.0, "F", 62.0)
    np.testing.assert_array_equal(study["sax"].data[3, 0, 1, 2], 2 * (1000 + 40 + 3) - 5)
    assert study.study_id == "SYNTH001"


def test_files_that_are_not_dicom_are_skipped(tmp_path: Path) -> None:
    spec = SeriesSpec(n_slices=2, n_phases=3)
    write_series(tmp_path, spec)
    (tmp_path / "notes.dcm").write_bytes(b"\x00" * 128 + b"DICM" + bytes(range(256)) * 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        view = read_view(tmp_path)
    assert_encoded_order(view.data, spec)
    assert any("notes.dcm" in str(w.message) for w in caught)
