"""Model input arrays from a view and its model grid, in the axis order the released models take.

SAX inputs are (B, C, X, Y, Z), LAX inputs (B, C, X, Y), float32 in [0, 1]; ``torch.from_numpy`` turns them into
tensors without copying. Segmentation and landmark models take one frame per batch item, each scaled on its own
(:func:`frame_batch`); classification/regression models take the [ED, ES] frames as two channels scaled jointly
(:func:`stacked_input`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from CineMALib.preprocess.grid import ModelGrid
from CineMALib.preprocess.intensity import dataset_style, scale_intensity
from CineMALib.study import CineView


def model_frames(view: CineView, grid: ModelGrid, frames: Sequence[int], percentile_clip: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Resample ``frames`` of ``view`` onto ``grid``: (T, X, Y, Z) float32, unscaled, and the (X, Y, Z) FOV mask.

    With ``percentile_clip`` each frame first gets the training datasets' clip/rescale/uint8 step.
    """
    if not frames:
        raise ValueError("no frames requested")
    for t in frames:
        if not 0 <= int(t) < view.n_frames:
            raise ValueError(f"view {view.name!r}: frame {t} out of range 0..{view.n_frames - 1}")
    mask = grid.fov_mask()
    out = np.stack([grid.to_model(view.frame(int(t))) for t in frames])
    if percentile_clip:
        out = np.stack([dataset_style(f, mask) for f in out])
    return out, mask


def _drop_z(array: np.ndarray, grid: ModelGrid) -> np.ndarray:
    """LAX tensors have no depth axis: (..., X, Y, 1) -> (..., X, Y)."""
    return array[..., 0] if grid.is_2d else array


def stacked_input(view: CineView, grid: ModelGrid, frames: Sequence[int], percentile_clip: bool = False
                  ) -> np.ndarray:
    """(1, C, X, Y[, Z]) input with the frames as channels, scaled jointly (one min/max) to [0, 1]."""
    stack, mask = model_frames(view, grid, frames, percentile_clip)
    return _drop_z(scale_intensity(stack, mask)[np.newaxis], grid)


def frame_batch(view: CineView, grid: ModelGrid, frames: Sequence[int], percentile_clip: bool = False
                ) -> np.ndarray:
    """(B, 1, X, Y[, Z]) batch with one frame per item, each scaled to [0, 1] on its own."""
    stack, mask = model_frames(view, grid, frames, percentile_clip)
    scaled = np.stack([scale_intensity(f, mask) for f in stack])[:, np.newaxis]
    return _drop_z(scaled, grid)
