"""One frame of CineMA labels <-> a ``vtkMRMLSegmentationNode`` with standard names, colours and codes.

Nodes are built outside the scene (sequence items live only inside their sequence). A frame without labels (fast
mode leaves all but ED and ES out) gets Slicer's own empty segments: an imported all-zero label map is written as a
1-voxel image that Slicer's reader crashes on. Reading back merges the segments into a label map in memory (no
temporary scene nodes: each would leave colour tables and display nodes behind on every Recompute).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .fingerprint import HASH_ATTRIBUTE, labels_hash
from .terminology import LABEL_TAG, SEGMENTS, label_of_segment


def _segment_ids(ids: list[str]) -> Any:
    import vtk

    array = vtk.vtkStringArray()
    for segment_id in ids:
        array.InsertNextValue(segment_id)
    return array


def _image_geometry(affine: np.ndarray, shape: tuple[int, ...]) -> Any:
    """An oriented image without voxels: the (i, j, k) grid of ``shape`` placed by the voxel -> RAS ``affine``."""
    import slicer
    import vtk

    image = slicer.vtkOrientedImageData()
    image.SetExtent(0, shape[0] - 1, 0, shape[1] - 1, 0, shape[2] - 1)
    matrix = vtk.vtkMatrix4x4()
    for r in range(4):
        for c in range(4):
            matrix.SetElement(r, c, float(affine[r, c]))
    image.SetImageToWorldMatrix(matrix)
    return image


def new_segmentation(labels: np.ndarray, affine: np.ndarray) -> Any:
    """A segmentation node (not in a scene) holding one (i, j, k) CineMA label frame as LV/MYO/RV segments.

    The segments share one label map (label value = CineMA label), as Slicer's own import makes them; built directly
    because the import asks for display nodes, which a node outside a scene cannot have (an error per frame).
    """
    import slicer
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy

    node = slicer.vtkMRMLSegmentationNode()
    segmentation = node.GetSegmentation()
    geometry = _image_geometry(affine, labels.shape)
    segmentation.SetConversionParameter(slicer.vtkSegmentationConverter.GetReferenceImageGeometryParameterName(),
                                        slicer.vtkSegmentationConverter.SerializeImageGeometry(geometry))
    clean = np.where(np.isin(labels, [spec.label for spec in SEGMENTS]), labels, 0).astype(np.uint8)
    shared = None
    if clean.any():  # else Slicer's own empty segments: where the Segment Editor paints, the geometry above
        shared = geometry
        shared.AllocateScalars(vtk.VTK_UNSIGNED_CHAR, 1)
        vtk_to_numpy(shared.GetPointData().GetScalars())[:] = np.ascontiguousarray(clean.transpose(2, 1, 0)).ravel()
    for spec in SEGMENTS:
        segmentation.AddEmptySegment(spec.segment_id, spec.name, list(spec.color))
        segment = segmentation.GetSegment(spec.segment_id)
        segment.SetTag(LABEL_TAG, str(spec.label))
        segment.SetTag(segment.GetTerminologyEntryTagName(), spec.terminology_entry())
        if shared is not None:
            segment.AddRepresentation(slicer.vtkSegmentationConverter.GetBinaryLabelmapRepresentationName(), shared)
            segment.SetLabelValue(spec.label)
    node.SetAttribute(HASH_ATTRIBUTE, labels_hash(clean))
    return node


def labels_from_segmentation(node: Any, affine: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """The (i, j, k) CineMA labels a segmentation holds on the given grid; segments the user added are ignored."""
    import slicer
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy

    segmentation = node.GetSegmentation()
    by_label: dict[int, str] = {}
    for i in range(segmentation.GetNumberOfSegments()):
        label = label_of_segment(segmentation.GetNthSegment(i))
        if label is not None and label not in by_label:
            by_label[label] = segmentation.GetNthSegmentID(i)
    if not by_label:
        return np.zeros(shape, dtype=np.uint8)
    order = sorted(by_label)  # painted in this order: where segments overlap, the higher label wins
    values = vtk.vtkIntArray()
    for label in order:
        values.InsertNextValue(label)
    merged = slicer.vtkOrientedImageData()
    if not node.GenerateMergedLabelmapForAllSegments(merged, slicer.vtkSegmentation.EXTENT_REFERENCE_GEOMETRY,
                                                     _image_geometry(affine, shape),
                                                     _segment_ids([by_label[label] for label in order]), values):
        raise RuntimeError(f"Slicer could not merge segmentation {node.GetName()!r} into a label map")
    kji = vtk_to_numpy(merged.GetPointData().GetScalars()).reshape(tuple(shape)[::-1])
    return np.ascontiguousarray(kji.transpose(2, 1, 0)).astype(np.uint8)


def is_segmentation_edited(node: Any, affine: np.ndarray, shape: tuple[int, int, int]) -> bool:
    """True when the node's labels differ from what CineMA wrote (or carry no CineMA fingerprint at all)."""
    stored = node.GetAttribute(HASH_ATTRIBUTE)
    return stored is None or stored != labels_hash(labels_from_segmentation(node, affine, shape))
