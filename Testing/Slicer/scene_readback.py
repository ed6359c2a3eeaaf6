"""Read a CineMA scene bundle into a fresh headless scene and print, as JSON, what came back.

    python Testing/Slicer/scene_readback.py SCENE.mrb [--recompute]

Why a script of its own: a bundle that Slicer cannot read may crash the reader (a segmentation fault), so tests run
this in a subprocess and a crash shows as a failed test with its exit status instead of killing pytest. The JSON
lists node counts per class, the CineMA parameter node's choices (cine names for node references), and per run the
report values, per view the segmentation and landmark sequences (items, frames with labels, segment and point
names, synchronisation with the cine's browser) and the chart nodes; ``--recompute`` also measures the reopened
run again and reports whether it counts as edited.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO, REPO / "CineMA"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


def _class_counts(scene: Any) -> dict[str, int]:
    nodes = scene.GetNodes()
    return dict(Counter(nodes.GetItemAsObject(i).GetClassName() for i in range(nodes.GetNumberOfItems())))


def _parameters(ctx: Any) -> dict[str, Any]:
    from dataclasses import asdict

    from CineMASlicer.parameters import ParameterNode
    from CineMASlicer.settings import node_fields

    params = ParameterNode.of(ctx)
    values = asdict(params.settings())
    for name in node_fields():
        node = ctx.scene.GetNodeByID(values[name]) if values[name] else None
        values[name] = node.GetName() if node is not None else None
    run = params.run_report()
    values["run"] = run.GetName() if run is not None else None
    return values


def _segmentation(ctx: Any, view: Any) -> dict[str, Any]:
    from CineMASlicer.segmentation_nodes import labels_from_segmentation

    frames = view.segmentation_frames()
    if not frames:
        return {}
    affine, shape = view.grid()
    labelled = [t for t, node in enumerate(frames) if labels_from_segmentation(node, affine, shape).any()]
    names = set()
    for node in frames:
        segmentation = node.GetSegmentation()
        names |= {segmentation.GetNthSegment(i).GetName() for i in range(segmentation.GetNumberOfSegments())}
    sequence = view.segmentation_sequence
    browser = ctx.sequences_logic.GetFirstBrowserNodeForSequenceNode(sequence) if sequence is not None else None
    return {"items": len(frames), "labelled_frames": labelled, "segment_names": sorted(names),
            "shown": view.segmentation is not None,
            "browser_master": browser.GetMasterSequenceNode().GetName() if browser is not None else None}


def _landmarks(ctx: Any, view: Any) -> dict[str, Any]:
    frames = view.landmark_frames()
    if not frames:
        return {}
    points = [node.GetNumberOfControlPoints() for node in frames]
    labels = sorted({node.GetNthControlPointLabel(i) for node in frames for i in range(node.GetNumberOfControlPoints())})
    sequence = view.landmarks_sequence
    browser = ctx.sequences_logic.GetFirstBrowserNodeForSequenceNode(sequence) if sequence is not None else None
    return {"items": len(frames), "frames_with_points": [t for t, n in enumerate(points) if n],
            "labels": labels, "shown": view.landmarks is not None,
            "browser_master": browser.GetMasterSequenceNode().GetName() if browser is not None else None}


def _run(ctx: Any, run: Any, recompute: bool) -> dict[str, Any]:
    from CineMASlicer.report_rows import find_value
    from CineMASlicer.scene import SceneAdapter

    adapter = SceneAdapter(ctx)
    rows = adapter.rows(run)
    chart = run.extra.get("chart")
    summary: dict[str, Any] = {
        "report": run.report.GetName(), "rows": len(rows), "LVEF": find_value(rows, "LVEF"),
        "source": run.report.GetAttribute("CineMA.source"),
        "inputs": {view: (node.GetName() if node is not None else None)
                   for view, node in adapter.inputs_of(run).items()},
        "views": {name: {"segmentation": _segmentation(ctx, view), "landmarks": _landmarks(ctx, view)}
                  for name, view in sorted(run.views.items())},
        "extra": {role: node.GetClassName() for role, node in sorted(run.extra.items())},
        "chart_series": chart.GetNumberOfPlotSeriesNodes() if chart is not None else 0,
    }
    if recompute:
        summary["edited"] = adapter.is_edited(run)
        summary["recomputed_LVEF"] = find_value(adapter.recompute(run), "LVEF")
    return summary


def read_back(bundle: Path, recompute: bool = False) -> dict[str, Any]:
    """What a fresh, fully initialised headless scene holds after reading ``bundle``."""
    from CineMASlicer import result_set as rs
    from CineMASlicer.context import SceneContext

    with tempfile.TemporaryDirectory(prefix="cinema-readback-") as temp:
        ctx = SceneContext.headless(temp)
        if not ctx.scene.ReadFromMRB(str(Path(bundle).resolve())):
            raise OSError(f"{bundle}: Slicer could not read the scene bundle")
        runs = [rs.find(ctx, run_id) for run_id in rs.run_ids(ctx)]
        summary = {"nodes": ctx.scene.GetNumberOfNodes(), "classes": _class_counts(ctx.scene),
                   "parameters": _parameters(ctx), "runs": [_run(ctx, run, recompute) for run in runs if run]}
        ctx.scene.Clear(1)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="scene bundle (.mrb) to read")
    parser.add_argument("--recompute", action="store_true", help="also recompute the measurements from the scene")
    args = parser.parse_args(argv)
    print(json.dumps(read_back(args.bundle, args.recompute), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
