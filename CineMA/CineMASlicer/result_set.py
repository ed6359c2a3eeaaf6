"""The nodes of one CineMA run, found again by node attributes (so it works after a scene is saved and reloaded).

Every node CineMA creates carries ``CineMA.runID`` and ``CineMA.role`` (and ``CineMA.view`` per view); the report
table also records the input node IDs, phases and patient data needed to recompute.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .context import SceneContext
from .hierarchy import folder_of_run
from .landmark_nodes import is_fiducials_edited
from .segmentation_nodes import is_segmentation_edited
from .sequences import flush_edits

ATTR_RUN, ATTR_ROLE, ATTR_VIEW, ATTR_NUMBER = "CineMA.runID", "CineMA.role", "CineMA.view", "CineMA.runNumber"
ATTR_INPUTS, ATTR_GRID, ATTR_FRAMES = "CineMA.inputs", "CineMA.grid", "CineMA.analysedFrames"
ATTR_PHASES, ATTR_SOURCE, ATTR_METADATA = "CineMA.phases", "CineMA.source", "CineMA.metadata"
VIEW_ROLES = ("segmentation", "segmentation_sequence", "landmarks", "landmarks_sequence", "browser")


@dataclass
class ViewNodes:
    """What one view's results are shown with: the displayed nodes, their sequences and the browser."""

    view: str
    segmentation: Any | None = None
    segmentation_sequence: Any | None = None
    landmarks: Any | None = None
    landmarks_sequence: Any | None = None
    browser: Any | None = None  # set only when CineMA created the browser (the cine had none)

    def segmentation_frames(self) -> list[Any]:
        """Per-frame segmentation nodes (sequence items, or the single plain node)."""
        if self.segmentation_sequence is not None:
            seq = self.segmentation_sequence
            return [seq.GetNthDataNode(i) for i in range(seq.GetNumberOfDataNodes())]
        return [self.segmentation] if self.segmentation is not None else []

    def landmark_frames(self) -> list[Any]:
        if self.landmarks_sequence is not None:
            seq = self.landmarks_sequence
            return [seq.GetNthDataNode(i) for i in range(seq.GetNumberOfDataNodes())]
        return [self.landmarks] if self.landmarks is not None else []

    def grid(self) -> tuple[np.ndarray, tuple[int, int, int]]:
        """Affine and (i, j, k) shape of the view the labels live on (recorded when the nodes were made)."""
        holders = (self.segmentation_sequence, self.segmentation, self.landmarks_sequence, self.landmarks)
        holder = next(h for h in holders if h is not None and h.GetAttribute(ATTR_GRID))
        grid = json.loads(holder.GetAttribute(ATTR_GRID))
        return np.asarray(grid["affine"], dtype=float).reshape(4, 4), tuple(grid["shape"])  # type: ignore[return-value]


@dataclass
class ResultSet:
    """All nodes of run ``run_id``: the report table, per-view nodes and the curve/chart nodes."""

    run_id: str
    report: Any
    views: dict[str, ViewNodes] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def attribute_json(self, name: str, default: Any = None) -> Any:
        text = self.report.GetAttribute(name)
        return json.loads(text) if text else default

    def all_nodes(self) -> list[Any]:
        nodes = [self.report, *self.extra.values()]
        for view in self.views.values():
            nodes += [getattr(view, role) for role in VIEW_ROLES]
        return [n for n in nodes if n is not None]


def tag(node: Any, run_id: str, role: str, view: str = "") -> Any:
    node.SetAttribute(ATTR_RUN, run_id)
    node.SetAttribute(ATTR_ROLE, role)
    if view:
        node.SetAttribute(ATTR_VIEW, view)
    return node


def _tagged_nodes(ctx: SceneContext, run_id: str | None = None) -> list[Any]:
    nodes = []
    collection = ctx.scene.GetNodes()
    for i in range(collection.GetNumberOfItems()):
        node = collection.GetItemAsObject(i)
        value = node.GetAttribute(ATTR_RUN)
        if value and (run_id is None or value == run_id):
            nodes.append(node)
    return nodes


def run_ids(ctx: SceneContext, sax_input_id: str | None = None) -> list[str]:
    """Run IDs in the scene, oldest first; only runs on the given SAX input node when one is given."""
    runs: dict[str, int] = {}
    for node in _tagged_nodes(ctx):
        if node.GetAttribute(ATTR_ROLE) != "report":
            continue
        inputs = json.loads(node.GetAttribute(ATTR_INPUTS) or "{}")
        if sax_input_id is None or inputs.get("sax") == sax_input_id:
            runs[node.GetAttribute(ATTR_RUN)] = int(node.GetAttribute(ATTR_NUMBER) or 0)
    return sorted(runs, key=runs.__getitem__)


def find(ctx: SceneContext, run_id: str) -> ResultSet | None:
    """The result set of ``run_id``, or None when its report table is gone."""
    report, views, extra = None, {}, {}
    for node in _tagged_nodes(ctx, run_id):
        role, view = node.GetAttribute(ATTR_ROLE), node.GetAttribute(ATTR_VIEW) or ""
        if role == "report":
            report = node
        elif role in VIEW_ROLES and view:
            setattr(views.setdefault(view, ViewNodes(view)), role, node)
        else:
            extra[role] = node
    return ResultSet(run_id, report, views, extra) if report is not None else None


def _browser_showing(ctx: SceneContext, sequence: Any) -> Any | None:
    return ctx.sequences_logic.GetFirstBrowserNodeForSequenceNode(sequence) if sequence is not None else None


def flush(ctx: SceneContext, result: ResultSet) -> None:
    """Save what the proxies display into the sequences, so reads see the user's latest edits."""
    for view in result.views.values():
        flush_edits(ctx, _browser_showing(ctx, view.segmentation_sequence), view.segmentation)
        flush_edits(ctx, _browser_showing(ctx, view.landmarks_sequence), view.landmarks)


def edited_frames(ctx: SceneContext, view: ViewNodes) -> tuple[list[int], list[int]]:
    """(frames whose segmentation was edited, frames whose landmarks were edited) of one view."""
    seg_edits: list[int] = []
    if view.segmentation_frames():
        affine, shape = view.grid()
        seg_edits = [t for t, node in enumerate(view.segmentation_frames())
                     if node is not None and is_segmentation_edited(ctx, node, affine, shape)]
    mark_edits = [t for t, node in enumerate(view.landmark_frames()) if node is not None and is_fiducials_edited(node)]
    return seg_edits, mark_edits


def is_edited(ctx: SceneContext, result: ResultSet) -> bool:
    """True when the user changed any segmentation or landmark of this run."""
    flush(ctx, result)
    return any(any(edited_frames(ctx, view)) for view in result.views.values())


def remove(ctx: SceneContext, result: ResultSet) -> None:
    """Delete the run's nodes (never the user's cine or its browser) and its hierarchy folder."""
    for view in result.views.values():
        for sequence in (view.segmentation_sequence, view.landmarks_sequence):
            browser = _browser_showing(ctx, sequence)
            if browser is not None and view.browser is None:
                browser.RemoveSynchronizedSequenceNode(sequence.GetID())
    for node in result.all_nodes():
        if node.GetScene() is not None:
            ctx.scene.RemoveNode(node)
    folder = folder_of_run(ctx, result.run_id)
    if folder:
        ctx.subject_hierarchy().RemoveItem(folder, False, True)
