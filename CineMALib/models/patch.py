"""Patch <-> token conversion (spec §2.1): the element order must equal the official one to load its weights.

Patches are listed in row-major order of the patch grid ``(D1/p1, D2/p2, ...)``; inside a patch vector the order is
``(p1, p2, ..., C)`` with the channel fastest. ``PatchEmbed.proj`` is a Linear whose input axis follows that order.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def patchify(image: torch.Tensor, patch_size: Sequence[int]) -> torch.Tensor:
    """``(B, C, D1..Dn) -> (B, prod(Di/pi), prod(pi) * C)``."""
    batch, chans, *dims = image.shape
    n = len(patch_size)
    if len(dims) != n or any(d % p for d, p in zip(dims, patch_size)):
        raise ValueError(f"image spatial shape {tuple(dims)} is not divisible by patch size {tuple(patch_size)}")
    grid = [d // p for d, p in zip(dims, patch_size)]
    split: list[int] = []
    for g, p in zip(grid, patch_size):
        split += [g, p]
    x = image.reshape(batch, chans, *split)
    # axes now: 0 batch, 1 C, then (g1, p1, g2, p2, ...); move to (batch, g..., p..., C)
    grid_axes = [2 + 2 * i for i in range(n)]
    patch_axes = [3 + 2 * i for i in range(n)]
    x = x.permute(0, *grid_axes, *patch_axes, 1)
    return x.reshape(batch, _prod(grid), _prod(patch_size) * chans)


def unpatchify(x: torch.Tensor, patch_size: Sequence[int], grid_size: Sequence[int]) -> torch.Tensor:
    """Inverse of :func:`patchify`: ``(B, N, prod(p) * C) -> (B, C, D1..Dn)``."""
    batch, n_patches, dim = x.shape
    n = len(patch_size)
    if n_patches != _prod(grid_size) or dim % _prod(patch_size):
        raise ValueError(f"tokens {tuple(x.shape)} do not fit grid {tuple(grid_size)} x patch {tuple(patch_size)}")
    chans = dim // _prod(patch_size)
    x = x.reshape(batch, *grid_size, *patch_size, chans)
    # axes: 0 batch, 1..n grid, n+1..2n patch, 2n+1 C -> (batch, C, g1, p1, g2, p2, ...)
    order = [0, 2 * n + 1]
    for i in range(n):
        order += [1 + i, 1 + n + i]
    x = x.permute(*order)
    return x.reshape(batch, chans, *(g * p for g, p in zip(grid_size, patch_size)))


def _prod(values: Sequence[int]) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


class PatchEmbed(nn.Module):
    """Tokens from non-overlapping patches: ``proj(patchify(x))`` with ``proj`` a Linear (not a conv)."""

    def __init__(
        self, image_size: Sequence[int], patch_size: Sequence[int], in_chans: int, embed_dim: int
    ) -> None:
        super().__init__()
        if any(s % p for s, p in zip(image_size, patch_size)):
            raise ValueError(f"image size {tuple(image_size)} is not divisible by patch size {tuple(patch_size)}")
        self.patch_size = tuple(int(p) for p in patch_size)
        self.grid_size = tuple(int(s) // int(p) for s, p in zip(image_size, patch_size))
        self.n_patches = _prod(self.grid_size)
        self.proj = nn.Linear(in_chans * _prod(self.patch_size), embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(patchify(x, self.patch_size))
