"""Track long-axis landmarks (mitral hinges, apex) over frames with a heatmap ConvUNetR head.

Per frame: sigmoid heatmaps on the 256 x 256 model grid (ensemble-averaged), per-channel soft-argmax (beta 1000, as
officially, but kept continuous instead of truncated to integers), then model voxel -> RAS mm through the grid.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import torch

from CineMALib.analysis.segment import model_inputs
from CineMALib.analysis.weights import HeadModels
from CineMALib.infer import ProgressCallback, predict
from CineMALib.models import heatmap_soft_argmax
from CineMALib.preprocess import ModelGrid
from CineMALib.results import LANDMARK_NAMES
from CineMALib.study import CineView

SOFT_ARGMAX_BETA = 1000.0


def _sigmoid(logits: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(logits.float())


def heatmap_points(probs: np.ndarray) -> np.ndarray:
    """(C, X, Y) heatmaps -> (C, 3) model voxel indices (x, y, 0)."""
    coords = heatmap_soft_argmax(torch.from_numpy(np.ascontiguousarray(probs))[None], beta=SOFT_ARGMAX_BETA)
    xy = coords.reshape(probs.shape[0], 2).numpy().astype(float)
    return np.concatenate([xy, np.zeros((xy.shape[0], 1))], axis=1)


def track_landmarks(
    head: HeadModels,
    view: CineView,
    grid: ModelGrid,
    frames: Sequence[int],
    *,
    batch_size: int,
    device: torch.device,
    stage: str,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    percentile_clip: bool = False,
) -> dict[str, np.ndarray]:
    """name -> (t, 3) RAS mm over all frames of ``view``; NaN rows for frames not in ``frames``.
    ``percentile_clip``: see :func:`~CineMALib.analysis.segment.model_inputs`."""
    names = LANDMARK_NAMES[view.name]
    points = {name: np.full((view.n_frames, 3), np.nan) for name in names}
    outputs = predict(head.models, view.name, model_inputs(view, grid, frames, percentile_clip), total=len(frames),
                      batch_size=batch_size, device=device, transform=_sigmoid, stage=stage, progress=progress,
                      cancel=cancel)
    for (probs, _spread), t in zip(outputs, frames):  # outputs first: zip then lets predict() finish
        world = grid.points_to_world(heatmap_points(probs))
        for i, name in enumerate(names):
            points[name][t] = world[i]
    return points
