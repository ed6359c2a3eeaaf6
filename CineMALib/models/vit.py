"""Vision-transformer parts of CineMA (spec §2.1): attention with separate ``q``/``kv`` projections, pre-norm blocks,
an encoder with a cls token and a cross-attention decoder for the MAE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ViTSize:
    """Transformer widths/depths of a named CineMA size (encoder, and the MAE decoder)."""

    enc_embed_dim: int
    enc_depth: int
    enc_n_heads: int
    dec_embed_dim: int
    dec_depth: int
    dec_n_heads: int


VIT_SIZES: dict[str, ViTSize] = {
    "tiny": ViTSize(16, 1, 2, 16, 1, 2),
    "base": ViTSize(768, 12, 12, 512, 8, 16),  # the released weights
    "large": ViTSize(1024, 24, 16, 512, 8, 16),
    "huge": ViTSize(1280, 32, 16, 512, 8, 16),
}


def get_vit_config(size: str) -> ViTSize:
    """Size table of the official ``get_vit_config``."""
    if size not in VIT_SIZES:
        raise ValueError(f"unknown ViT size {size!r}; expected one of {sorted(VIT_SIZES)}")
    return VIT_SIZES[size]


def check_rotary(rotary: bool) -> None:
    """Rotary position embedding is accepted as an argument for signature parity but not implemented."""
    if rotary:
        raise NotImplementedError("rotary position embedding is not implemented (no released CineMA model uses it)")


def drop_path(x: torch.Tensor, prob: float, training: bool) -> torch.Tensor:
    """Stochastic depth: drop whole residual branches per sample during training; identity otherwise."""
    if prob == 0.0 or not training:
        return x
    keep = 1.0 - prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    return x * x.new_empty(shape).bernoulli_(keep) / keep


class Mlp(nn.Module):
    """Transformer MLP ``fc2(act(fc1(x)))`` (same parameters and call signature as timm's ``Mlp``)."""

    def __init__(
        self,
        in_features: int,
        hidden_features: int | None = None,
        out_features: int | None = None,
        act_layer: type[nn.Module] = nn.GELU,
        drop: float = 0.0,
    ) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.drop1 = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden_features, out_features or in_features)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class Attention(nn.Module):
    """Multi-head attention with ``q = Linear(dim, dim)`` and ``kv = Linear(dim, 2 dim)`` (K first, then V).

    ``k`` given: cross-attention, keys and values from ``k``; otherwise self-attention.
    """

    def __init__(self, dim: int, n_heads: int, qkv_bias: bool = True, attn_drop: float = 0.0) -> None:
        super().__init__()
        if dim % n_heads:
            raise ValueError(f"dim {dim} is not divisible by n_heads {n_heads}")
        self.n_heads = n_heads
        self.head_dim = dim // n_heads
        self.scale = self.head_dim**-0.5
        self.attn_drop = attn_drop
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, k: torch.Tensor | None = None) -> torch.Tensor:
        batch, n_q, dim = x.shape
        k = x if k is None else k
        n_k = k.shape[1]
        q = self.q(x).view(batch, n_q, self.n_heads, self.head_dim).transpose(1, 2)
        kv = self.kv(k).view(batch, n_k, 2, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(
            q, kv[0], kv[1], dropout_p=self.attn_drop if self.training else 0.0, scale=self.scale
        )
        return self.proj(out.transpose(1, 2).reshape(batch, n_q, dim))


class Block(nn.Module):
    """Pre-norm transformer block. With cross-attention only the queries are normalised (official behaviour)."""

    def __init__(
        self,
        dim: int,
        n_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
        norm_eps: float = 1e-5,
        act_layer: type[nn.Module] = nn.GELU,
        mlp_layer: Callable[..., nn.Module] = Mlp,
    ) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim, eps=norm_eps)
        self.attn = Attention(dim, n_heads, qkv_bias=qkv_bias)
        self.norm2 = norm_layer(dim, eps=norm_eps)
        self.mlp = mlp_layer(in_features=dim, hidden_features=int(dim * mlp_ratio), act_layer=act_layer)
        self.drop_path = drop_path

    def forward(self, x: torch.Tensor, k: torch.Tensor | None = None) -> torch.Tensor:
        x = x + drop_path(self.attn(self.norm1(x), k), self.drop_path, self.training)
        return x + drop_path(self.mlp(self.norm2(x)), self.drop_path, self.training)


def _blocks(depth: int, drop_path: float, **block_kwargs: object) -> nn.ModuleList:
    """``depth`` blocks with stochastic-depth rates rising linearly from 0 to ``drop_path`` (timm convention)."""
    rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]
    return nn.ModuleList([Block(drop_path=r, **block_kwargs) for r in rates])  # type: ignore[arg-type]


class ViTEncoder(nn.Module):
    """Transformer encoder: prepend a learnable cls token, run the blocks, final norm. ``(B,N,E) -> (B,1+N,E)``."""

    def __init__(
        self,
        embed_dim: int,
        depth: int,
        n_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
        norm_eps: float = 1e-5,
        act_layer: type[nn.Module] = nn.GELU,
        mlp_layer: Callable[..., nn.Module] = Mlp,
    ) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.blocks = _blocks(
            depth, drop_path, dim=embed_dim, n_heads=n_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
            norm_layer=norm_layer, norm_eps=norm_eps, act_layer=act_layer, mlp_layer=mlp_layer,
        )
        self.norm = norm_layer(embed_dim, eps=norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


class ViTDecoder(nn.Module):
    """MAE decoder: blocks over query tokens (cross-attending to ``x_k`` when given), keep the last ``n_masked``."""

    def __init__(
        self,
        embed_dim: int,
        depth: int,
        n_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_path: float = 0.0,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
        norm_eps: float = 1e-5,
        act_layer: type[nn.Module] = nn.GELU,
        mlp_layer: Callable[..., nn.Module] = Mlp,
    ) -> None:
        super().__init__()
        self.blocks = _blocks(
            depth, drop_path, dim=embed_dim, n_heads=n_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
            norm_layer=norm_layer, norm_eps=norm_eps, act_layer=act_layer, mlp_layer=mlp_layer,
        )
        self.norm = norm_layer(embed_dim, eps=norm_eps)

    def forward(self, x_q: torch.Tensor, x_k: torch.Tensor | None, n_masked: int) -> torch.Tensor:
        for block in self.blocks:
            x_q = block(x_q, x_k)
        return self.norm(x_q[:, -n_masked:])
