"""Study and results as ``.npz`` files: how the Slicer process and the analysis worker hand data over.

Why npz: numpy only (no pickle, no Slicer, no file-format library in the worker), lossless for voxels, labels
and affines, and fast. Metadata rides along as one JSON string.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from CineMALib.phases import Phases
from CineMALib.results import AnalysisResults, ModelScore, ViewResult
from CineMALib.study import CineStudy, CineView, StudyMetadata

#: Lines the worker prints for the parent process start with this tag, then one JSON object.
EVENT_TAG = "CINEMA-EVENT "


def _meta(arrays: dict[str, np.ndarray]) -> dict:
    return json.loads(str(arrays["meta"]))


def save_study(study: CineStudy, path: str | Path) -> Path:
    arrays: dict[str, np.ndarray] = {}
    for name, view in study.views.items():
        arrays[f"{name}.data"] = np.asarray(view.data, dtype=np.float32)
        arrays[f"{name}.affine"] = view.affine
        if view.trigger_times_ms is not None:
            arrays[f"{name}.times"] = view.trigger_times_ms
    meta = {"study_id": study.study_id, "views": list(study.views), "metadata": asdict(study.metadata)}
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return Path(path)


def load_study(path: str | Path) -> CineStudy:
    with np.load(path, allow_pickle=False) as arrays:
        meta = _meta(arrays)
        views = {name: CineView(name, arrays[f"{name}.data"], arrays[f"{name}.affine"],
                                arrays.get(f"{name}.times"))
                 for name in meta["views"]}
    return CineStudy(views, StudyMetadata(**meta["metadata"]), meta["study_id"])


def save_results(results: AnalysisResults, path: str | Path) -> Path:
    arrays: dict[str, np.ndarray] = {}
    views = {}
    for name, view in results.views.items():
        arrays[f"{name}.affine"] = view.affine
        if view.labels is not None:
            arrays[f"{name}.labels"] = np.asarray(view.labels, dtype=np.uint8)
        for landmark, track in view.landmarks_world.items():
            arrays[f"{name}.landmark.{landmark}"] = np.asarray(track, dtype=float)
        views[name] = {"analysed_frames": list(view.analysed_frames), "landmarks": list(view.landmarks_world)}
    meta = {"study_id": results.study_id, "views": views, "ed_frame": results.ed_frame, "es_frame": results.es_frame,
            "phase_method": results.phase_method, "provenance": results.provenance,
            "phases": results.phases.to_dict() if results.phases is not None else None,
            "scores": [asdict(score) for score in results.scores]}
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    return Path(path)


def load_results(path: str | Path) -> AnalysisResults:
    with np.load(path, allow_pickle=False) as arrays:
        meta = _meta(arrays)
        views = {}
        for name, info in meta["views"].items():
            labels = arrays.get(f"{name}.labels")
            landmarks = {lm: arrays[f"{name}.landmark.{lm}"] for lm in info["landmarks"]}
            views[name] = ViewResult(name, arrays[f"{name}.affine"], labels, tuple(info["analysed_frames"]), landmarks)
    scores = [ModelScore(**{**s, "seeds": tuple(s["seeds"])}) for s in meta["scores"]]
    return AnalysisResults(meta["study_id"], views, meta["ed_frame"], meta["es_frame"], meta["phase_method"], scores,
                           meta["provenance"], Phases.from_dict(meta.get("phases")))
