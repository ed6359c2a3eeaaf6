"""What is this path? Decide the format from the file's first bytes (magic numbers) and its name.

Why: names lie (text renamed ``.nii.gz``, a PNG saved as ``.dcm``); reading with the wrong library gives a deep
traceback. We sniff the content first and give one clear :class:`CineMAInputError` when it is not usable.
"""

from __future__ import annotations

import os
from pathlib import Path

from CineMALib.errors import CineMAInputError
from CineMALib.io.guards import check_nonempty_file

NIFTI_SUFFIXES = (".nii", ".nii.gz")
NRRD_SUFFIXES = (".nrrd", ".nhdr", ".seq.nrrd")
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima", "")
PHOTO_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP", b"II*\x00": "TIFF",
               b"MM\x00*": "TIFF"}
IGNORED_NAMES = {"dicomdir", "info.cfg", "readme", "readme.md", "readme.txt", ".ds_store", "thumbs.db"}


def full_suffix(path: Path) -> str:
    """Lower-case suffix including ``.nii.gz`` / ``.seq.nrrd`` double extensions."""
    name = path.name.lower()
    for double in (".nii.gz", ".seq.nrrd"):
        if name.endswith(double):
            return double
    return path.suffix.lower()


def read_head(path: Path, n: int = 132) -> bytes:
    """The first ``n`` bytes of a file (fewer if it is shorter)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as err:
        raise CineMAInputError(path, f"cannot read: {err.strerror or err}") from None


def photo_kind(head: bytes) -> str | None:
    """'PNG', 'JPEG', ... when the bytes are an ordinary picture format, else None."""
    for magic, kind in PHOTO_MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def looks_like_text(head: bytes) -> bool:
    """True for printable ASCII/UTF-8 content (a text file under an image name)."""
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def has_dicom_preamble(head: bytes) -> bool:
    return len(head) >= 132 and head[128:132] == b"DICM"


def sniff_file(path: Path) -> str:
    """Format of one file: 'nifti', 'nrrd' or 'dicom'; a clear error for anything else."""
    check_nonempty_file(path)
    head = read_head(path, 352)
    suffix = full_suffix(path)
    photo = photo_kind(head)
    if photo:
        raise CineMAInputError(path, f"is a 2-D {photo} picture, not a cine MR image; give the DICOM series, "
                                     "a NIfTI (.nii/.nii.gz) or NRRD file instead")
    if head.startswith(b"NRRD000"):
        return "nrrd"
    if has_dicom_preamble(head):
        return "dicom"
    if suffix in NIFTI_SUFFIXES:
        if suffix == ".nii.gz" and not head.startswith(b"\x1f\x8b"):
            hint = " (it contains text)" if looks_like_text(head) else ""
            raise CineMAInputError(path, f"named .nii.gz but is not gzip-compressed{hint}")
        if suffix == ".nii" and not _nifti_magic(head):
            hint = " (it contains text)" if looks_like_text(head) else ""
            raise CineMAInputError(path, f"named .nii but has no NIfTI header{hint}")
        return "nifti"
    if suffix in NRRD_SUFFIXES:
        raise CineMAInputError(path, "named NRRD but does not start with the 'NRRD000x' magic line")
    if suffix in DICOM_SUFFIXES:
        if looks_like_text(head):
            raise CineMAInputError(path, "is a text file, not a DICOM image")
        return "dicom"  # DICOM without the 128-byte preamble: pydicom decides
    raise CineMAInputError(path, f"unsupported file type {suffix!r}; CineMA reads DICOM, NIfTI "
                                 "(.nii, .nii.gz) and NRRD (.nrrd, .seq.nrrd, .nhdr)")


def _nifti_magic(head: bytes) -> bool:
    """NIfTI-1 ('n+1' at byte 344) or NIfTI-2 ('n+2' at byte 4)."""
    return head[344:347] in (b"n+1", b"ni1") or head[4:7] == b"n+2"


def list_folder(folder: Path) -> list[Path]:
    """Files under ``folder`` (recursively, not following linked folders: no symlink loops), hidden ones skipped."""
    files: list[Path] = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or name.lower() in IGNORED_NAMES:
                continue
            p = Path(root) / name
            if p.is_file():  # skips dangling and looping links
                files.append(p)
    return files


def sniff_folder(folder: Path) -> str:
    """'dicom' or 'volumes' (NIfTI/NRRD files) for a folder; an error when it holds nothing CineMA reads."""
    files = list_folder(folder)
    if not files:
        raise CineMAInputError(folder, "folder is empty (no readable files)")
    volumes = [f for f in files if full_suffix(f) in NIFTI_SUFFIXES + NRRD_SUFFIXES]
    if volumes and len(volumes) >= len(files) // 2:
        return "volumes"
    for f in files:
        if f.stat().st_size and has_dicom_preamble(read_head(f)):
            return "dicom"
    if any(full_suffix(f) in DICOM_SUFFIXES for f in files):
        return "dicom"
    if volumes:
        return "volumes"
    kinds = sorted({full_suffix(f) or "(no extension)" for f in files})
    raise CineMAInputError(folder, f"no DICOM, NIfTI or NRRD files found (file types: {', '.join(kinds[:8])})")
