"""Writers: a CineView with an oblique anisotropic affine survives write -> read (NIfTI and NRRD), atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.io import read_view, write_labels, write_view
from CineMALib.io import writers
from CineMALib.study import CineView


def oblique_view(n_frames: int = 6, name: str = "sax") -> CineView:
    rng = np.random.default_rng(7)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    aff = np.eye(4)
    aff[:3, :3] = q @ np.diag([1.37, 0.82, 8.5])
    aff[:3, 3] = [-63.2, 17.9, 101.4]
    data = rng.normal(100, 30, size=(11, 9, 5, n_frames)).astype(np.float32)
    times = 25.0 + 33.3 * np.arange(n_frames) if n_frames > 1 else None
    return CineView(name=name, data=data, affine=aff, trigger_times_ms=times)


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".seq.nrrd"])
def test_view_round_trip(tmp_path: Path, suffix: str) -> None:
    view = oblique_view()
    path = write_view(view, tmp_path / f"case_sax{suffix}")
    back = read_view(path)
    np.testing.assert_array_equal(back.data, view.data)
    np.testing.assert_allclose(back.affine, view.affine, atol=1e-4)
    np.testing.assert_allclose(back.trigger_times_ms, view.trigger_times_ms, atol=1e-3)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd"])
def test_single_frame_and_labels_round_trip(tmp_path: Path, suffix: str) -> None:
    view = oblique_view(n_frames=1, name="lax_4c")
    back = read_view(write_view(view, tmp_path / f"one_4ch{suffix}"))
    assert back.name == "lax_4c" and back.data.shape == view.data.shape
    np.testing.assert_allclose(back.affine, view.affine, atol=1e-4)
    labels = (np.arange(11 * 9 * 5 * 3).reshape(11, 9, 5, 3) % 4).astype(np.int64)
    lab_path = write_labels(labels, view.affine, tmp_path / f"labels_sax{suffix}")
    lab = read_view(lab_path)
    np.testing.assert_array_equal(lab.data, labels)
    np.testing.assert_allclose(lab.affine, view.affine, atol=1e-4)


def test_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = write_view(oblique_view(), tmp_path / "keep_sax.nii.gz")
    before = target.read_bytes()

    def broken(tmp: Path, *args: object) -> None:
        tmp.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(writers, "_write_nifti", broken)
    with pytest.raises(OSError, match="disk full"):
        write_view(oblique_view(n_frames=2), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep_sax.nii.gz"]


def test_writer_refuses_unknown_suffix_and_bad_labels(tmp_path: Path) -> None:
    with pytest.raises(CineMAInputError, match="cannot write"):
        write_view(oblique_view(), tmp_path / "x.mha")
    with pytest.raises(CineMAInputError, match="0 and 255"):
        write_labels(np.full((3, 3, 3), -1), np.eye(4), tmp_path / "l.nii.gz")
