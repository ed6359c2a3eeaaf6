"""The nodes of one CineMA run, found again through node references from its report table.

Why references: a proxy node (the segmentation or point list the user sees) takes the content and the attributes of
the sequence item each time the user browses to another frame, so attributes on it are lost; the report table,
the sequences and the browser are never replaced. The report table (``CineMA.role`` = ``report``, ``CineMA.runID``)
references the run's input cines (``CineMA.input.<view>``), per view its sequences, CineMA's own browser or plain
nodes (``CineMA.view.<view>.<role>``) and the chart nodes (``CineMA.extra.<role>``); proxies are looked up through
the browser. References are saved with the scene, renamed with imported IDs and dropped when a node is deleted.
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
ATTR_GRID, ATTR_FRAMES, ATTR_INPUT_VIEWS = "CineMA.grid", "CineMA.analysedFrames", "CineMA.inputViews"
ATTR_PHASES, ATTR_SOURCE, ATTR_METADATA = "CineMA.phases", "CineMA.source", "CineMA.metadata"
#: Report attribute: where the model window went and how (the analysis's "lv centre ..." provenance), kept so
#: Recompute, which measures edited labels without an analysis, still reports it.
ATTR_PLACEMENT = "CineMA.placement"
VIEW_ROLES = ("segmentation", "segmentation_sequence", "landmarks", "landmarks_sequence", "cine", "cine_sequence",
              "browser")
#: (shown node role, its sequence role): the shown node of a sequence is the browser's proxy, never referenced.
PROXY_ROLES = (("segmentation", "segmentation_sequence"), ("landmarks", "landmarks_sequence"),
               ("cine", "cine_sequence"))
REFERENCE_PREFIX = "CineMA"


@dataclass
class ViewNodes:
    """What one view's results are shown with: the displayed nodes, their sequences and the browser."""

    view: str
    segmentation: Any | None = None
    segmentation_sequence: Any | None = None
    landmarks: Any | None = None
    landmarks_sequence: Any | None = None
    cine: Any | None = None  # a cine that was no sequence (a MultiVolume): its frames as a sequence, so they browse
    cine_sequence: Any | None = None  # with the results in CineMA's browser
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
    """Mark a node CineMA made (never a proxy: browsing replaces its attributes) with its run and role."""
    node.SetAttribute(ATTR_RUN, run_id)
    node.SetAttribute(ATTR_ROLE, role)
    if view:
        node.SetAttribute(ATTR_VIEW, view)
    return node


def _reference(kind: str, *parts: str) -> str:
    return ".".join((REFERENCE_PREFIX, kind, *parts))


def record(result: ResultSet, inputs: dict[str, Any]) -> None:
    """Reference the run's input cines and every node it made (proxies excepted) from its report table."""
    report = result.report
    chosen = {view: node for view, node in inputs.items() if node is not None}
    report.SetAttribute(ATTR_INPUT_VIEWS, json.dumps(sorted(chosen)))  # names only: which inputs to expect
    for view, node in chosen.items():
        report.SetNodeReferenceID(_reference("input", view), node.GetID())
    for name, view in result.views.items():
        proxies = {shown for shown, sequence in PROXY_ROLES if getattr(view, sequence) is not None}
        for role in VIEW_ROLES:
            node = getattr(view, role)
            if node is not None and role not in proxies:
                report.SetNodeReferenceID(_reference("view", name, role), node.GetID())
    for role, node in result.extra.items():
        report.SetNodeReferenceID(_reference("extra", role), node.GetID())


def inputs_of(result: ResultSet) -> dict[str, Any]:
    """View name -> the cine node the run was computed from (None where the user deleted it)."""
    views = result.attribute_json(ATTR_INPUT_VIEWS, [])
    return {view: result.report.GetNodeReference(_reference("input", view)) for view in views}


def _roles(node: Any) -> list[str]:
    roles: list[str] = []
    node.GetNodeReferenceRoles(roles)
    return [role for role in roles if role.startswith(REFERENCE_PREFIX + ".")]


def reports(ctx: SceneContext) -> list[Any]:
    """Every CineMA report table in the scene."""
    tables = ctx.scene.GetNodesByClass("vtkMRMLTableNode")
    found = [tables.GetItemAsObject(i) for i in range(tables.GetNumberOfItems())]
    return [t for t in found if t.GetAttribute(ATTR_ROLE) == "report" and t.GetAttribute(ATTR_RUN)]


def run_ids(ctx: SceneContext, sax_input_id: str | None = None) -> list[str]:
    """Run IDs in the scene, oldest first; only runs on the given SAX input node when one is given."""
    runs: dict[str, int] = {}
    for report in reports(ctx):
        if sax_input_id is None or report.GetNodeReferenceID(_reference("input", "sax")) == sax_input_id:
            runs[report.GetAttribute(ATTR_RUN)] = int(report.GetAttribute(ATTR_NUMBER) or 0)
    return sorted(runs, key=runs.__getitem__)


def from_report(ctx: SceneContext, report: Any) -> ResultSet:
    """The run a report table belongs to, with each sequence's proxy as it is now."""
    views: dict[str, ViewNodes] = {}
    extra: dict[str, Any] = {}
    for role in _roles(report):
        parts, node = role.split("."), report.GetNodeReference(role)
        if node is None:
            continue
        if len(parts) == 4 and parts[1] == "view" and parts[3] in VIEW_ROLES:
            setattr(views.setdefault(parts[2], ViewNodes(parts[2])), parts[3], node)
        elif len(parts) == 3 and parts[1] == "extra":
            extra[parts[2]] = node
    for view in views.values():
        for shown, sequence in PROXY_ROLES:
            browser = _browser_showing(ctx, getattr(view, sequence))
            if browser is not None:
                setattr(view, shown, browser.GetProxyNode(getattr(view, sequence)))
    return ResultSet(report.GetAttribute(ATTR_RUN) or "", report, views, extra)


def find(ctx: SceneContext, run_id: str) -> ResultSet | None:
    """The result set of ``run_id``, or None when its report table is gone."""
    report = next((r for r in reports(ctx) if r.GetAttribute(ATTR_RUN) == run_id), None)
    return from_report(ctx, report) if report is not None else None


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
                     if node is not None and is_segmentation_edited(node, affine, shape)]
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
        if view.browser is not None and view.browser.GetScene() is not None:
            ctx.scene.RemoveNode(view.browser)  # first: a live browser re-creates the proxies removed below
    for node in result.all_nodes():
        for helper in _display_and_storage(node):
            if helper.GetScene() is not None:
                ctx.scene.RemoveNode(helper)
        if node.GetScene() is not None:
            ctx.scene.RemoveNode(node)
    folder = folder_of_run(ctx, result.run_id)
    if folder:
        ctx.subject_hierarchy().RemoveItem(folder, False, True)


def _display_and_storage(node: Any) -> list[Any]:
    """The display and storage nodes of ``node`` (removing a node from the scene leaves them behind)."""
    found = []
    if node.IsA("vtkMRMLDisplayableNode"):
        found += [node.GetNthDisplayNode(i) for i in range(node.GetNumberOfDisplayNodes())]
    if node.IsA("vtkMRMLStorableNode"):
        found += [node.GetNthStorageNode(i) for i in range(node.GetNumberOfStorageNodes())]
    return [n for n in found if n is not None]
