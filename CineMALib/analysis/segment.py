"""Segment chosen frames of a view with a ConvUNetR head, streaming frame by frame back onto the view's own grid.

Why streaming: a 50-frame cine on the 192 x 192 x 16 model grid is ~120 MB of inputs and ~470 MB of logits; only
one batch of them is alive at a time here, and each frame's labels go straight into the (x, y, z, t) uint8 result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch

from CineMALib.analysis.islands import clean_labels
from CineMALib.analysis.weights import HeadModels
from CineMALib.infer import ProgressCallback, predict
from CineMALib.labels import LV
from CineMALib.preprocess import ModelGrid, frame_batch
from CineMALib.study import CineView


def model_inputs(view: CineView, grid: ModelGrid, frames: Sequence[int], percentile_clip: bool = False
                 ) -> Iterator[np.ndarray]:
    """One (1, X, Y[, Z]) model input per frame, each min-max scaled on its own (as in the official examples),
    after the training data's percentile clip when ``percentile_clip`` (see ``AnalysisOptions.clips_percentiles``)."""
    for t in frames:
        yield frame_batch(view, grid, [t], percentile_clip)[0]


def _softmax(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits.float(), dim=1)


def segment_view(
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
    out: np.ndarray | None = None,
    keep: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
    percentile_clip: bool = False,
    clean: bool = False,
    removed: dict[int, int] | None = None,
) -> np.ndarray:
    """Labels (x, y, z, t) uint8 on the view's grid with ``frames`` filled (others left as in ``out`` or 0).

    Ensemble members' softmax probabilities are averaged on the model grid, resampled linearly to the view's grid
    and arg-maxed. With ``clean`` small islands are then removed per label (:func:`clean_labels`, one of the
    opt-in end-slice heuristics) and ``removed[t]`` gets the number of voxels set to background. ``keep(t,
    probabilities, labels)``, if given, sees each frame's probabilities on the view's grid (C, x, y, z) and its
    labels before they are dropped. ``percentile_clip``: see :func:`model_inputs`.
    """
    if out is None:
        out = np.zeros((*view.shape, view.n_frames), dtype=np.uint8)
    outputs = predict(head.models, view.name, model_inputs(view, grid, frames, percentile_clip), total=len(frames),
                      batch_size=batch_size, device=device, transform=_softmax, stage=stage, progress=progress,
                      cancel=cancel)
    for (probs, _spread), t in zip(outputs, frames):  # outputs first: zip then lets predict() finish
        if grid.is_2d:
            probs = probs[..., np.newaxis]
        source = grid.probabilities_to_source(probs)
        out[..., t] = np.argmax(source, axis=0).astype(np.uint8)
        if clean:
            before = np.count_nonzero(out[..., t])
            clean_labels(out[..., t])
            if removed is not None and before != np.count_nonzero(out[..., t]):
                removed[t] = before - int(np.count_nonzero(out[..., t]))
        if keep is not None:
            keep(t, source, out[..., t])
    return out


def lv_volumes_ml(labels: np.ndarray, voxel_ml: float, frames: Sequence[int]) -> np.ndarray:
    """LV blood-pool volume (mL) per frame of ``labels`` (x, y, z, t); NaN for frames not in ``frames``."""
    vol = np.full(labels.shape[-1], np.nan)
    for t in frames:
        vol[t] = float(np.count_nonzero(labels[..., t] == LV)) * voxel_ml
    return vol


def lv_centroid_world(labels3d: np.ndarray, affine: np.ndarray) -> np.ndarray | None:
    """RAS centre of the LV label of one frame, or None if there is none (used to re-centre the model window)."""
    idx = np.argwhere(labels3d == LV)
    if idx.size == 0:
        return None
    centre = idx.mean(axis=0)
    return centre @ affine[:3, :3].T + affine[:3, 3]
