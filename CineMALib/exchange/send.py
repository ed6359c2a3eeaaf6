"""C-STORE of CineMA's DICOM objects to a PACS with pynetdicom: one association, every failure one clear line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from CineMALib.errors import CineMAError, CineMAInputError


class CineMASendError(CineMAError, RuntimeError):
    """The PACS could not be reached, refused us, or did not store an object."""


@dataclass(frozen=True)
class Destination:
    aet: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.aet}@{self.host}:{self.port}"


def parse_destination(text: str) -> Destination:
    """``AET@HOST:PORT`` (AE title: 1-16 characters, no backslash)."""
    match = re.fullmatch(r"([^@\\]{1,16})@([^:@\s]+):(\d{1,5})", text.strip())
    if not match or not 0 < int(match.group(3)) < 65536:
        raise CineMAInputError(None, f"--to {text!r}: expected AET@HOST:PORT, e.g. ORTHANC@127.0.0.1:4242")
    return Destination(match.group(1).strip(), match.group(2), int(match.group(3)))


def find_objects(root: Path) -> list[Path]:
    """``seg_*.dcm`` and ``sr.dcm`` files under ``root`` (or ``root`` itself when it is a file)."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise CineMAInputError(root, "not found")
    return sorted(p for p in root.rglob("*.dcm") if p.name == "sr.dcm" or p.name.startswith("seg_"))


def send_files(files: Sequence[Path], destination: Destination, *, calling_aet: str = "CINEMA",
               timeout: float = 30.0) -> list[Path]:
    """Store every file; returns those stored. Raises :class:`CineMASendError` naming what failed."""
    import pydicom
    from pynetdicom import AE
    from pynetdicom.sop_class import Comprehensive3DSRStorage, SegmentationStorage

    datasets = [(path, pydicom.dcmread(str(path))) for path in files]
    ae = AE(ae_title=calling_aet[:16])
    for context in (SegmentationStorage, Comprehensive3DSRStorage):
        ae.add_requested_context(context)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    assoc = ae.associate(destination.host, destination.port, ae_title=destination.aet)
    if not assoc.is_established:
        if assoc.is_rejected:
            raise CineMASendError(f"{destination}: association rejected by the PACS (check the called AE title "
                                  f"{destination.aet!r} and that it accepts our AE title {calling_aet!r})")
        raise CineMASendError(f"{destination}: no DICOM association (nothing listening there, wrong port, or the "
                              "connection was refused or timed out)")
    stored: list[Path] = []
    try:
        for path, ds in datasets:
            status = assoc.send_c_store(ds)
            code = getattr(status, "Status", None)
            if code is None:
                raise CineMASendError(f"{destination}: no answer storing {path} (connection lost or timed out)")
            if int(code) not in (0x0000, 0xB000, 0xB007, 0xB006):
                raise CineMASendError(f"{destination}: refused to store {path} (status 0x{int(code):04X})")
            stored.append(path)
    finally:
        assoc.release()
    return stored
