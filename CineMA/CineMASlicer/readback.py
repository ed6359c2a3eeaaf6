"""Scene -> results: the (possibly hand-edited) segmentations and landmarks of a run as ``AnalysisResults``.

Why: Recompute must measure what the user sees now, on the original grid of each view. The run's ED/ES frames are
passed along for the record only (no ``phases`` decision): Recompute measures at the panel's ED/ES frames when the user
gave them, else ED/ES are decided again (:func:`CineMALib.phases.decide_ed_es`) on the edited volumes.
"""

from __future__ import annotations

import json

import numpy as np

from CineMALib.results import AnalysisResults, ViewResult

from . import result_set as rs
from .context import SceneContext
from .fingerprint import HASH_ATTRIBUTE, labels_hash
from .landmark_nodes import points_of
from .segmentation_nodes import labels_from_segmentation


def view_labels(ctx: SceneContext, nodes: rs.ViewNodes) -> tuple[np.ndarray | None, tuple[int, ...]]:
    """(x, y, z, t) labels of a view now, and the analysed frames (the run's plus any the user contoured)."""
    frames = nodes.segmentation_frames()
    if not frames:
        return None, ()
    affine, shape = nodes.grid()
    holder = nodes.segmentation_sequence or nodes.segmentation
    analysed = set(json.loads(holder.GetAttribute(rs.ATTR_FRAMES) or "[]"))
    stack = []
    for t, node in enumerate(frames):
        labels = labels_from_segmentation(node, affine, shape)
        if node.GetAttribute(HASH_ATTRIBUTE) != labels_hash(labels) and labels.any():
            analysed.add(t)  # the user contoured a frame the run had left out
        stack.append(labels)
    return np.stack(stack, axis=-1), tuple(sorted(analysed))


def _landmarks(nodes: rs.ViewNodes) -> dict[str, np.ndarray]:
    frames = nodes.landmark_frames()
    per_frame = [points_of(node) if node is not None else {} for node in frames]
    names = sorted({name for points in per_frame for name in points})
    tracks = {name: np.full((len(frames), 3), np.nan) for name in names}
    for t, points in enumerate(per_frame):
        for name, xyz in points.items():
            tracks[name][t] = xyz
    return tracks


def results_from_scene(ctx: SceneContext, result: rs.ResultSet, study_id: str) -> AnalysisResults:
    """What the run's nodes hold now, as analysis results on each view's own grid."""
    rs.flush(ctx, result)
    views = {}
    for name, nodes in result.views.items():
        affine, _ = nodes.grid()
        labels, analysed = view_labels(ctx, nodes)
        views[name] = ViewResult(name, affine, labels, analysed, _landmarks(nodes))
    phases = result.attribute_json(rs.ATTR_PHASES, {})
    provenance = {"source": result.report.GetAttribute(rs.ATTR_SOURCE) or "", "read_from": "Slicer scene",
                  **(result.attribute_json(rs.ATTR_PLACEMENT, {}) or {})}  # edits do not move the window
    return AnalysisResults(study_id, views, phases.get("ed"), phases.get("es"), phases.get("method", ""),
                           provenance=provenance)
