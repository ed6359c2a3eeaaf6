"""``landmarks.json``: each view's landmarks in world coordinates (RAS mm, NIfTI/Slicer convention) per frame.

A frame without a point is ``null`` so the frame index of every entry stays the list index.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from CineMALib.measure.report import Report
from CineMALib.atomic import atomic_write_text


def _point(p: np.ndarray) -> list[float] | None:
    values = [float(v) for v in p]
    return values if len(values) == 3 and all(math.isfinite(v) for v in values) else None


def landmarks_document(report: Report) -> dict:
    """The JSON-ready dictionary (study, coordinate system, ED/ES frames, per view: name -> per-frame points)."""
    views = {}
    for view, points in sorted(report.landmarks_world.items()):
        tracks = {name: [_point(p) for p in np.asarray(track, dtype=float).reshape(-1, 3)]
                  for name, track in points.items()}
        views[view] = {"n_frames": max((len(t) for t in tracks.values()), default=0), "points": tracks}
    return {"study": report.study_id, "coordinate_system": "RAS", "unit": "mm", "frame_index": "0-based",
            "ed_frame": report.ed_frame, "es_frame": report.es_frame, "views": views}


def write_landmarks_json(report: Report, path: str | Path) -> Path:
    """Write ``landmarks.json`` atomically."""
    return atomic_write_text(path, json.dumps(landmarks_document(report), indent=1) + "\n")


def read_landmarks_json(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """Back to view -> name -> (t, 3) arrays with NaN for missing frames (so a report can be recomputed)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return {view: {name: np.array([p if p is not None else [np.nan] * 3 for p in track], dtype=float)
                   for name, track in entry["points"].items()} for view, entry in doc["views"].items()}
