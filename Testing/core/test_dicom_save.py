"""save_dataset writes conformant files on pydicom 3 and falls back to pydicom 2's keyword (Slicer 5.8's Python 3.9)."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from CineMALib.io.dicom_save import save_dataset


def _dataset() -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "CineMA^Test"
    return ds


def test_file_has_preamble_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "x.dcm"
    save_dataset(_dataset(), path)
    assert path.read_bytes()[128:132] == b"DICM"
    assert str(pydicom.dcmread(path).PatientName) == "CineMA^Test"


def test_pydicom_2_keyword_is_used_when_the_new_one_is_refused(tmp_path: Path) -> None:
    calls = []

    class Pydicom2Dataset(Dataset):
        def save_as(self, filename, write_like_original=True, **kwargs):  # pydicom 2.4's signature
            if kwargs:
                raise TypeError(f"save_as() got an unexpected keyword argument {next(iter(kwargs))!r}")
            calls.append((filename, write_like_original))

    save_dataset(Pydicom2Dataset(), tmp_path / "y.dcm")
    assert calls == [(str(tmp_path / "y.dcm"), False)]
