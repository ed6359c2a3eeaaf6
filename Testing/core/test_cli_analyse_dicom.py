"""`cinema analyse --dicom` end to end with tiny random weights: a DICOM phantom gets seg_<view>.dcm + sr.dcm
referencing its images; a NIfTI study is analysed as usual and refused DICOM export in one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pydicom
import pytest

from CineMALib.cli import main
from CineMALib.phantom import generate_phantom, write_phantom

sys.path.insert(0, str(Path(__file__).parent))
from tiny_weights import write_random_weights  # noqa: E402

pytest.importorskip("highdicom", reason="highdicom is not installed (pip install -e '.[dicom]')")
pytestmark = pytest.mark.slow  # two tiny-weight analyses, about 10 s each on 2 CPU cores


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CINEMA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cinema-cache"))


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("tiny"))


def _analyse(study: Path, out: Path, weights: Path) -> int:
    return main(["analyse", str(study), "--out", str(out), "--weights", str(weights), "--device", "cpu", "--fast",
                 "--heads", "segmentation_sax", "--quiet", "--dicom"])


def test_dicom_study_gets_seg_and_sr(tiny_weights: Path, tmp_path: Path) -> None:
    write_phantom(generate_phantom(12, "normal", n_frames=4), tmp_path / "ph", "dicom")
    out = tmp_path / "out"
    assert _analyse(tmp_path / "ph" / "dicom", out, tiny_weights) == 0
    folder = next(p for p in out.iterdir() if p.is_dir())
    record = json.loads((folder / "dicom_source.json").read_text())
    frames = record["views"]["sax"]["analysed_frames"]
    assert len(frames) == 2 and record["algorithm"]["parameters"]  # fast mode: ED and ES; weights identified
    seg = pydicom.dcmread(str(folder / "seg_sax.dcm"))
    uids = {uid for row in record["views"]["sax"]["refs"]["sop_instance_uids"] for uid in (row[t] for t in frames)}
    refs = {i.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
            for i in seg.PerFrameFunctionalGroupsSequence}
    assert refs == uids
    params = seg.SegmentSequence[0].SegmentationAlgorithmIdentificationSequence[0].AlgorithmParameters
    assert "sha256 segmentation/" in params and f"weights={tiny_weights}" in params  # the weights and checksum
    assert pydicom.dcmread(str(folder / "sr.dcm")).ContentTemplateSequence[0].TemplateIdentifier == "1500"


def test_nifti_study_is_analysed_but_not_exported(tiny_weights: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write_phantom(generate_phantom(12, "normal", n_frames=4), tmp_path / "ph", "nifti")
    out = tmp_path / "out"
    assert _analyse(tmp_path / "ph", out, tiny_weights) == 1
    folder = next(p for p in out.iterdir() if p.is_dir())
    assert (folder / "segmentation_sax.nii.gz").is_file() and (out / "report.csv").is_file()
    assert not list(out.rglob("*.dcm")) and not (folder / "dicom_source.json").exists()
    lines = [line for line in capsys.readouterr().err.splitlines() if "DICOM" in line]
    assert len(lines) == 1 and "DICOM export needs the DICOM source" in lines[0]
