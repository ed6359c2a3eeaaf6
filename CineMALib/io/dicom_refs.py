"""Which DICOM image each (slice, frame) of a cine came from, so results can point back at the exact source images.

Why keep it: a DICOM Segmentation and a TID 1500 report must reference the SOP instances they were derived from
(PS3.3 C.8.20 Segmentation, Common Instance Reference module). The reader knows them while stacking; afterwards the
(x, y, z, t) array has forgotten. ``refs.uid(k, t)`` is the SOP Instance UID of slice ``k`` (array z index), frame
``t`` (array t index), and ``labels[:, :, k, t].T`` is that image's (rows, columns) label frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DicomRefs:
    """Per (slice k, frame t): SOP Instance UID, file, and 0-based frame inside a multi-frame file (None if single)."""

    sop_instance_uids: tuple[tuple[str, ...], ...]
    sop_class_uid: str
    files: tuple[tuple[Path, ...], ...]
    frames_in_file: tuple[tuple[int | None, ...], ...]
    study_instance_uid: str
    series_instance_uid: str
    frame_of_reference_uid: str

    @property
    def n_slices(self) -> int:
        return len(self.sop_instance_uids)

    @property
    def n_frames(self) -> int:
        return len(self.sop_instance_uids[0]) if self.sop_instance_uids else 0

    def uid(self, k: int, t: int) -> str:
        return self.sop_instance_uids[k][t]

    @property
    def single_frame(self) -> bool:
        """True when every image is its own file (classic MR): the case a DICOM SEG can reference directly."""
        return all(f is None for row in self.frames_in_file for f in row)

    def to_json(self) -> dict[str, Any]:
        return {"sop_instance_uids": [list(r) for r in self.sop_instance_uids], "sop_class_uid": self.sop_class_uid,
                "files": [[str(p) for p in r] for r in self.files],
                "frames_in_file": [list(r) for r in self.frames_in_file],
                "study_instance_uid": self.study_instance_uid, "series_instance_uid": self.series_instance_uid,
                "frame_of_reference_uid": self.frame_of_reference_uid}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DicomRefs:
        return cls(sop_instance_uids=tuple(tuple(r) for r in data["sop_instance_uids"]),
                   sop_class_uid=data["sop_class_uid"], files=tuple(tuple(Path(p) for p in r) for r in data["files"]),
                   frames_in_file=tuple(tuple(r) for r in data["frames_in_file"]),
                   study_instance_uid=data["study_instance_uid"], series_instance_uid=data["series_instance_uid"],
                   frame_of_reference_uid=data["frame_of_reference_uid"])


def refs_from_slices(slices: list[list[Any]]) -> DicomRefs | None:
    """Refs of a stack's ``slices[k][t]`` frame records; None when an image has no SOP Instance UID."""
    uids, files, frames = [], [], []
    for row in slices:
        row_uids = [str(rec.header.get("SOPInstanceUID", "") or "") for rec in row]
        if not all(row_uids):
            return None
        uids.append(tuple(row_uids))
        files.append(tuple(rec.path for rec in row))
        frames.append(tuple(rec.frame for rec in row))
    first = slices[0][0].header
    return DicomRefs(sop_instance_uids=tuple(uids), sop_class_uid=str(first.get("SOPClassUID", "") or ""),
                     files=tuple(files), frames_in_file=tuple(frames),
                     study_instance_uid=str(first.get("StudyInstanceUID", "") or ""),
                     series_instance_uid=str(first.get("SeriesInstanceUID", "") or ""),
                     frame_of_reference_uid=str(first.get("FrameOfReferenceUID", "") or ""))
