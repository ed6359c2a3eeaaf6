"""``ConvUNetR``: segmentation and landmark-heatmap model (spec §2.6).

The ViT tokens are reshaped to their grid and, together with the conv-stage skips, a further down-sampled copy of the
token grid and a full-resolution conv of the raw image, feed a U-Net style up-sampling decoder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from CineMALib.models.blocks import ConvResBlock, conv_nd, conv_transpose_nd
from CineMALib.models.encoder import downsample_encoders, encode_views
from CineMALib.models.vit import Mlp, ViTEncoder, check_rotary


def decoder_layout(
    enc_patch_size: Sequence[int],
    enc_scale_factor: Sequence[int],
    n_enc_conv: int,
    dec_patch_size: Sequence[int],
    dec_scale_factor: Sequence[int],
    n_dec_levels: int,
) -> tuple[int, int]:
    """``(n_layers_wo_skip, n_downsample_layers)`` linking encoder resolutions to decoder levels.

    Decoder level ``i`` has down-sampling factor ``dec_patch * dec_scale**i``. The encoder's conv skips and token grid
    (factors ``enc_patch * enc_scale**k``) must be consecutive levels; levels finer than the first skip get no skip
    (``n_layers_wo_skip``), levels coarser than the token grid are made by strided convs (``n_downsample_layers``).
    """
    def power(base: Sequence[int], scale: Sequence[int], k: int) -> tuple[int, ...]:
        return tuple(int(b) * int(s) ** k for b, s in zip(base, scale))

    levels = [power(dec_patch_size, dec_scale_factor, i) for i in range(n_dec_levels)]
    enc = [power(enc_patch_size, enc_scale_factor, k) for k in range(n_enc_conv + 1)]
    if enc[0] not in levels:
        raise ValueError(f"encoder patch size {enc[0]} matches no decoder level {levels}")
    start = levels.index(enc[0])
    if levels[start : start + len(enc)] != enc:
        raise ValueError(f"encoder resolutions {enc} are not consecutive decoder levels {levels}")
    return start, n_dec_levels - start - len(enc)


class UpsampleBlock(nn.Module):
    """Transposed-conv up-sampling, optional skip addition, then residual conv blocks."""

    def __init__(
        self, n_dims: int, in_chans: int, out_chans: int, factor: Sequence[int], norm: str, kernel_size: int,
        n_blocks: int, dropout: float,
    ) -> None:
        super().__init__()
        self.up = conv_transpose_nd(n_dims)(in_chans, out_chans, tuple(factor), stride=tuple(factor))
        self.conv = nn.ModuleList(
            [ConvResBlock(n_dims, out_chans, out_chans, norm, dropout, kernel_size) for _ in range(n_blocks)]
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        x = self.up(x)
        if skip is not None:
            x = x + skip
        for block in self.conv:
            x = block(x)
        return x


class UpsampleDecoder(nn.Module):
    """Up-samples from the coarsest level (``chans[-1]``) to full resolution (``chans[0]``).

    Every block up-samples by ``scale_factor`` except the last, which up-samples by ``patch_size``.
    """

    def __init__(
        self, n_dims: int, chans: Sequence[int], patch_size: Sequence[int], scale_factor: Sequence[int],
        norm: str = "layer", kernel_size: int = 3, n_blocks: int = 2, dropout: float = 0.0,
    ) -> None:
        super().__init__()
        rev = list(chans)[::-1]
        outs = [*rev[1:], chans[0]]
        factors = [scale_factor] * (len(chans) - 1) + [patch_size]
        self.blocks = nn.ModuleList(
            [
                UpsampleBlock(n_dims, c_in, c_out, f, norm, kernel_size, n_blocks, dropout)
                for c_in, c_out, f in zip(rev, outs, factors)
            ]
        )

    def forward(self, embeddings: Sequence[torch.Tensor | None]) -> torch.Tensor:
        """``embeddings`` finest (full resolution) first; the last one is the decoder input."""
        if len(embeddings) != len(self.blocks) + 1:
            raise ValueError(f"expected {len(self.blocks) + 1} embeddings, got {len(embeddings)}")
        x = embeddings[-1]
        assert x is not None
        for block, skip in zip(self.blocks, reversed(embeddings[:-1])):
            x = block(x, skip)
        return x


class ConvUNetR(nn.Module):
    """Conv stem + ViT encoder + U-Net decoder; ``forward`` returns logits per view. Official arguments."""

    def __init__(
        self,
        image_size_dict: Mapping[str, Sequence[int]],
        in_chans_dict: Mapping[str, int],
        out_chans: int,
        enc_patch_size_dict: Mapping[str, Sequence[int]],
        enc_scale_factor_dict: Mapping[str, Sequence[int]],
        enc_conv_chans: Sequence[int],
        enc_conv_n_blocks: int,
        enc_embed_dim: int,
        enc_depth: int,
        enc_n_heads: int,
        dec_chans: Sequence[int],
        dec_patch_size_dict: Mapping[str, Sequence[int]],
        dec_scale_factor_dict: Mapping[str, Sequence[int]],
        dec_kernel_size: int = 3,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
        norm_eps: float = 1e-5,
        rotary: bool = False,
        act_layer: type[nn.Module] = nn.GELU,
        mlp_layer: Callable[..., nn.Module] = Mlp,
        dropout: float = 0.0,
        drop_path: float = 0.0,
        norm: str = "layer",
    ) -> None:
        super().__init__()
        check_rotary(rotary)
        self.views = list(image_size_dict)
        self.enc_down_dict = downsample_encoders(
            image_size_dict, in_chans_dict, enc_patch_size_dict, enc_scale_factor_dict, enc_conv_chans,
            enc_conv_n_blocks, enc_embed_dim, norm,
        )
        self.encoder = ViTEncoder(
            enc_embed_dim, enc_depth, enc_n_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, drop_path=drop_path,
            norm_layer=norm_layer, norm_eps=norm_eps, act_layer=act_layer, mlp_layer=mlp_layer,
        )
        self.n_layers_wo_skip: dict[str, int] = {}
        image_blocks, down_blocks, conv_blocks, decoders, heads = {}, {}, {}, {}, {}
        for view in self.views:
            n_dims = len(image_size_dict[view])
            conv = conv_nd(n_dims)
            n_wo_skip, n_down = decoder_layout(
                enc_patch_size_dict[view], enc_scale_factor_dict[view], len(enc_conv_chans),
                dec_patch_size_dict[view], dec_scale_factor_dict[view], len(dec_chans),
            )
            self.n_layers_wo_skip[view] = n_wo_skip
            scale = tuple(dec_scale_factor_dict[view])
            image_blocks[view] = ConvResBlock(n_dims, in_chans_dict[view], dec_chans[0], norm, dropout, dec_kernel_size)
            down_blocks[view] = nn.ModuleList(
                [conv(enc_embed_dim, enc_embed_dim, scale, stride=scale) for _ in range(n_down)]
            )
            in_chans = [*enc_conv_chans, *([enc_embed_dim] * (1 + n_down))]
            conv_blocks[view] = nn.ModuleList(
                [
                    ConvResBlock(n_dims, c, dec_chans[n_wo_skip + k], norm, dropout, dec_kernel_size)
                    for k, c in enumerate(in_chans)
                ]
            )
            decoders[view] = UpsampleDecoder(
                n_dims, dec_chans, dec_patch_size_dict[view], dec_scale_factor_dict[view], norm, dec_kernel_size
            )
            heads[view] = conv(dec_chans[0], out_chans, 1)
        self.dec_image_conv_block_dict = nn.ModuleDict(image_blocks)
        self.dec_down_blocks_dict = nn.ModuleDict(down_blocks)
        self.dec_conv_blocks_dict = nn.ModuleDict(conv_blocks)
        self.decoder_dict = nn.ModuleDict(decoders)
        self.pred_head_dict = nn.ModuleDict(heads)

    def forward(self, image_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Logits ``(B, out_chans, *image_size)`` per view; inputs must have the model's image size."""
        _, skips_dict, tokens_dict = encode_views(self.enc_down_dict, self.encoder, image_dict)
        out = {}
        for view, image in image_dict.items():
            tokens = tokens_dict[view]
            grid = self.enc_down_dict[view].grid_size
            # (B, N, E) -> (B, E, *grid) as a channels-last view: no copy, and conv/norm layers keep that layout.
            x = tokens.reshape(tokens.shape[0], *grid, tokens.shape[2]).movedim(-1, 1)
            features = [*skips_dict[view], x]
            for down in self.dec_down_blocks_dict[view]:
                x = down(x)
                features.append(x)
            embeddings: list[torch.Tensor | None] = [self.dec_image_conv_block_dict[view](image)]
            embeddings += [None] * self.n_layers_wo_skip[view]
            embeddings += [block(f) for block, f in zip(self.dec_conv_blocks_dict[view], features)]
            out[view] = self.pred_head_dict[view](self.decoder_dict[view](embeddings))
        return out
