"""NRRD reading: Slicer volume sequences (list axis first or last), spaces LPS/RAS, times from index values."""

from __future__ import annotations

from pathlib import Path

import nrrd
import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.io import read_view

DIRS_LPS = np.array([[1.2, 0.1, 0.0], [-0.1, 1.1, 0.2], [0.0, -0.9, 5.5]])  # one row per voxel axis
ORIGIN_LPS = np.array([10.0, -20.0, 30.0])


def expected_ras() -> np.ndarray:
    aff = np.eye(4)
    aff[:3, :3] = DIRS_LPS.T
    aff[:3, 3] = ORIGIN_LPS
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ aff


def cine(shape: tuple[int, int, int, int] = (7, 6, 4, 5)) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.int16).reshape(shape)


@pytest.mark.parametrize("list_first", [True, False])
def test_slicer_sequence_layouts(tmp_path: Path, list_first: bool) -> None:
    data = cine()
    axis = 0 if list_first else 3
    stored = np.moveaxis(data, 3, 0) if list_first else data
    none = np.full((1, 3), np.nan)
    header = {
        "space": "left-posterior-superior", "space origin": ORIGIN_LPS,
        "space directions": np.vstack([none, DIRS_LPS]) if list_first else np.vstack([DIRS_LPS, none]),
        "kinds": ["list", "domain", "domain", "domain"] if list_first else ["domain", "domain", "domain", "list"],
        f"axis {axis} index type": "numeric", f"axis {axis} index values": "0 31.5 63 94.5 126",
        "labels": ["time", "", "", ""] if list_first else ["", "", "", "time"],
    }
    nrrd.write(str(tmp_path / "cine_sax.seq.nrrd"), stored, header, index_order="F")
    view = read_view(tmp_path / "cine_sax.seq.nrrd")
    np.testing.assert_array_equal(view.data, data)
    np.testing.assert_allclose(view.affine, expected_ras(), atol=1e-6)
    np.testing.assert_allclose(view.trigger_times_ms, [0, 31.5, 63, 94.5, 126])


def test_frame_numbers_are_not_times_and_seconds_convert(tmp_path: Path) -> None:
    base = {"space": "RAS", "space origin": ORIGIN_LPS, "kinds": ["domain"] * 3 + ["list"],
            "space directions": np.vstack([DIRS_LPS, np.full((1, 3), np.nan)]),
            "axis 3 index values": "0 1 2 3 4"}
    nrrd.write(str(tmp_path / "a_sax.nrrd"), cine(), base, index_order="F")
    view = read_view(tmp_path / "a_sax.nrrd")
    assert view.trigger_times_ms is None
    np.testing.assert_allclose(view.affine[:3, :3], DIRS_LPS.T)  # RAS space: no flip
    timed = {**base, "axis 3 index values": "0 0.04 0.08 0.12 0.16", "units": ["", "", "", "s"]}
    nrrd.write(str(tmp_path / "b_sax.nrrd"), cine(), timed, index_order="F")
    np.testing.assert_allclose(read_view(tmp_path / "b_sax.nrrd").trigger_times_ms, [0, 40, 80, 120, 160])


def test_plain_3d_nrrd(tmp_path: Path) -> None:
    data = cine()[..., 0]
    nrrd.write(str(tmp_path / "frame_sax.nrrd"), data, {"space": "left-posterior-superior",
                                                        "space directions": DIRS_LPS, "space origin": ORIGIN_LPS})
    view = read_view(tmp_path / "frame_sax.nrrd")
    assert view.data.shape == (7, 6, 4, 1)
    np.testing.assert_allclose(view.affine, expected_ras(), atol=1e-6)


def test_vector_nrrd_is_refused(tmp_path: Path) -> None:
    data = np.random.default_rng(0).random((3, 7, 6, 4)).astype(np.float32)
    nrrd.write(str(tmp_path / "rgb.nrrd"), data, {"kinds": ["vector", "domain", "domain", "domain"],
                                                  "space": "left-posterior-superior",
                                                  "space directions": np.vstack([np.full((1, 3), np.nan), DIRS_LPS])})
    with pytest.raises(CineMAInputError, match="vector"):
        read_view(tmp_path / "rgb.nrrd")
