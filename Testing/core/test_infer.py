"""The batched inference loop: order, batching, ensemble mean/spread, device choice, progress and cancellation."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from CineMALib.errors import CineMAError
from CineMALib.infer import Cancelled, autocast_context, predict, select_device


class Scale(nn.Module):
    """A dict-in/dict-out model (like ConvUNetR) that multiplies its input and counts batch sizes."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(float(factor)))
        self.batch_sizes: list[int] = []
        self.grad_enabled: list[bool] = []

    def forward(self, x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        t = x["sax"]
        self.batch_sizes.append(t.shape[0])
        self.grad_enabled.append(torch.is_grad_enabled())
        return {"sax": t * self.factor}


class Flat(nn.Module):
    """A model returning a plain tensor (like ConvViT)."""

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        return x["lax_4c"].flatten(1).sum(1, keepdim=True)


def _inputs(n: int, seen: list[int] | None = None):
    for i in range(n):
        if seen is not None:
            seen.append(i)
        yield np.full((1, 3, 2), float(i), dtype=np.float32)


def test_outputs_in_order_and_batched() -> None:
    model = Scale(2.0)
    outs = list(predict(model, "sax", _inputs(7), total=7, batch_size=3, device="cpu"))
    assert model.batch_sizes == [3, 3, 1]
    assert not any(model.grad_enabled)
    for i, (mean, spread) in enumerate(outs):
        assert spread is None
        np.testing.assert_allclose(mean, np.full((1, 3, 2), 2.0 * i))


def test_inputs_are_pulled_lazily() -> None:
    """At most one batch is materialised ahead of the consumer (memory stays bounded)."""
    seen: list[int] = []
    gen = predict(Scale(1.0), "sax", _inputs(10, seen), total=10, batch_size=2, device="cpu")
    next(gen)
    assert seen == [0, 1]


def test_ensemble_mean_and_spread_after_transform() -> None:
    models = [Scale(1.0), Scale(3.0)]
    outs = list(predict(models, "sax", _inputs(2), total=2, batch_size=4, device="cpu", transform=lambda t: t + 1))
    mean, spread = outs[1]
    np.testing.assert_allclose(mean, np.full((1, 3, 2), ((1 + 1) + (3 + 1)) / 2))
    np.testing.assert_allclose(spread, np.full((1, 3, 2), 1.0))


def test_plain_tensor_output() -> None:
    outs = list(predict(Flat(), "lax_4c", (np.ones((1, 4, 4), np.float32) for _ in range(2)), total=2, device="cpu"))
    assert [float(m[0]) for m, _ in outs] == [16.0, 16.0]


def test_progress_reports_each_batch() -> None:
    calls: list[tuple[str, int, int]] = []
    list(predict(Scale(1.0), "sax", _inputs(5), total=5, batch_size=2, device="cpu", stage="seg",
                 progress=lambda s, d, t: calls.append((s, d, t))))
    assert calls == [("seg", 0, 5), ("seg", 2, 5), ("seg", 4, 5), ("seg", 5, 5)]


def test_cancel_between_batches() -> None:
    cancel = threading.Event()
    model = Scale(1.0)
    gen = predict(model, "sax", _inputs(6), total=6, batch_size=2, device="cpu", cancel=cancel, stage="seg")
    next(gen)
    cancel.set()
    with pytest.raises(Cancelled, match="seg"):
        list(gen)
    assert model.batch_sizes == [2]
    assert isinstance(Cancelled(), CineMAError)


def test_device_selection() -> None:
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(CineMAError, match="CUDA"):
            select_device("cuda")
    with pytest.raises(CineMAError, match="unknown device"):
        select_device("tpu")


def test_no_autocast_on_cpu() -> None:
    with autocast_context(torch.device("cpu")):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        list(predict([], "sax", _inputs(1), total=1))
    with pytest.raises(ValueError):
        list(predict(Scale(1.0), "sax", _inputs(1), total=1, batch_size=0))


def test_forward_clock_counts_only_inside_and_only_while_active() -> None:
    """The benchmarks' clock (benchmarks/forward_clock.py) hears each batch's forward through the library's hook."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from forward_clock import ForwardClock

    from CineMALib.infer import FORWARD_LISTENERS

    class Slow(Scale):
        def forward(self, x):
            import time

            time.sleep(0.02)
            return super().forward(x)

    list(predict(Slow(1.0), "sax", _inputs(2), total=2, batch_size=1, device="cpu"))  # no clock active: ignored
    with ForwardClock() as clock:
        list(predict(Slow(1.0), "sax", _inputs(3), total=3, batch_size=2, device="cpu", stage="seg"))
    assert clock.batches == 2 and clock.stages["seg"][1] == 3
    assert 0.04 <= clock.seconds < 1.0
    assert not FORWARD_LISTENERS  # nothing left listening once the clock stops
