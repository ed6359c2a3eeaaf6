"""Bad input corpus (generated here into tmp_path): each case must raise CineMAInputError naming the file and the
problem, and ``cinema info`` must exit non-zero with that message and no traceback."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import nrrd
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from dicom_factory import SeriesSpec, read_back, write_series  # noqa: E402

from CineMALib.cli import main
from CineMALib.errors import CineMAInputError
from CineMALib.io import read_study


def nifti(path: Path, data: np.ndarray) -> Path:
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 8.0, 1.0])), str(path))
    return path


def text(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def raw_nifti(path: Path, data: np.ndarray, pixdim: tuple[float, float, float]) -> Path:
    """Bytes written by hand: nibabel's writer would "fix" a zero or negative pixdim."""
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(data.shape)
    hdr.set_data_dtype(np.float32)
    hdr.set_sform(np.diag([1.5, 1.5, 8.0, 1.0]), code=1)
    hdr["pixdim"][1:4] = pixdim
    hdr["vox_offset"] = 352
    raw = hdr.binaryblock + b"\x00" * 4 + data.astype(np.float32).tobytes(order="F")
    path.write_bytes(gzip.compress(raw) if path.name.endswith(".gz") else raw)
    return path


def image(shape: tuple[int, ...] = (8, 8, 3, 4)) -> np.ndarray:
    return np.random.default_rng(0).random(shape).astype(np.float32)


def huge_header(path: Path, shape: tuple[int, ...], compress: bool) -> Path:
    """A NIfTI whose header claims ``shape`` but which stores only a few bytes of voxels."""
    hdr = nib.Nifti1Header() if max(shape) < 2**15 else nib.Nifti2Header()  # NIfTI-1 dims are int16
    hdr.set_data_shape(shape)
    hdr.set_data_dtype(np.int16)
    hdr["vox_offset"] = len(hdr.binaryblock) + 4
    raw = hdr.binaryblock + b"\x00" * 4 + b"\x01\x00" * 64
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def _truncated_gzip(t: Path) -> Path:
    good = nifti(t / "cut.nii.gz", image())
    blob = good.read_bytes()
    good.write_bytes(blob[: len(blob) // 2])
    return good


def _dicom_garbage(t: Path) -> Path:
    p = t / "garbage.dcm"
    p.write_bytes(b"\x00" * 128 + b"DICM" + np.random.default_rng(1).bytes(600))
    return p


def _dicom_garbage_folder(t: Path) -> Path:
    for i in range(3):
        (t / f"IM{i}").write_bytes(b"\x00" * 128 + b"DICM" + np.random.default_rng(i).bytes(300))
    return t


def _no_position(t: Path) -> Path:
    write_series(t, SeriesSpec(n_slices=2, n_phases=3), omit=("ImagePositionPatient", "ImageOrientationPatient"))
    return t


def _mixed_matrix(t: Path) -> Path:
    paths = write_series(t, SeriesSpec(n_slices=2, n_phases=3))
    ds = read_back(paths[0])
    ds.Rows, ds.Columns = 6, 6
    ds.PixelData = np.ones((6, 6), np.uint16).tobytes()
    ds.save_as(paths[0])
    return t


def _missing_phase(t: Path) -> Path:
    paths = write_series(t, SeriesSpec(n_slices=2, n_phases=4))
    paths[0].unlink()
    return t


def _single_frame_only(t: Path) -> Path:
    write_series(t, SeriesSpec(n_slices=3, n_phases=1))
    return t


def _two_sax(t: Path) -> Path:
    write_series(t, SeriesSpec(series_number=3))
    write_series(t, SeriesSpec(series_number=4, origin=np.zeros(3)))
    return t


def _symlink_loop(t: Path) -> Path:
    loop = t / "loop.nii.gz"
    os.symlink(loop, loop)
    return loop


def _dangling(t: Path) -> Path:
    link = t / "gone.nii.gz"
    os.symlink(t / "nowhere.nii.gz", link)
    return link


def _png(t: Path, name: str) -> Path:
    import matplotlib.image
    p = t / name
    matplotlib.image.imsave(p, np.random.default_rng(0).random((16, 16)), format="jpeg" if "jpg" in name else "png")
    return p


def _jpeg_renamed(t: Path) -> Path:
    src = _png(t, "photo.jpg")
    dst = t / "photo.nii.gz"
    src.rename(dst)
    return dst


def _nrrd_truncated(t: Path) -> Path:
    p = t / "cut.nrrd"
    nrrd.write(str(p), image((8, 8, 3)), {"encoding": "raw"})
    p.write_bytes(p.read_bytes()[:-200])
    return p


def _nrrd_huge(t: Path) -> Path:
    p = t / "huge.nrrd"
    p.write_bytes(b"NRRD0004\ntype: float\ndimension: 3\nsizes: 512 512 100000\nencoding: raw\n\n" + b"\0" * 64)
    return p


Case = tuple[str, Callable[[Path], object], str]
BAD_SPACING = r"spacing along . \(pixdim\[\d\]\) must be positive"
CASES: list[Case] = [
    ("missing path", lambda t: t / "absent.nii.gz", "no such file"),
    ("empty folder", lambda t: t, "folder is empty"),
    ("empty file", lambda t: text(t / "empty.nii.gz", b""), r"empty \(0 bytes\)"),
    ("truncated gzip", _truncated_gzip, "truncated|corrupt"),
    ("text renamed .nii.gz", lambda t: text(t / "a.nii.gz", "hello"), "not gzip.*text"),
    ("text renamed .nii", lambda t: text(t / "a.nii", "x" * 400), "no NIfTI header"),
    ("random bytes after DICOM preamble", _dicom_garbage, "not a readable DICOM|holds no image"),
    ("folder of garbage DICOM", _dicom_garbage_folder, "no readable DICOM image"),
    ("NaN voxels", lambda t: nifti(t / "nan.nii.gz", np.where(image() > 0.9, np.nan, image())), "NaN"),
    ("Inf voxels", lambda t: nifti(t / "inf.nii.gz", np.where(image() > 0.9, np.inf, image())), "infinite"),
    ("zero spacing", lambda t: raw_nifti(t / "zero.nii.gz", image(), (0.0, 1.5, 8.0)), BAD_SPACING),
    ("negative spacing", lambda t: raw_nifti(t / "neg.nii", image(), (1.5, -1.5, 8.0)), BAD_SPACING),
    ("header claims 1e5 slices", lambda t: huge_header(t / "huge.nii", (64, 64, 100_000), False), "sane maximum"),
    ("gz header claims more than stored", lambda t: huge_header(t / "big.nii.gz", (256, 256, 2000), True),
     "truncated or its header is corrupt"),
    ("DICOM without position tags", _no_position, "ImagePositionPatient"),
    ("inconsistent matrix in a series", _mixed_matrix, "inconsistent matrix"),
    ("slices with different phase counts", _missing_phase, "different numbers of phases"),
    ("only single-frame DICOM", _single_frame_only, "no cine series"),
    ("two SAX series in one folder", _two_sax, "ambiguous"),
    ("symlink loop", _symlink_loop, "symbolic link loop"),
    ("dangling symlink", _dangling, "dangling"),
    ("PNG photo", lambda t: _png(t, "photo.png"), "PNG picture"),
    ("JPEG renamed .nii.gz", _jpeg_renamed, "JPEG picture"),
    ("unsupported extension", lambda t: text(t / "x.mha", b"\x00\x01" * 40), "unsupported"),
    ("folder of text files", lambda t: text(t / "notes.txt", "n").parent, "no DICOM, NIfTI or NRRD"),
    ("5-D NIfTI", lambda t: nifti(t / "five.nii.gz", image((6, 6, 3, 2, 3))), "5-D"),
    ("all-zero image", lambda t: nifti(t / "zeros.nii.gz", np.zeros((8, 8, 3, 2), np.float32)), "blank"),
    ("NRRD claims huge size", _nrrd_huge, "sane maximum|maximum"),
    ("truncated NRRD", _nrrd_truncated, "truncated"),
    ("text named .nrrd", lambda t: text(t / "a.nrrd", "hello"), "NRRD"),
    ("unknown view name", lambda t: {"apex": nifti(t / "a.nii.gz", image())}, "unknown view name 'apex'"),
]


def _named(inputs: object, tmp: Path) -> str:
    """The name the error message must mention: the file, or the folder."""
    path = next(iter(inputs.values())) if isinstance(inputs, dict) else Path(inputs)  # type: ignore[arg-type]
    return Path(path).name


@pytest.mark.parametrize(("label", "build", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_clear_error(tmp_path: Path, label: str, build: Callable[[Path], object],
                                      pattern: str) -> None:
    inputs = build(tmp_path)
    with pytest.raises(CineMAInputError, match=pattern) as info:
        read_study(inputs)  # type: ignore[arg-type]
    assert _named(inputs, tmp_path) in str(info.value) or tmp_path.name in str(info.value)
    assert info.value.problem


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("compress", [False, True])
def test_huge_header_fails_before_allocating(tmp_path: Path, compress: bool) -> None:
    path = huge_header(tmp_path / ("h.nii.gz" if compress else "h.nii"), (256, 256, 3000), compress)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(CineMAInputError, match="declares"):
            read_study(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # the header claims 393 MB of voxels
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize(("label", "build", "pattern"), CASES[:12], ids=[c[0] for c in CASES[:12]])
def test_cinema_info_exits_nonzero_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     label: str, build: Callable[[Path], object],
                                                     pattern: str) -> None:
    inputs = build(tmp_path)
    assert not isinstance(inputs, dict)
    assert main(["info", str(inputs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cinema info: error:") and "Traceback" not in err
    assert _named(inputs, tmp_path) in err or tmp_path.name in err


def test_cinema_info_process_on_bad_file(tmp_path: Path) -> None:
    bad = (tmp_path / "scan.nii.gz")
    bad.write_text("not an image")
    proc = subprocess.run([sys.executable, "-m", "CineMALib", "info", str(bad)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "scan.nii.gz" in proc.stderr and "not gzip" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
