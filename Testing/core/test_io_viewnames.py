"""View names from vendor SeriesDescriptions and file names; the LAX geometry fallback; format sniffing."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from dicom_factory import lax_plane_normal  # noqa: E402

from CineMALib.errors import CineMAInputError
from CineMALib.io.detect import sniff_file
from CineMALib.io.lax_geometry import assign_by_angle, long_axis_from_planes, trace_angle_deg
from CineMALib.io.viewnames import says_localiser, view_from_text


@pytest.mark.parametrize(("text", "view"), [
    ("cine_sa", "sax"), ("SAX stack", "sax"), ("tf2d15_retro_iPAT_SA", "sax"), ("Short Axis Cine", "sax"),
    ("b_TRUFI_CINE_SA_8mm", "sax"), ("CINE_2CH", "lax_2c"), ("2 ch", "lax_2c"), ("VLA cine", "lax_2c"),
    ("lax_2c", "lax_2c"), ("cine 3ch", "lax_3c"), ("LVOT", "lax_3c"), ("lax_3c", "lax_3c"),
    ("4CH_retro", "lax_4c"), ("cine HLA", "lax_4c"), ("mnms2_lax_4c_ed", "lax_4c"), ("Four chamber", "lax_4c"),
    ("4cv", "lax_4c"),
])
def test_recognised(text: str, view: str) -> None:
    assert view_from_text(text) == view


@pytest.mark.parametrize("text", ["", None, "patient001_frame01", "T1 MOLLI", "cine lax", "t2cine", "sa 4ch",
                                  "flow 2D", "salt"])
def test_not_recognised_or_ambiguous(text: str | None) -> None:
    assert view_from_text(text) is None


def test_localisers() -> None:
    assert says_localiser("Localizer") and says_localiser("3-plane loc") and says_localiser("Survey_SHC")
    assert not says_localiser("cine_sa")


@pytest.mark.parametrize("flip", [1.0, -1.0])
def test_trace_angles_and_assignment(flip: float) -> None:
    sax = np.array([0.6, -0.5, -0.62]) * flip  # the sign of the stack normal must not matter
    planes = {v: lax_plane_normal(sax, a) for v, a in (("lax_4c", 0.0), ("lax_2c", 85.0), ("lax_3c", 130.0))}
    angles = {v: trace_angle_deg(n, sax) for v, n in planes.items()}
    assert angles["lax_4c"] == pytest.approx(0.0, abs=1e-6) or angles["lax_4c"] == pytest.approx(180.0, abs=1e-6)
    assert angles["lax_2c"] == pytest.approx(85.0, abs=1e-6) and angles["lax_3c"] == pytest.approx(130.0, abs=1e-6)
    free = ["lax_4c", "lax_2c", "lax_3c"]
    shifted = [(a + 28.0) % 180 for a in angles.values()]  # a 4C plane 28 deg off the reference
    assert assign_by_angle(shifted, free) == list(angles)
    assert assign_by_angle([angles["lax_3c"]], free) == ["lax_3c"]
    assert assign_by_angle([1.0, 2.0, 3.0, 4.0], free) is None


def test_long_axis_from_two_planes() -> None:
    sax = np.array([0.6, -0.5, -0.62])
    axis = long_axis_from_planes([lax_plane_normal(sax, 0.0), lax_plane_normal(sax, 85.0)])
    assert abs(axis @ sax) / np.linalg.norm(sax) == pytest.approx(1.0, abs=1e-9)
    assert long_axis_from_planes([sax, sax]) is None


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("a.nrrd", b"NRRD0004\n", "nrrd"), ("IM0001", b"\0" * 128 + b"DICM" + b"\0" * 8, "dicom"),
    ("x.dcm", b"\0" * 128 + b"DICM" + b"\0" * 8, "dicom"), ("b.nii.gz", b"\x1f\x8b" + b"\0" * 30, "nifti"),
])
def test_sniff_by_content(tmp_path: Path, name: str, content: bytes, kind: str) -> None:
    (tmp_path / name).write_bytes(content)
    assert sniff_file(tmp_path / name) == kind


def test_sniff_refuses_text_dicom(tmp_path: Path) -> None:
    (tmp_path / "IM0002").write_text("patient notes")
    with pytest.raises(CineMAInputError, match="text file"):
        sniff_file(tmp_path / "IM0002")
