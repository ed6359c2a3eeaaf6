"""Build the complete CineMA result scene headless and save it as an MRB that 3D Slicer opens.

    python Testing/Slicer/scene_demo.py OUT.mrb [--seed 0] [--frames 25] [--truth] [--all-frames]

Phantom study (SAX, 2C, 3C, 4C cines as volume sequences with browsers, under a patient/study) -> analysis with
the demo weights through CineMALib (in this process) -> result nodes: segmentation sequences, landmark point lists
following the browsers, report table, volume chart, and CineMA's parameter node (the panel's inputs and options).
Fast mode (the panel's default) analyses ED and ES only, so the other frames hold empty segmentations and point
lists; ``--all-frames`` analyses every frame. When the demo weights or the pipeline are not available (or with
``--truth``) the phantom's truth labels and landmarks stand in (in fast mode on ED and ES only), and every result
node says so. ``scene_readback.py OUT.mrb`` lists what a fresh scene reads back from the bundle.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO, REPO / "CineMA"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from CineMALib.errors import CineMAError
from CineMALib.results import AnalysisResults, ViewResult

TRUTH_SOURCE = "phantom truth labels, not a model output"
DEMO_SOURCE = "CineMA demo weights"
LABELLED_VIEWS = ("sax", "lax_4c")  # the views CineMA segments; landmarks come from 2C and 4C


def _truth_phases(phantom) -> tuple[int, int]:
    """ED and ES of the phantom: the frames of largest and smallest LV label volume."""
    import numpy as np

    from CineMALib.labels import LV

    lv = (phantom.labels["sax"] == LV).sum(axis=(0, 1, 2))
    return int(np.argmax(lv)), int(np.argmin(lv))


def truth_results(phantom, fast: bool = True) -> AnalysisResults:
    """The phantom's own labels and landmarks, shaped like an analysis result (fast: on ED and ES only)."""
    import numpy as np

    ed, es = _truth_phases(phantom)
    views = {}
    for name, view in phantom.study.views.items():
        labels = phantom.labels.get(name) if name in LABELLED_VIEWS else None
        landmarks = {k: np.array(v, dtype=float) for k, v in phantom.landmarks_world.get(name, {}).items()}
        if labels is None and not landmarks:
            continue
        kept = sorted({ed, es}) if fast else list(range(view.n_frames))
        left_out = [t for t in range(view.n_frames) if t not in kept]
        if labels is not None:
            labels = labels.copy()
            labels[..., left_out] = 0  # as the pipeline leaves frames it did not segment
        for track in landmarks.values():
            track[left_out] = np.nan
        frames = tuple(kept) if labels is not None else ()
        views[name] = ViewResult(name, view.affine, labels, frames, landmarks)
    return AnalysisResults(phantom.study.study_id, views, ed_frame=ed, es_frame=es,
                           phase_method="phantom truth: largest and smallest LV label volume",
                           provenance={"source": TRUTH_SOURCE})


def demo_results(study, fast: bool = True) -> AnalysisResults:
    """Run the pipeline with the demo weights (raises CineMAError/ImportError when they are not there)."""
    from CineMASlicer.worker import DEFAULT_ANALYSIS, resolve

    from CineMALib.analysis.options import AnalysisOptions

    analyse = resolve(DEFAULT_ANALYSIS)
    return analyse(study, AnalysisOptions(weights="demo", device="cpu", fast=fast))


def build(out: Path, seed: int = 0, frames: int = 25, truth: bool = False, fast: bool = True) -> dict[str, object]:
    """Write the scene to ``out``; returns what was built (source, LVEF, node counts) for the caller to print."""
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.context import SceneContext
    from CineMASlicer.hierarchy import new_study
    from CineMASlicer.parameters import ParameterNode
    from CineMASlicer.report_rows import find_value
    from CineMASlicer.scene import SceneAdapter
    from CineMASlicer.settings import Settings

    from CineMALib.phantom import generate_phantom

    phantom = generate_phantom(seed, n_frames=frames)
    study = phantom.study
    source, note = TRUTH_SOURCE, "--truth given"
    results = None
    if not truth:
        try:
            results, source = demo_results(study, fast), DEMO_SOURCE
        except (CineMAError, ImportError) as err:
            note = f"demo analysis not available: {err}"
    if results is None:
        results = truth_results(phantom, fast)
    with tempfile.TemporaryDirectory(prefix="cinema-scene-") as temp:
        ctx = SceneContext.headless(temp)
        inputs = {name: add_cine(ctx, view, f"Phantom {name.upper().replace('_', ' ')} cine")[2]
                  for name, view in study.views.items()}
        new_study(ctx, f"CineMA phantom (seed {seed})", "Cine CMR", inputs.values())
        ParameterNode.of(ctx).store(Settings(**{view: node.GetID() for view, node in inputs.items()},
                                             weights="demo", device="cpu", fast=fast))
        adapter = SceneAdapter(ctx)
        run = adapter.publish(study, inputs, results, source)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not ctx.scene.WriteToMRB(str(out.resolve())):
            raise OSError(f"could not write {out}")
        return {"source": source, "note": "" if source == DEMO_SOURCE else note, "fast": fast,
                "LVEF": find_value(adapter.rows(run), "LVEF"), "nodes": ctx.scene.GetNumberOfNodes()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="scene bundle to write (.mrb)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frames", type=int, default=25)
    parser.add_argument("--truth", action="store_true", help="use the phantom's truth labels, skip the model")
    parser.add_argument("--all-frames", action="store_true",
                        help="analyse every frame (default: fast mode, ED and ES only, as the panel's default)")
    args = parser.parse_args(argv)
    summary = build(args.out, args.seed, args.frames, args.truth, fast=not args.all_frames)
    mode = "fast mode (ED and ES)" if summary["fast"] else "all frames"
    print(f"wrote {args.out}: {mode}, labels from {summary['source']} ({summary['note'] or 'model output'}); "
          f"LVEF {summary['LVEF']} %, {summary['nodes']} nodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
