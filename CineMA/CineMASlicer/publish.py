"""Analysis results -> scene: per view a segmentation (sequence) and landmark point lists that follow the cine's
browser, the report table, the volume chart, all in a results folder under the study.

A previous run on the same cine is replaced only if the user did not edit it; an edited run is kept untouched and
the new run gets new nodes (named "... run N"), so hand corrections are never lost.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

import numpy as np

from CineMALib.results import AnalysisResults, ViewResult
from CineMALib.study import CineStudy

from . import result_set as rs
from .cine_nodes import add_cine, frame_index_values
from .context import SceneContext
from .hierarchy import place, results_folder
from .landmark_nodes import frame_points, new_fiducials, style_landmarks
from .report_nodes import add_curve_nodes, fill_report_table
from .report_rows import rows_from_report
from .segmentation_nodes import new_segmentation
from .sequences import new_browser, new_sequence, synchronize
from .study_nodes import cine_sequence_of

VIEW_TITLES = {"sax": "SAX", "lax_2c": "2C", "lax_3c": "3C", "lax_4c": "4C"}


def _index_values(ctx: SceneContext, input_node: Any, study: CineStudy, view: str) -> tuple[list[str], str, Any]:
    """Index values, unit and browser of the user's cine (or the study's own frame values and no browser)."""
    sequence, browser = cine_sequence_of(ctx, input_node)
    if sequence is not None and sequence.GetNumberOfDataNodes() == study[view].n_frames:
        values = [sequence.GetNthIndexValue(i) for i in range(sequence.GetNumberOfDataNodes())]
        return values, sequence.GetIndexUnit(), browser
    values, unit = frame_index_values(study[view])
    return values, unit, None


def _add_frames(ctx: SceneContext, items: list[Any], values: list[str], unit: str, browser: Any,
                name: str, nodes: rs.ViewNodes, run_id: str) -> tuple[Any, Any]:
    """Put per-frame items in the scene: synchronized with ``browser``, a new browser, or one plain node."""
    if browser is None and len(items) == 1:
        node = ctx.scene.AddNode(items[0])
        node.SetName(name)
        return node, None
    sequence = new_sequence(ctx, f"{name} sequence", items, values, "time", unit)
    if browser is None:
        browser = nodes.browser or new_browser(ctx, sequence, f"{name} browser")
        nodes.browser = rs.tag(browser, run_id, "browser", nodes.view)
    return synchronize(ctx, browser, sequence, name), sequence


def _publish_view(ctx: SceneContext, input_node: Any, study: CineStudy, result: ViewResult, prefix: str,
                  run_id: str) -> rs.ViewNodes:
    view = result.view
    nodes = rs.ViewNodes(view)
    values, unit, browser = _index_values(ctx, input_node, study, view)
    if browser is None and study[view].n_frames > 1:  # a MultiVolume: its frames must browse with the labels
        nodes.cine_sequence, nodes.browser, nodes.cine = add_cine(ctx, study[view], f"{input_node.GetName()} frames")
        browser = rs.tag(nodes.browser, run_id, "browser", view)
    title = f"{prefix} {VIEW_TITLES.get(view, view)}"
    grid = json.dumps({"affine": np.asarray(result.affine).ravel().tolist(), "shape": list(study[view].shape)})
    if result.labels is not None:
        items = [new_segmentation(result.labels[..., t], result.affine) for t in range(result.labels.shape[3])]
        shown, sequence = _add_frames(ctx, items, values, unit, browser, f"{title} segmentation", nodes, run_id)
        shown.CreateDefaultDisplayNodes()
        nodes.segmentation, nodes.segmentation_sequence = shown, sequence
        (sequence or shown).SetAttribute(rs.ATTR_GRID, grid)
        (sequence or shown).SetAttribute(rs.ATTR_FRAMES, json.dumps(list(result.analysed_frames)))
    if result.landmarks_world:
        n_frames = study[view].n_frames
        items = [new_fiducials(frame_points(result.landmarks_world, t)) for t in range(n_frames)]
        shown, sequence = _add_frames(ctx, items, values, unit, browser, f"{title} landmarks", nodes, run_id)
        style_landmarks(shown)
        nodes.landmarks, nodes.landmarks_sequence = shown, sequence
        (sequence or shown).SetAttribute(rs.ATTR_GRID, grid)
    for shown, sequence in rs.PROXY_ROLES:
        if getattr(nodes, sequence) is not None:
            rs.tag(getattr(nodes, sequence), run_id, sequence, view)
        elif getattr(nodes, shown) is not None:  # a plain node (one frame, no browser), not a proxy
            rs.tag(getattr(nodes, shown), run_id, shown, view)
    return nodes


def placement_provenance(provenance: dict[str, str]) -> dict[str, str]:
    """The provenance entries on the LV centre and the model window (and the review when the heart was not found)."""
    return {key: value for key, value in provenance.items()
            if key.startswith(("lv centre", "model window", "review: lv centre"))}


def _retire_previous(ctx: SceneContext, sax_input_id: str) -> int:
    """Remove unedited earlier runs on this cine; return how many edited runs stay (for naming the new one)."""
    kept = 0
    for run_id in rs.run_ids(ctx, sax_input_id):
        previous = rs.find(ctx, run_id)
        if previous is None:
            continue
        if rs.is_edited(ctx, previous):
            kept += 1
        else:
            rs.remove(ctx, previous)
    return kept


def publish(ctx: SceneContext, study: CineStudy, inputs: dict[str, Any], results: AnalysisResults, report: Any,
            source: str) -> rs.ResultSet:
    """Create the result nodes of ``results`` (measured in ``report``) for the cine nodes in ``inputs``."""
    sax_input = inputs["sax"]
    kept = _retire_previous(ctx, sax_input.GetID())
    run_id = uuid.uuid4().hex[:12]
    number = max([int(n) for n in _run_numbers(ctx)] + [0]) + 1
    prefix = "CineMA" if kept == 0 else f"CineMA run {number}"
    views = {name: _publish_view(ctx, inputs[name], study, result, prefix, run_id)
             for name, result in results.views.items() if name in inputs and inputs[name] is not None}
    report_node = ctx.scene.AddNewNodeByClass("vtkMRMLTableNode", f"{prefix} report")
    fill_report_table(report_node, rows_from_report(report))
    rs.tag(report_node, run_id, "report")
    report_node.SetAttribute(rs.ATTR_NUMBER, str(number))
    report_node.SetAttribute(rs.ATTR_PHASES, json.dumps({"ed": results.ed_frame, "es": results.es_frame,
                                                         "method": results.phase_method}))
    report_node.SetAttribute(rs.ATTR_METADATA, json.dumps(asdict(study.metadata)))
    report_node.SetAttribute(rs.ATTR_SOURCE, source)
    report_node.SetAttribute(rs.ATTR_PLACEMENT, json.dumps(placement_provenance(results.provenance)))
    report_node.SetDescription(f"CineMA report; labels from {source}")
    extra = {role: rs.tag(node, run_id, role) for role, node in add_curve_nodes(ctx, report, prefix).items()}
    result = rs.ResultSet(run_id, report_node, views, extra)
    rs.record(result, inputs)
    folder = results_folder(ctx, sax_input, f"{prefix} results ({source})", run_id)
    place(ctx, folder, result.all_nodes())
    return result


def _run_numbers(ctx: SceneContext) -> list[str]:
    numbers = []
    for run_id in rs.run_ids(ctx):
        found = rs.find(ctx, run_id)
        if found is not None and found.report.GetAttribute(rs.ATTR_NUMBER):
            numbers.append(found.report.GetAttribute(rs.ATTR_NUMBER))
    return numbers
