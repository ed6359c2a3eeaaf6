"""Convolutional building blocks of CineMA (spec ``cinema-model.md`` §2.1).

Every block works in 2-D (LAX views, ``(B, C, X, Y)``) or 3-D (SAX, ``(B, C, X, Y, Z)``), chosen by ``n_dims``.
Attribute names equal the official ones because they become state-dict keys of the released checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

CONV_NORM_EPS = 1e-6  # the official conv-block norms use 1e-6, unlike the ViT LayerNorms (1e-5)


def conv_nd(n_dims: int) -> type[nn.Conv2d] | type[nn.Conv3d]:
    """The torch convolution class for 2-D or 3-D inputs."""
    if n_dims == 2:
        return nn.Conv2d
    if n_dims == 3:
        return nn.Conv3d
    raise ValueError(f"only 2-D and 3-D convolutions are supported, got n_dims={n_dims}")


def conv_transpose_nd(n_dims: int) -> type[nn.ConvTranspose2d] | type[nn.ConvTranspose3d]:
    """The torch transposed convolution class for 2-D or 3-D inputs."""
    if n_dims == 2:
        return nn.ConvTranspose2d
    if n_dims == 3:
        return nn.ConvTranspose3d
    raise ValueError(f"only 2-D and 3-D convolutions are supported, got n_dims={n_dims}")


class ConvLayerNorm(nn.LayerNorm):
    """LayerNorm over the channel axis of ``(B, C, *spatial)``.

    On a 1-channel input the normalised value is 0, so the output is exactly ``bias`` — the official models rely on
    this quirk in ConvUNetR's full-resolution image block, so it is kept.
    """

    def __init__(self, n_chans: int, eps: float = CONV_NORM_EPS) -> None:
        super().__init__(n_chans, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_cuda:
            return self.channels_first(x)
        # CPU: channels-last for layer_norm; the result is returned as a channels-first view (no copy back), which
        # suits the CPU's channels-last convolutions.
        y = F.layer_norm(x.movedim(1, -1), self.normalized_shape, self.weight, self.bias, self.eps)
        return y.movedim(-1, 1)

    def channels_first(self, x: torch.Tensor) -> torch.Tensor:
        """The same norm as statistics over dim 1 in float32, returned in the input's dtype and layout.

        Why on CUDA: layer_norm on the permuted view copies the tensor twice and leaves a channels-last layout that
        sends cuDNN's 3-D convolutions to slow kernels; this form made the full-size SAX segmentation 1.9x faster on
        an H200 in bf16 autocast (0.47 -> 0.25 s per 25 frames, benchmarks/README.md).
        """
        xf = x.float()
        mean = xf.mean(1, keepdim=True)
        centred = xf - mean
        var = centred.square().mean(1, keepdim=True)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        y = centred * torch.rsqrt(var + self.eps) * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


def get_conv_norm(n_dims: int, n_chans: int, norm: str, eps: float = CONV_NORM_EPS, n_groups: int = 32) -> nn.Module:
    """Normalisation layer of the conv blocks: ``"layer"`` (released models), ``"instance"`` or ``"group"``."""
    if norm == "layer":
        return ConvLayerNorm(n_chans, eps=eps)
    if norm == "instance":
        return (nn.InstanceNorm2d if n_dims == 2 else nn.InstanceNorm3d)(n_chans, eps=eps)
    if norm == "group":
        return nn.GroupNorm(min(n_groups, n_chans), n_chans, eps=eps)
    raise ValueError(f"unknown conv norm {norm!r}; expected 'layer', 'instance' or 'group'")


def _as_tuple(value: int | Sequence[int], n_dims: int) -> tuple[int, ...]:
    """Broadcast an int to ``n_dims`` entries; lists become tuples."""
    if isinstance(value, int):
        return (value,) * n_dims
    value = tuple(int(v) for v in value)
    if len(value) != n_dims:
        raise ValueError(f"expected {n_dims} values, got {value}")
    return value


class ConvNormActBlock(nn.Module):
    """``conv -> norm -> act``; with kernel = stride it is the patch embedding of each conv stage."""

    def __init__(
        self,
        n_dims: int,
        in_chans: int,
        out_chans: int,
        norm: str = "layer",
        kernel_size: int | Sequence[int] = 3,
        stride: int | Sequence[int] = 1,
        padding: int | Sequence[int] | str = "same",
        act_layer: type[nn.Module] = nn.GELU,
    ) -> None:
        super().__init__()
        self.conv = conv_nd(n_dims)(
            in_chans, out_chans, _as_tuple(kernel_size, n_dims), stride=_as_tuple(stride, n_dims), padding=padding
        )
        self.norm = get_conv_norm(n_dims, out_chans, norm)
        self.act = act_layer()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class ConvResBlock(nn.Module):
    """Pre-norm residual block: ``conv2(drop(act(norm2(conv1(act(norm1(x))))))) + shortcut(x)``."""

    def __init__(
        self,
        n_dims: int,
        in_chans: int,
        out_chans: int,
        norm: str = "layer",
        dropout: float = 0.0,
        kernel_size: int = 3,
        act_layer: type[nn.Module] = nn.GELU,
    ) -> None:
        super().__init__()
        conv = conv_nd(n_dims)
        self.norm1 = get_conv_norm(n_dims, in_chans, norm)
        self.norm2 = get_conv_norm(n_dims, out_chans, norm)
        self.conv1 = conv(in_chans, out_chans, kernel_size, padding=kernel_size // 2)
        self.conv2 = conv(out_chans, out_chans, kernel_size, padding=kernel_size // 2)
        self.shortcut: nn.Module = conv(in_chans, out_chans, 1) if in_chans != out_chans else nn.Identity()
        self.act = act_layer()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x)))
        h = self.conv2(self.dropout(self.act(self.norm2(h))))
        return h + self.shortcut(x)


class ConvMlp(nn.Module):
    """Transformer MLP made of 1x1 convolutions: ``fc2(act(fc1(x)))``."""

    def __init__(
        self, n_dims: int, in_chans: int, hidden_chans: int, act_layer: type[nn.Module] = nn.GELU, drop: float = 0.0
    ) -> None:
        super().__init__()
        conv = conv_nd(n_dims)
        self.fc1 = conv(in_chans, hidden_chans, 1)
        self.act = act_layer()
        self.drop = nn.Dropout(drop)
        self.fc2 = conv(hidden_chans, in_chans, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class MaskedConvBlock(nn.Module):
    """ConvMAE block: a depth-wise 5x5(x5) convolution "attention" then a conv MLP, both residual.

    ``mask`` (1 = visible, broadcast over channels) zeroes masked positions before the depth-wise convolution so that
    masked patches cannot leak into visible ones during MAE pre-training; it is ``None`` at inference.
    """

    def __init__(
        self,
        n_dims: int,
        n_chans: int,
        mlp_ratio: float = 4.0,
        norm: str = "layer",
        kernel_size: int = 5,
        act_layer: type[nn.Module] = nn.GELU,
    ) -> None:
        super().__init__()
        conv = conv_nd(n_dims)
        self.norm1 = get_conv_norm(n_dims, n_chans, norm)
        self.norm2 = get_conv_norm(n_dims, n_chans, norm)
        self.conv1 = conv(n_chans, n_chans, 1)
        self.conv2 = conv(n_chans, n_chans, 1)
        self.dw_conv = conv(n_chans, n_chans, kernel_size, padding=kernel_size // 2, groups=n_chans)
        self.mlp = ConvMlp(n_dims, n_chans, int(n_chans * mlp_ratio), act_layer=act_layer)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(self.norm1(x))
        if mask is not None:
            h = h * mask
        x = x + self.conv2(self.dw_conv(h))
        return x + self.mlp(self.norm2(x))
