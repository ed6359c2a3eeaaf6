"""Read a cine from scene nodes into a :class:`CineMALib.study.CineView` / ``CineStudy``.

Accepted inputs per view: a volume sequence (``vtkMRMLSequenceNode``), a volume that is the proxy of a sequence
browser (what a node selector shows for a loaded ``.seq.nrrd``), a multi-component 4-D volume (MultiVolume: one
component per frame) or a single 3-D volume (one frame). Geometry comes from each node's IJKToRAS matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.study import CineStudy, CineView, StudyMetadata

from .context import SceneContext
from .geometry import affine_of, array_ijk

#: Sequence index units that give trigger times, and their factor to milliseconds.
TIME_UNITS_TO_MS: dict[str, float] = {"ms": 1.0, "msec": 1.0, "s": 1000.0, "sec": 1000.0}


def cine_sequence_of(ctx: SceneContext, node: Any) -> tuple[Any | None, Any | None]:
    """(sequence, browser) behind ``node``: the node itself if it is a sequence, or the sequence it is a proxy of."""
    if node.IsA("vtkMRMLSequenceNode"):
        return node, ctx.sequences_logic.GetFirstBrowserNodeForSequenceNode(node)
    browser = ctx.sequences_logic.GetFirstBrowserNodeForProxyNode(node)
    if browser is not None:
        return browser.GetSequenceNode(node), browser
    return None, None


def trigger_times_ms(sequence: Any) -> np.ndarray | None:
    """Index values of a sequence as milliseconds, or None when they are not times (e.g. plain frame numbers)."""
    factor = TIME_UNITS_TO_MS.get(sequence.GetIndexUnit().strip().lower())
    if factor is None:
        return None
    try:
        values = [float(sequence.GetNthIndexValue(i)) for i in range(sequence.GetNumberOfDataNodes())]
    except ValueError:
        return None
    return np.asarray(values) * factor


def _frames_from_sequence(sequence: Any, view: str) -> tuple[np.ndarray, np.ndarray]:
    frames, affine = [], None
    for i in range(sequence.GetNumberOfDataNodes()):
        item = sequence.GetNthDataNode(i)
        if item is None or not item.IsA("vtkMRMLScalarVolumeNode") or item.GetImageData() is None:
            raise CineMAInputError(sequence.GetName(), f"{view}: item {i} of the sequence is not an image volume")
        this_affine = affine_of(item)
        if affine is not None and not np.allclose(this_affine, affine, atol=1e-3):
            raise CineMAInputError(sequence.GetName(), f"{view}: frame {i} has a different geometry than frame 0")
        data = array_ijk(item)
        if frames and data.shape != frames[0].shape:
            raise CineMAInputError(sequence.GetName(), f"{view}: frame {i} has shape {data.shape}, frame 0 "
                                                       f"{frames[0].shape}")
        frames.append(data)
        affine = this_affine
    if not frames:
        raise CineMAInputError(sequence.GetName(), f"{view}: the sequence has no frames")
    return np.stack(frames, axis=-1), affine  # type: ignore[return-value]


def _multivolume_times(node: Any, n_frames: int) -> np.ndarray | None:
    labels = node.GetAttribute("MultiVolume.FrameLabels")
    unit = (node.GetAttribute("MultiVolume.FrameIdentifyingDICOMTagUnits") or "").strip().lower()
    if not labels or unit not in TIME_UNITS_TO_MS:
        return None
    try:
        values = np.asarray([float(v) for v in labels.split(",")]) * TIME_UNITS_TO_MS[unit]
    except ValueError:
        return None
    return values if values.size == n_frames else None


def is_multivolume(node: Any) -> bool:
    """A MultiVolume (MultiVolumeExplorer's ``vtkMRMLMultiVolumeNode``: one frame per scalar component), known by
    its class, its ``GetNumberOfFrames`` API or the attributes its importers set (slicer-core lacks the class)."""
    return node.GetClassName() == "vtkMRMLMultiVolumeNode" or callable(getattr(node, "GetNumberOfFrames", None)) \
        or node.GetAttribute("MultiVolume.NumberOfFrames") is not None


def _check_multivolume(node: Any, view: str, n_components: int) -> None:
    if not is_multivolume(node):
        raise CineMAInputError(node.GetName(), f"{view}: a multi-component (e.g. RGB) image is not a cine; "
                                               "load the cine as a sequence (.seq.nrrd) or a MultiVolume")
    stated = node.GetAttribute("MultiVolume.NumberOfFrames")
    if stated and stated.strip().isdigit() and int(stated) != n_components:
        raise CineMAInputError(node.GetName(), f"{view}: the MultiVolume says {stated} frames but its image has "
                                               f"{n_components} components; reload the cine")


def to_world(node: Any) -> np.ndarray:
    """4x4 RAS -> world matrix of the node's parent transform (identity when none); a warp cannot be a grid."""
    import vtk

    transformable = node is not None and node.IsA("vtkMRMLTransformableNode")
    transform = node.GetParentTransformNode() if transformable else None
    if transform is None:
        return np.eye(4)
    if not transform.IsTransformToWorldLinear():
        raise CineMAInputError(node.GetName(), "the cine is under a non-linear transform: harden it first "
                                               "(Data module, right-click the transform, Harden transform)")
    matrix = vtk.vtkMatrix4x4()
    transform.GetMatrixTransformToWorld(matrix)
    return np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)], dtype=float)


def view_from_node(ctx: SceneContext, node: Any, view: str) -> CineView:
    """One :class:`CineView` (x, y, z, t float32 + RAS affine) from whatever cine node the user picked.

    The affine includes a linear parent transform of the displayed node, so results line up with what the user
    sees (and with the node when it is hardened).
    """
    sequence, browser = cine_sequence_of(ctx, node)
    shown = browser.GetProxyNode(sequence) if sequence is not None and browser is not None else node
    if sequence is not None:
        data, affine = _frames_from_sequence(sequence, view)
        times = trigger_times_ms(sequence)
    elif node.IsA("vtkMRMLScalarVolumeNode") and node.GetImageData() is not None:
        data, affine = array_ijk(node), affine_of(node)
        times = _multivolume_times(node, data.shape[3]) if data.ndim == 4 else None
        if data.ndim == 4:
            _check_multivolume(node, view, data.shape[3])
    else:
        raise CineMAInputError(node.GetName(), f"{view}: not an image volume or volume sequence")
    return CineView(view, np.asarray(data, dtype=np.float32), to_world(shown) @ affine, trigger_times_ms=times)


def study_from_nodes(ctx: SceneContext, nodes: dict[str, Any], metadata: StudyMetadata | None = None,
                     study_id: str | None = None) -> CineStudy:
    """A :class:`CineStudy` from view name -> node (``sax`` required, LAX views optional)."""
    if "sax" not in nodes or nodes["sax"] is None:
        raise CineMAInputError(None, "choose a short-axis (SAX) cine")
    views = {name: view_from_node(ctx, node, name) for name, node in nodes.items() if node is not None}
    return CineStudy(views, metadata or StudyMetadata(), study_id or nodes["sax"].GetName())
