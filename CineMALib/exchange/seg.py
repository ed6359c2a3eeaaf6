"""One DICOM Segmentation per view, over every analysed frame of the cine, referencing the exact source images.

Why the merge: highdicom builds a SEG from spatially distinct planes only (a cine repeats each slice position once
per frame), so one SEG is built per analysed frame (the stack's slices at that time) and their frames are joined
into one object. The join adds a temporal dimension: each frame's Frame Content carries Temporal Position Index =
cine frame + 1 and a Frame Label ("ED", "ES", "frame 5"), the Dimension Index gains that pointer, and the
Derivation Image Sequence of every frame names its own source image (so a reader maps frames back by SOP
Instance UID, :mod:`CineMALib.exchange.seg_read`). Segments: 1 RV blood pool, 2 LV myocardium, 3 LV blood pool
(CineMA's label values are the segment numbers), codes in :mod:`CineMALib.exchange.codes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag

from CineMALib.exchange.codes import ANATOMICAL_STRUCTURE, SEGMENT_CODES, SEGMENT_LABELS

ALGORITHM_TYPES = ("AUTOMATIC", "SEMIAUTOMATIC", "MANUAL")
TEMPORAL_POSITION_INDEX = Tag(0x0020, 0x9128)
FRAME_CONTENT_SEQUENCE = Tag(0x0020, 0x9111)


@dataclass(frozen=True)
class Algorithm:
    """What made the labels: name, version, and parameters (model, weights, checksum) for the SEG and SR."""

    name: str = "CineMA"
    version: str = ""
    parameters: tuple[str, ...] = ()
    kind: str = "AUTOMATIC"  # AUTOMATIC, SEMIAUTOMATIC (CineMA output edited by hand) or MANUAL

    def identification(self):  # -> highdicom.AlgorithmIdentificationSequence
        import highdicom as hd
        from pydicom.sr.codedict import codes

        return hd.AlgorithmIdentificationSequence(name=self.name, version=self.version or "unknown",
                                                  family=codes.cid7162.ArtificialIntelligence,
                                                  parameters=dict(_pair(p) for p in self.parameters) or None)


def _pair(text: str) -> tuple[str, str]:
    """'key=value' -> (key, value); a bare text becomes its own key with an empty value."""
    key, _, value = text.partition("=")
    return key.strip(), value.strip()


def segment_descriptions(algorithm: Algorithm, labels_present: Sequence[int] = (1, 2, 3)) -> list:
    """highdicom segment descriptions for the CineMA labels (tracking UIDs fresh per object)."""
    import highdicom as hd
    from highdicom.seg import SegmentAlgorithmTypeValues, SegmentDescription

    if algorithm.kind not in ALGORITHM_TYPES:
        raise ValueError(f"algorithm type {algorithm.kind!r} is not one of {ALGORITHM_TYPES}")
    kind = SegmentAlgorithmTypeValues[algorithm.kind]
    ident = None if algorithm.kind == "MANUAL" else algorithm.identification()
    category = hd.sr.CodedConcept(ANATOMICAL_STRUCTURE.value, ANATOMICAL_STRUCTURE.scheme, ANATOMICAL_STRUCTURE.meaning)
    out = []
    for label in labels_present:
        code = SEGMENT_CODES[label]
        out.append(SegmentDescription(
            segment_number=label, segment_label=SEGMENT_LABELS[label], segmented_property_category=category,
            segmented_property_type=hd.sr.CodedConcept(code.value, code.scheme, code.meaning),
            algorithm_type=kind, algorithm_identification=ident, tracking_uid=hd.UID(),
            tracking_id=SEGMENT_LABELS[label]))
    return out


def frame_label(t: int, ed: int | None, es: int | None) -> str:
    names = [n for n, f in (("ED", ed), ("ES", es)) if f == t]
    return f"{'/'.join(names) + ' ' if names else ''}frame {t}"


def build_view_seg(labels: np.ndarray, frames: Sequence[int], sources: Mapping[int, Sequence[Dataset]],
                   algorithm: Algorithm, *, series_uid: str, sop_uid: str, series_number: int, instance_number: int,
                   ed: int | None = None, es: int | None = None, series_description: str = "") -> Dataset:
    """The SEG of one view: ``labels`` (x, y, z, t) CineMA labels; ``sources[t]`` the z source headers of frame t."""
    import highdicom as hd
    from highdicom.seg import Segmentation, SegmentationTypeValues

    if not frames:
        raise ValueError("no analysed frames to export")
    descriptions = segment_descriptions(algorithm)
    parts = []
    for t in frames:
        pixels = np.ascontiguousarray(np.transpose(labels[:, :, :, t], (2, 1, 0))).astype(np.uint8)  # (z, rows, cols)
        parts.append(Segmentation(
            source_images=list(sources[t]), pixel_array=pixels, segmentation_type=SegmentationTypeValues.BINARY,
            segment_descriptions=descriptions, series_instance_uid=series_uid, series_number=series_number,
            sop_instance_uid=sop_uid, instance_number=instance_number, manufacturer="CineMA",
            manufacturer_model_name=algorithm.name[:64], software_versions=algorithm.version or "unknown",
            device_serial_number="none", omit_empty_frames=False, content_label="CINEMA_SEG",
            content_description=(series_description or "CineMA segmentation")[:64],
            series_description=(series_description or "CineMA segmentation")[:64]))
    return merge_frames(parts, list(frames), ed, es)


def merge_frames(parts: list[Dataset], frames: list[int], ed: int | None, es: int | None) -> Dataset:
    """Join per-time SEGs (same segments, same series) into the first one, adding the temporal dimension."""
    try:
        from pydicom.pixels import pack_bits
    except ImportError:  # pydicom 2 (Python 3.9 / Slicer 5.8)
        from pydicom.pixel_data_handlers.numpy_handler import pack_bits

    base = parts[0]
    index_items = list(base.DimensionIndexSequence)
    temporal = Dataset()
    temporal.DimensionOrganizationUID = index_items[0].DimensionOrganizationUID
    temporal.DimensionIndexPointer = TEMPORAL_POSITION_INDEX
    temporal.FunctionalGroupPointer = FRAME_CONTENT_SEQUENCE
    temporal.DimensionDescriptionLabel = "Temporal Position Index"
    base.DimensionIndexSequence = DicomSequence([index_items[0], temporal, *index_items[1:]])
    per_frame, pixels, sources, instances = [], [], {}, {}
    for part, t in zip(parts, frames):
        for item in part.PerFrameFunctionalGroupsSequence:
            content = item.FrameContentSequence[0]
            values = list(content.DimensionIndexValues)
            content.DimensionIndexValues = [values[0], t + 1, *values[1:]]  # dciodvfy: equal to the index
            content.TemporalPositionIndex = t + 1
            content.FrameLabel = frame_label(t, ed, es)
            per_frame.append(item)
        arr = part.pixel_array
        pixels.append(arr.reshape(-1, int(part.Rows), int(part.Columns)))
        for ref in part.get("SourceImageSequence", []):
            sources.setdefault(ref.ReferencedSOPInstanceUID, ref)
        for series in part.ReferencedSeriesSequence:
            for ref in series.ReferencedInstanceSequence:
                instances.setdefault((series.SeriesInstanceUID, ref.ReferencedSOPInstanceUID), ref)
    base.PerFrameFunctionalGroupsSequence = DicomSequence(per_frame)
    base.NumberOfFrames = len(per_frame)
    stacked = np.concatenate(pixels, axis=0)
    base.PixelData = pack_bits(stacked)
    if sources:
        base.SourceImageSequence = DicomSequence(list(sources.values()))
    by_series: dict[str, list[Dataset]] = {}
    for (series_uid, _), ref in instances.items():
        by_series.setdefault(series_uid, []).append(ref)
    items = []
    for series_uid, refs in by_series.items():
        item = Dataset()
        item.ReferencedInstanceSequence = DicomSequence(refs)
        item.SeriesInstanceUID = series_uid
        items.append(item)
    base.ReferencedSeriesSequence = DicomSequence(items)
    if "DimensionOrganizationType" in base:
        del base.DimensionOrganizationType  # '3D' promises one frame per position; a cine repeats positions
    return base
