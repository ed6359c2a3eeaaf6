"""Landmark coordinates from heatmaps (spec §5), for the ConvUNetR landmark-heatmap models."""

from __future__ import annotations

import torch


def heatmap_soft_argmax(probs: torch.Tensor, beta: float = 1000.0) -> torch.Tensor:
    """Expected grid coordinate of each channel's ``softmax(probs * beta)`` over its flattened spatial grid.

    ``probs`` are sigmoid probabilities ``(B, C, X, Y[, Z])``; the result ``(B, C * n_dims)`` is ordered
    ``x1, y1, x2, y2, ...`` in array-index units (x = first spatial axis). The coordinates are returned as floats:
    the official ``cinema.metric.heatmap_soft_argmax`` casts them to ``long`` (truncation toward zero) — call
    ``.long()`` on the result to reproduce it exactly.
    """
    batch, chans, *spatial = probs.shape
    weights = torch.softmax(probs.reshape(batch, chans, -1).float() * beta, dim=-1)  # (B, C, prod(spatial))
    axes = [torch.arange(s, dtype=weights.dtype, device=probs.device) for s in spatial]
    grid = torch.cartesian_prod(*axes).reshape(-1, len(spatial))  # row-major, matches the flattened heatmap
    coords = weights @ grid  # (B, C, n_dims)
    return coords.reshape(batch, chans * len(spatial))
