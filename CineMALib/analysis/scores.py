"""Classification (class probabilities) and regression (e.g. LVEF) from the [ED, ES] frame pair with ConvViT heads.

Inputs follow the official examples: both frames on the model grid, stacked as channels, min-max scaled jointly.
An ensemble reports the mean over seeds and the spread (standard deviation) across them.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

from CineMALib.analysis.weights import HeadModels
from CineMALib.infer import ProgressCallback, predict
from CineMALib.preprocess import ModelGrid, stacked_input
from CineMALib.results import ModelScore
from CineMALib.study import CineView


def _pair_input(view: CineView, grid: ModelGrid, ed: int, es: int, percentile_clip: bool) -> np.ndarray:
    """Each frame gets the training data's percentile clip first when ``percentile_clip``; then one joint min-max."""
    return stacked_input(view, grid, [ed, es], percentile_clip)[0]


def _run(head: HeadModels, view: CineView, x: np.ndarray, transform, device: torch.device, stage: str,
         progress: ProgressCallback | None, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray | None]:
    outputs = list(predict(head.models, view.name, iter([x]), total=1, batch_size=1, device=device,
                           transform=transform, stage=stage, progress=progress, cancel=cancel))
    return outputs[0]


def classify(head: HeadModels, view: CineView, grid: ModelGrid, ed: int, es: int, *, device: torch.device,
             stage: str = "classification", progress: ProgressCallback | None = None,
             cancel: threading.Event | None = None, percentile_clip: bool = False) -> ModelScore:
    """Class probabilities (softmax, averaged over seeds); spread = std of the top class's probability."""
    names = head.class_names or tuple(f"class_{i}" for i in range(int(head.spec.kwargs["out_chans"])))
    mean, spread = _run(head, view, _pair_input(view, grid, ed, es, percentile_clip),
                        lambda t: torch.softmax(t, dim=1), device, stage, progress, cancel)
    top = int(np.argmax(mean))
    return ModelScore(checkpoint=head.name, view=view.name,
                      probabilities={str(n): float(p) for n, p in zip(names, mean)},
                      spread=None if spread is None else float(spread[top]), seeds=head.seeds)


def regress(head: HeadModels, view: CineView, grid: ModelGrid, ed: int, es: int, *, device: torch.device,
            stage: str = "regression", progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None, percentile_clip: bool = False) -> ModelScore:
    """De-normalised value (``output * std + mean``) averaged over seeds; spread = std across seeds."""
    mean_std = head.regression or (0.0, 1.0)
    mean, spread = _run(head, view, _pair_input(view, grid, ed, es, percentile_clip),
                        lambda t: t * mean_std[1] + mean_std[0], device, stage, progress, cancel)
    return ModelScore(checkpoint=head.name, view=view.name, value=float(mean.reshape(-1)[0]), unit=head.unit,
                      spread=None if spread is None else float(spread.reshape(-1)[0]), seeds=head.seeds)
