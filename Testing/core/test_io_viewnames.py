"""View names from vendor SeriesDescriptions and file names; the LAX geometry fallback; format sniffing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.io.detect import sniff_file
from CineMALib.io.dicom_views import lax_angle_deg, lax_from_angle
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


def test_lax_angle_classes() -> None:
    sax = np.array([0.6, 0.5, -0.62])
    sax /= np.linalg.norm(sax)
    sup = np.array([0.0, 0.0, 1.0]) - sax[2] * sax
    n4 = sup / np.linalg.norm(sup)
    n2 = np.cross(sax, n4)
    n3 = (n4 + n2) / np.linalg.norm(n4 + n2)
    assert lax_angle_deg(n4, sax) == pytest.approx(0.0, abs=1e-6)
    assert lax_angle_deg(n2, sax) == pytest.approx(90.0, abs=1e-6)
    assert [lax_from_angle(lax_angle_deg(n, sax)) for n in (n4, n3, n2)] == ["lax_4c", "lax_3c", "lax_2c"]


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
