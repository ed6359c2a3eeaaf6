"""The shared image encoder of every CineMA model (spec §2.3, §2.4).

Per view, a ``DownsampleEncoder`` turns the image into conv-stage features (skips) and ViT tokens; the tokens of all
views are concatenated and go through one ``ViTEncoder``; ``MultiScaleFusion`` (ConvViT, MAE) adds the skips back.
Masks follow the official MAE convention: ``(B, N_tokens)``, 1 = masked (removed), 0 = visible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from CineMALib.models.blocks import ConvNormActBlock, MaskedConvBlock, conv_nd
from CineMALib.models.patch import PatchEmbed
from CineMALib.models.posembed import get_pos_embed
from CineMALib.models.vit import ViTEncoder


def upsample_mask(mask: torch.Tensor, grid_size: Sequence[int], factor: Sequence[int]) -> torch.Tensor:
    """Token mask ``(B, N)`` (1 = masked) -> visibility map ``(B, 1, *grid*factor)`` (1 = visible) for a conv stage."""
    m = mask.reshape(mask.shape[0], 1, *grid_size)
    for axis, f in enumerate(factor):
        if f > 1:
            m = m.repeat_interleave(int(f), dim=2 + axis)
    return 1 - m.float()


def gather_tokens(x: torch.Tensor, mask: torch.Tensor, masked: bool) -> torch.Tensor:
    """Tokens ``(B, N, E)`` at the masked (``masked=True``) or visible positions, in ascending position order."""
    select = mask.bool() if masked else ~mask.bool()
    counts = select.sum(dim=1)
    if not bool((counts == counts[0]).all()):
        raise ValueError("every sample of a batch must have the same number of masked tokens")
    return x[select].reshape(x.shape[0], -1, x.shape[-1])


class ConvStage(nn.Module):
    """One conv stage: a strided ``patch_embed`` then ``MaskedConvBlock``s at that resolution."""

    def __init__(
        self, n_dims: int, in_chans: int, out_chans: int, patch_size: Sequence[int], n_blocks: int, norm: str
    ) -> None:
        super().__init__()
        self.patch_embed = ConvNormActBlock(
            n_dims, in_chans, out_chans, norm=norm, kernel_size=patch_size, stride=patch_size, padding=0
        )
        self.conv = nn.ModuleList([MaskedConvBlock(n_dims, out_chans, norm=norm) for _ in range(n_blocks)])

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.patch_embed(x)
        for block in self.conv:
            x = block(x, mask)
        return x


class DownsampleEncoder(nn.Module):
    """Per-view stem: conv stages (each output is a skip) then patch tokens ``linear(patch_embed(x)) + pos_embed``."""

    def __init__(
        self,
        image_size: Sequence[int],
        in_chans: int,
        patch_size: Sequence[int],
        scale_factor: Sequence[int],
        conv_chans: Sequence[int],
        conv_n_blocks: int,
        embed_dim: int,
        norm: str = "layer",
    ) -> None:
        super().__init__()
        n_dims = len(image_size)
        if len(patch_size) != n_dims or len(scale_factor) != n_dims:
            raise ValueError(f"patch {patch_size} / scale {scale_factor} do not match image size {image_size}")
        self.image_size = tuple(int(s) for s in image_size)
        self.patch_sizes = [tuple(int(p) for p in patch_size)] + [tuple(int(s) for s in scale_factor)] * len(conv_chans)
        self.stage_grids: list[tuple[int, ...]] = []
        grid = self.image_size
        chans = [in_chans, *conv_chans]
        stages = []
        for i in range(len(conv_chans)):
            stages.append(ConvStage(n_dims, chans[i], chans[i + 1], self.patch_sizes[i], conv_n_blocks, norm))
            grid = _divide(grid, self.patch_sizes[i])
            self.stage_grids.append(grid)
        self.conv_blocks = nn.ModuleList(stages)
        self.patch_embed = PatchEmbed(grid, self.patch_sizes[-1], chans[-1], embed_dim)
        self.linear = nn.Linear(embed_dim, embed_dim)
        self.grid_size = self.patch_embed.grid_size
        self.pos_embed = get_pos_embed(embed_dim, self.grid_size)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        if tuple(x.shape[2:]) != self.image_size:
            size = tuple(x.shape[2:])
            raise ValueError(f"input spatial size {size} != model image size {self.image_size}; pad first")
        expected = (x.shape[0], self.pos_embed.shape[1])
        if mask is not None and tuple(mask.shape) != expected:
            raise ValueError(f"mask shape {tuple(mask.shape)} != (batch, n_tokens) = {expected}")
        skips = []
        for stage, grid in zip(self.conv_blocks, self.stage_grids):
            stage_mask = None
            if mask is not None:
                stage_mask = upsample_mask(mask, self.grid_size, _divide(grid, self.grid_size)).to(x.dtype)
            x = stage(x, stage_mask)
            skips.append(x)
        tokens = self.linear(self.patch_embed(x)) + self.pos_embed
        return skips, tokens


def downsample_encoders(
    image_size_dict: Mapping[str, Sequence[int]],
    in_chans_dict: Mapping[str, int],
    enc_patch_size_dict: Mapping[str, Sequence[int]],
    enc_scale_factor_dict: Mapping[str, Sequence[int]],
    enc_conv_chans: Sequence[int],
    enc_conv_n_blocks: int,
    enc_embed_dim: int,
    norm: str = "layer",
    n_frames: int = 1,
) -> nn.ModuleDict:
    """``enc_down_dict``: one ``DownsampleEncoder`` per view; ``n_frames`` time frames are stacked as channels."""
    return nn.ModuleDict(
        {
            view: DownsampleEncoder(
                image_size=size,
                in_chans=n_frames * in_chans_dict[view],
                patch_size=enc_patch_size_dict[view],
                scale_factor=enc_scale_factor_dict[view],
                conv_chans=enc_conv_chans,
                conv_n_blocks=enc_conv_n_blocks,
                embed_dim=enc_embed_dim,
                norm=norm,
            )
            for view, size in image_size_dict.items()
        }
    )


def _divide(size: Sequence[int], by: Sequence[int]) -> tuple[int, ...]:
    if any(s % b for s, b in zip(size, by)):
        raise ValueError(f"size {tuple(size)} is not divisible by {tuple(by)}")
    return tuple(s // b for s, b in zip(size, by))


class MultiScaleFusion(nn.Module):
    """Adds every skip, strided down to the token grid by a conv, to the ViT tokens; then LayerNorm."""

    def __init__(
        self,
        n_dims: int,
        conv_chans: Sequence[int],
        down_factors: Sequence[Sequence[int]],
        embed_dim: int,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
        norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        conv = conv_nd(n_dims)
        self.down_convs = nn.ModuleList(
            [conv(c, embed_dim, tuple(f), stride=tuple(f)) for c, f in zip(conv_chans, down_factors)]
        )
        self.norm = norm_layer(embed_dim, eps=norm_eps)

    def forward(
        self, skips: Sequence[torch.Tensor], tokens: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        for skip, down in zip(skips, self.down_convs):
            y = down(skip).flatten(2).transpose(1, 2)  # (B, N, E) in token order
            tokens = tokens + (y if mask is None else gather_tokens(y, mask, masked=False))
        return self.norm(tokens)


def fusion_for(
    encoder: DownsampleEncoder, conv_chans: Sequence[int], embed_dim: int, **norm_kwargs: object
) -> MultiScaleFusion:
    """The ``MultiScaleFusion`` matching a ``DownsampleEncoder``: kernel = stride = stage grid / token grid."""
    factors = [_divide(g, encoder.grid_size) for g in encoder.stage_grids]
    n_dims = len(encoder.image_size)
    return MultiScaleFusion(n_dims, conv_chans, factors, embed_dim, **norm_kwargs)  # type: ignore[arg-type]


def encode_views(
    enc_down_dict: nn.ModuleDict,
    encoder: ViTEncoder,
    image_dict: Mapping[str, torch.Tensor],
    mask_dict: Mapping[str, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, dict[str, list[torch.Tensor]], dict[str, torch.Tensor]]:
    """Joint ViT over all views (dict order). Returns ``cls (B,1,E)``, skips per view, encoded tokens per view.

    With ``mask_dict`` only visible tokens enter the ViT, so per-view tokens are ``(B, n_visible, E)``.
    """
    skips_dict: dict[str, list[torch.Tensor]] = {}
    tokens: list[torch.Tensor] = []
    for view, image in image_dict.items():
        mask = None if mask_dict is None else mask_dict[view]
        skips, x = enc_down_dict[view](image, mask)
        skips_dict[view] = skips
        tokens.append(x if mask is None else gather_tokens(x, mask, masked=False))
    x = encoder(torch.cat(tokens, dim=1))
    sizes = [t.shape[1] for t in tokens]
    per_view = torch.split(x[:, 1:], sizes, dim=1)
    return x[:, :1], skips_dict, dict(zip(image_dict, per_view))


def encode_and_fuse(
    enc_down_dict: nn.ModuleDict,
    encoder: ViTEncoder,
    enc_fusion_dict: nn.ModuleDict,
    image_dict: Mapping[str, torch.Tensor],
    mask_dict: Mapping[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """``feature_forward`` of ConvViT and CineMA: ``{"cls": (B,1,E), view: (B,N_view,E)}`` after fusion."""
    cls, skips_dict, tokens_dict = encode_views(enc_down_dict, encoder, image_dict, mask_dict)
    out = {"cls": cls}
    for view, tokens in tokens_dict.items():
        mask = None if mask_dict is None else mask_dict[view]
        out[view] = enc_fusion_dict[view](skips_dict[view], tokens, mask)
    return out
