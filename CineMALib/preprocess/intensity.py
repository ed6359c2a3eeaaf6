"""Intensity scaling as the released models saw it.

At inference the official pipelines min-max scale the whole model input to [0, 1] (MONAI ``ScaleIntensityd``,
``channel_wise=False``): for the 2-frame [ED, ES] stack of the classification/regression models that is ONE joint
minimum and maximum over both frames. The training datasets were, before that, clipped per 3-D frame to the
0.95th and 99.5th percentiles (``np.percentile(a, 0.95)`` — not the 95th), rescaled to [0, 1] and stored as uint8;
:func:`dataset_style` reproduces that optional step so that raw scanner intensities look like the training data.
Padding (voxels outside the field of view) never enters a statistic and stays 0.
"""

from __future__ import annotations

import numpy as np

DATASET_PERCENTILES: tuple[float, float] = (0.95, 99.5)


def _valid(array: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The voxels that count for statistics: all, or those under ``mask`` (broadcast over leading axes)."""
    if mask is None:
        return array.reshape(-1)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), array.shape)
    return array[mask]


def scale_intensity(array: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Min-max scale the whole array (e.g. a (C, X, Y, Z) stack) jointly to [0, 1] as float32.

    ``mask`` (broadcastable to ``array``) selects the voxels that define min and max; voxels outside it are set
    to 0. A constant input gives all zeros (MONAI does the same) rather than a division by zero.
    """
    array = np.asarray(array, dtype=np.float32)
    values = _valid(array, mask)
    out = np.zeros_like(array)
    if values.size == 0:
        return out
    lo, hi = float(values.min()), float(values.max())
    if hi > lo:
        out = (array - lo) / (hi - lo)
        np.clip(out, 0.0, 1.0, out=out)
    if mask is not None:
        out = np.where(np.broadcast_to(mask, array.shape), out, 0.0).astype(np.float32)
    return out.astype(np.float32, copy=False)


#: Grey levels: a value that lies on a level in exact arithmetic (an already-uint8 frame whose percentiles are 0 and
#: 255, say) must not drop to the level below through floating-point rounding before the floor.
LEVEL_TIE = 1e-6


def clip_percentiles(frame: np.ndarray, mask: np.ndarray | None = None,
                     percentiles: tuple[float, float] = DATASET_PERCENTILES) -> np.ndarray:
    """Clip one frame to its ``percentiles`` (computed over ``mask`` when given), float32."""
    frame = np.asarray(frame, dtype=np.float32)
    values = _valid(frame, mask)
    if values.size == 0:
        return frame.copy()
    lo, hi = np.percentile(values, percentiles)
    return np.clip(frame, lo, hi).astype(np.float32)


def dataset_style(frame: np.ndarray, mask: np.ndarray | None = None, quantise: bool = True,
                  percentiles: tuple[float, float] = DATASET_PERCENTILES) -> np.ndarray:
    """One 3-D frame prepared like the training datasets (``clip_and_normalise_intensity_3d`` + ``cast_to_uint8``):
    ``np.percentile`` (float64, numpy's linear interpolation) over the frame's voxels under ``mask``, clip, rescale
    to [0, 1] (the official z-score in between cancels), optional uint8 quantisation (``floor(x * 255)``, as
    ``sitk.Cast`` truncates; exact ties stay on their level, :data:`LEVEL_TIE`). Values in [0, 255] when quantised,
    else [0, 1]; voxels outside ``mask`` are 0. Float64 throughout, so the percentiles and levels do not depend on
    float32 rounding (``benchmarks/check_preprocessing_parity.py`` compares it with the definition).
    """
    frame64 = np.asarray(frame, dtype=np.float64)
    values = _valid(frame64, mask)
    out = np.zeros(frame64.shape)
    if values.size:
        lo, hi = np.percentile(values, percentiles)
        if hi > lo:
            out = (np.clip(frame64, lo, hi) - lo) / (hi - lo)
    if mask is not None:
        out = np.where(np.broadcast_to(mask, out.shape), out, 0.0)
    if quantise:
        return np.floor(out * 255.0 + LEVEL_TIE).astype(np.float32)
    return out.astype(np.float32)
