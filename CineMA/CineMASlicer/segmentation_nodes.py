"""One frame of CineMA labels <-> a ``vtkMRMLSegmentationNode`` with standard names, colours and codes.

Nodes are built outside the scene (sequence items live only inside their sequence); reading back goes through
temporary scene nodes because Slicer's labelmap export refuses nodes that are not in a scene.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .context import SceneContext
from .fingerprint import HASH_ATTRIBUTE, labels_hash
from .geometry import array_ijk, set_array_ijk
from .terminology import LABEL_TAG, SEGMENTS, label_of_segment


def _segment_ids(ids: list[str]) -> Any:
    import vtk

    array = vtk.vtkStringArray()
    for segment_id in ids:
        array.InsertNextValue(segment_id)
    return array


def new_segmentation(labels: np.ndarray, affine: np.ndarray) -> Any:
    """A segmentation node (not in a scene) holding one (i, j, k) CineMA label frame as LV/MYO/RV segments."""
    import slicer

    node = slicer.vtkMRMLSegmentationNode()
    segmentation = node.GetSegmentation()
    for spec in SEGMENTS:
        segmentation.AddEmptySegment(spec.segment_id, spec.name, list(spec.color))
        segment = segmentation.GetSegment(spec.segment_id)
        segment.SetTag(LABEL_TAG, str(spec.label))
        segment.SetTag(segment.GetTerminologyEntryTagName(), spec.terminology_entry())
    labelmap = slicer.vtkMRMLLabelMapVolumeNode()
    clean = np.where(np.isin(labels, [spec.label for spec in SEGMENTS]), labels, 0).astype(np.uint8)
    set_array_ijk(labelmap, clean, affine)
    # label value v goes to the v-th listed ID, and SEGMENTS is in label order 1, 2, 3
    ids = _segment_ids([spec.segment_id for spec in SEGMENTS])
    if not slicer.vtkSlicerSegmentationsModuleLogic.ImportLabelmapToSegmentationNode(labelmap, node, ids):
        raise RuntimeError("Slicer could not import the CineMA label map into a segmentation")
    node.SetAttribute(HASH_ATTRIBUTE, labels_hash(clean))
    return node


def labels_from_segmentation(ctx: SceneContext, node: Any, affine: np.ndarray,
                             shape: tuple[int, int, int]) -> np.ndarray:
    """The (i, j, k) CineMA labels a segmentation holds on the given grid; segments the user added are ignored."""
    import slicer

    segmentation = node.GetSegmentation()
    by_label: dict[int, str] = {}
    for i in range(segmentation.GetNumberOfSegments()):
        label = label_of_segment(segmentation.GetNthSegment(i))
        if label is not None and label not in by_label:
            by_label[label] = segmentation.GetNthSegmentID(i)
    result = np.zeros(shape, dtype=np.uint8)
    if not by_label:
        return result
    scene = ctx.scene
    temp_seg = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "CineMA temporary segmentation")
    reference = scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "CineMA temporary reference")
    exported = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", "CineMA temporary labelmap")
    try:
        temp_seg.GetSegmentation().DeepCopy(segmentation)
        set_array_ijk(reference, np.zeros(shape, dtype=np.uint8), affine)
        order = sorted(by_label)  # exported values are 1..n in the order of the IDs given
        ids = _segment_ids([by_label[label] for label in order])
        if not slicer.vtkSlicerSegmentationsModuleLogic.ExportSegmentsToLabelmapNode(temp_seg, ids, exported,
                                                                                      reference):
            raise RuntimeError(f"Slicer could not export segmentation {node.GetName()!r} to a label map")
        values = array_ijk(exported)
        for position, label in enumerate(order, start=1):
            result[values == position] = label
    finally:
        for temp in (exported, reference, temp_seg):
            scene.RemoveNode(temp)
    return result


def is_segmentation_edited(ctx: SceneContext, node: Any, affine: np.ndarray, shape: tuple[int, int, int]) -> bool:
    """True when the node's labels differ from what CineMA wrote (or carry no CineMA fingerprint at all)."""
    stored = node.GetAttribute(HASH_ATTRIBUTE)
    return stored is None or stored != labels_hash(labels_from_segmentation(ctx, node, affine, shape))
