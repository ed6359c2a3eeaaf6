"""Fixed sin-cos positional embedding, exactly as the official tables (spec §2.2).

The official code builds the coordinate grid with ``numpy.meshgrid``'s default ``indexing="xy"``, which swaps the
first two grid axes relative to the token (patch) order. The released weights were trained with that table, so it is
reproduced here on purpose rather than "fixed".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn


def sincos_1d(embed_dim: int, pos: np.ndarray) -> np.ndarray:
    """``(M,) -> (M, embed_dim)``: all sines then all cosines of ``pos * omega_k``, ``omega_k = 10000^(-2k/d)``."""
    if embed_dim % 2:
        raise ValueError(f"sin-cos width must be even, got {embed_dim}")
    omega = np.arange(embed_dim // 2, dtype=np.float64) / (embed_dim / 2.0)
    omega = 1.0 / 10000**omega
    angles = np.outer(pos.reshape(-1).astype(np.float64), omega)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def sincos_table(embed_dim: int, grid_size: Sequence[int]) -> np.ndarray:
    """``(prod(grid), embed_dim)`` float32: per-axis tables of width ``d`` concatenated, zero-padded at the end."""
    n = len(grid_size)
    axes = [np.arange(g, dtype=np.float32) for g in grid_size]
    grid = np.stack(np.meshgrid(*axes))  # default indexing="xy": the first two axes swap (kept on purpose)
    d = embed_dim // n
    d -= d % 2
    tables = [sincos_1d(d, grid[i].reshape(-1)) for i in range(n)]
    pad = embed_dim - n * d
    if pad:
        tables.append(np.zeros((tables[0].shape[0], pad)))
    return np.concatenate(tables, axis=1).astype(np.float32)


def get_pos_embed(embed_dim: int, grid_size: Sequence[int]) -> nn.Parameter:
    """Non-trainable parameter ``(1, prod(grid), embed_dim)``; it is stored in the official state dicts.

    Works under ``with torch.device("meta")``: the table is only filled in when the parameter has real storage.
    """
    n_tokens = int(np.prod(grid_size))
    param = nn.Parameter(torch.empty(1, n_tokens, embed_dim), requires_grad=False)
    if not param.is_meta:
        with torch.no_grad():
            param.copy_(torch.from_numpy(sincos_table(embed_dim, grid_size)).unsqueeze(0))
    return param
