"""Run a model over many inputs (frames) in batches: device choice, autocast, progress and cancellation.

Why a separate module: every head of the pipeline (segmentation, landmarks, classification) needs the same loop,
and the loop is where memory and responsiveness are decided. Inputs are pulled lazily from an iterator and outputs
are yielded per item, so at most one batch of model-grid tensors exists at a time (never a copy of the whole cine).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from CineMALib.errors import CineMAError

#: ``progress(stage, done, total)``: called after each batch (and once with done=0 before the first).
ProgressCallback = Callable[[str, int, int], None]
DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")


class Cancelled(CineMAError):
    """The user asked to stop; raised between batches so no half-written result escapes."""

    def __init__(self, stage: str = "") -> None:
        self.stage = stage
        super().__init__(f"analysis cancelled{f' during {stage}' if stage else ''}")


#: Told of every batch's forward as ``listener(stage, seconds, items)``; empty in normal use. Why: benchmarks measure
#: the time inside the networks (see ``benchmarks/forward_clock.py``) without the library knowing about them.
FORWARD_LISTENERS: list[Callable[[str, float, int], None]] = []


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def select_device(preference: str | torch.device | None = "auto") -> torch.device:
    """The device to run on: CUDA if present, else Apple MPS, else CPU; an explicit choice must be available."""
    if isinstance(preference, torch.device):
        return preference
    choice = (preference or "auto").lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice.startswith("cuda"):
        if not torch.cuda.is_available():
            raise CineMAError(f"device {choice!r} requested but CUDA is not available here; use --device cpu or auto")
        return torch.device(choice)
    if choice == "mps":
        if not _mps_available():
            raise CineMAError("device 'mps' requested but Apple MPS is not available here; use --device cpu or auto")
        return torch.device("mps")
    if choice == "cpu":
        return torch.device("cpu")
    raise CineMAError(f"unknown device {preference!r}; choose one of {', '.join(DEVICE_CHOICES)}")


def autocast_context(device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast on CUDA (as the official examples do); full float32 elsewhere (CPU bf16 is slow and lossy)."""
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return contextlib.nullcontext()


def check_cancel(cancel: threading.Event | None, stage: str = "") -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled(stage)


def _batches(items: Iterable[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    batch: list[np.ndarray] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _forward(models: Sequence[torch.nn.Module], view: str, x: torch.Tensor,
             transform: Callable[[torch.Tensor], torch.Tensor] | None) -> list[torch.Tensor]:
    """One batch through every model (an ensemble); dict outputs are indexed by view."""
    outs = []
    for model in models:
        out = model({view: x})
        if isinstance(out, dict):
            out = out[view]
        out = out.float()
        outs.append(transform(out) if transform is not None else out)
    return outs


def _to_host(tensor: torch.Tensor) -> np.ndarray:
    """The tensor as numpy in host memory; from CUDA through page-locked memory.

    Why: a 25-frame SAX batch of probabilities is 236 MB; on an H200 the copy into ordinary (pageable) memory took
    0.5 s of a 1.8 s all-heads analysis, into page-locked memory 0.08 s (benchmarks/README.md, GPU check).
    """
    if tensor.device.type != "cuda":
        return tensor.cpu().numpy()
    host = torch.empty(tensor.shape, dtype=tensor.dtype, pin_memory=True)
    host.copy_(tensor)
    return host.numpy()


def predict(
    models: torch.nn.Module | Sequence[torch.nn.Module],
    view: str,
    inputs: Iterable[np.ndarray],
    *,
    total: int,
    batch_size: int = 4,
    device: torch.device | str | None = "auto",
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    stage: str = "",
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(mean, spread)`` per input, in order: the models' (transformed) outputs as float32 numpy.

    ``inputs`` yields one model-grid array ``(C, *spatial)`` per item and is consumed lazily. ``transform`` is applied
    per model on the device (e.g. softmax, sigmoid) before the ensemble mean; ``spread`` is the per-element standard
    deviation across models (``None`` for a single model). Models are put in eval mode on ``device``.
    """
    model_list = [models] if isinstance(models, torch.nn.Module) else list(models)
    if not model_list:
        raise ValueError("predict needs at least one model")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    dev = select_device(device)
    for model in model_list:
        model.eval().to(dev)
    done = 0
    if progress is not None:
        progress(stage, 0, total)
    for batch in _batches(inputs, batch_size):
        check_cancel(cancel, stage)
        with torch.inference_mode(), autocast_context(dev):
            x = torch.from_numpy(np.ascontiguousarray(np.stack(batch), dtype=np.float32)).to(dev)
            start = time.perf_counter()
            outs = _forward(model_list, view, x, transform)
            stacked = torch.stack(outs)
            mean = _to_host(stacked.mean(0))  # the copy waits for the device, so the clock is honest
            for listener in tuple(FORWARD_LISTENERS):
                listener(stage, time.perf_counter() - start, len(batch))
            spread = _to_host(stacked.std(0, unbiased=False)) if len(outs) > 1 else None
        del x, outs, stacked
        for i in range(len(batch)):
            yield mean[i], (None if spread is None else spread[i])
        done += len(batch)
        if progress is not None:
            progress(stage, done, total)
    check_cancel(cancel, stage)
