"""``CineMA``: the multi-view masked autoencoder that was pre-trained and released (spec §2.7).

``feature_forward`` gives the encoder features of any subset of views (no masking). ``forward`` masks patches, encodes
the visible ones, and a cross-attention decoder predicts the masked patches; its loss is the MSE on masked patches.
Masks: ``(B, N_tokens)`` per view, 1 = masked (removed from the encoder, predicted), 0 = visible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from CineMALib.models.encoder import downsample_encoders, encode_and_fuse, fusion_for, gather_tokens
from CineMALib.models.patch import patchify
from CineMALib.models.posembed import get_pos_embed
from CineMALib.models.vit import Mlp, ViTDecoder, ViTEncoder, check_rotary


def random_patch_mask(
    batch: int, n_tokens: int, mask_ratio: float, device: torch.device | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Bool ``(B, N)``, True = masked: per sample the ``N - int(N * (1 - ratio))`` positions with the largest noise."""
    n_keep = int(n_tokens * (1 - mask_ratio))
    noise = torch.rand(batch, n_tokens, device=device, generator=generator)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    return ranks >= n_keep


class DecoderEmbedding(nn.Module):
    """Decoder-side sin-cos position table and learnable mask token of one view."""

    def __init__(self, embed_dim: int, grid_size: Sequence[int]) -> None:
        super().__init__()
        self.pos_embed = get_pos_embed(embed_dim, grid_size)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dim))

    def forward(self, visible: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``visible (B, n_vis, D)`` -> (visible + pos at visible positions, mask token + pos at masked positions)."""
        pos = self.pos_embed.expand(visible.shape[0], -1, -1)
        visible = visible + gather_tokens(pos, mask, masked=False)
        masked = self.mask_token + gather_tokens(pos, mask, masked=True)
        return visible, masked


class CineMA(nn.Module):
    """Multi-view ConvMAE. Arguments as the official ``cinema.CineMA``."""

    def __init__(
        self,
        image_size_dict: Mapping[str, Sequence[int]],
        in_chans_dict: Mapping[str, int],
        enc_patch_size_dict: Mapping[str, Sequence[int]],
        enc_scale_factor_dict: Mapping[str, Sequence[int]],
        enc_conv_chans: Sequence[int],
        enc_conv_n_blocks: int,
        enc_embed_dim: int,
        enc_depth: int,
        enc_n_heads: int,
        dec_embed_dim: int,
        dec_depth: int,
        dec_n_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        norm_target: bool = False,
        cross_attn: bool = True,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
        norm_eps: float = 1e-5,
        rotary: bool = False,
        act_layer: type[nn.Module] = nn.GELU,
        mlp_layer: Callable[..., nn.Module] = Mlp,
        drop_path: float = 0.0,
        norm: str = "layer",
    ) -> None:
        super().__init__()
        check_rotary(rotary)
        if not cross_attn:
            raise NotImplementedError("only the cross-attention MAE decoder (cross_attn=True, released) is implemented")
        self.views = list(image_size_dict)
        self.norm_target = norm_target
        self.enc_down_dict = downsample_encoders(
            image_size_dict, in_chans_dict, enc_patch_size_dict, enc_scale_factor_dict, enc_conv_chans,
            enc_conv_n_blocks, enc_embed_dim, norm,
        )
        self.enc_fusion_dict = nn.ModuleDict(
            {
                view: fusion_for(enc, enc_conv_chans, enc_embed_dim, norm_layer=norm_layer, norm_eps=norm_eps)
                for view, enc in self.enc_down_dict.items()
            }
        )
        block_kwargs = dict(
            mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, drop_path=drop_path, norm_layer=norm_layer, norm_eps=norm_eps,
            act_layer=act_layer, mlp_layer=mlp_layer,
        )
        self.encoder = ViTEncoder(enc_embed_dim, enc_depth, enc_n_heads, **block_kwargs)  # type: ignore[arg-type]
        self.dec_linear = nn.Linear(enc_embed_dim, dec_embed_dim)
        self.dec_embed_dict = nn.ModuleDict(
            {view: DecoderEmbedding(dec_embed_dim, enc.grid_size) for view, enc in self.enc_down_dict.items()}
        )
        self.decoder = ViTDecoder(dec_embed_dim, dec_depth, dec_n_heads, **block_kwargs)  # type: ignore[arg-type]
        # Each token reconstructs the image patch it covers: enc patch x scale^n_conv, e.g. (16, 16, 1).
        self.dec_patch_size_dict: dict[str, tuple[int, ...]] = {}
        heads = {}
        for view, enc in self.enc_down_dict.items():
            patch = tuple(s // g for s, g in zip(enc.image_size, enc.grid_size))
            self.dec_patch_size_dict[view] = patch
            n_out = in_chans_dict[view]
            for p in patch:
                n_out *= p
            heads[view] = nn.Linear(dec_embed_dim, n_out)
        self.pred_head_dict = nn.ModuleDict(heads)

    def n_tokens(self, view: str) -> int:
        """Number of ViT tokens (patches) of a view."""
        return int(self.enc_down_dict[view].pos_embed.shape[1])

    def feature_forward(
        self, image_dict: Mapping[str, torch.Tensor], mask_dict: Mapping[str, torch.Tensor] | None = None
    ) -> dict[str, torch.Tensor]:
        """``{"cls": (B,1,E), view: (B,N_view,E)}``: tokens after multi-scale fusion (visible ones if masked)."""
        return encode_and_fuse(self.enc_down_dict, self.encoder, self.enc_fusion_dict, image_dict, mask_dict)

    def forward(
        self,
        image_dict: Mapping[str, torch.Tensor],
        enc_mask_ratio: float = 0.75,
        mask_dict: Mapping[str, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Masked reconstruction.

        Returns ``(loss, pred_dict, mask_dict, metrics)``: ``pred_dict[view]`` ``(B, n_masked, prod(dec_patch) * C)``
        in ascending masked-position order, ``mask_dict`` the masks used (bool, True = masked; random with
        ``enc_mask_ratio`` unless given), ``metrics`` ``{"loss", "loss_<view>"}`` (the per-view names are ours).
        """
        if mask_dict is None:
            mask_dict = {
                view: random_patch_mask(x.shape[0], self.n_tokens(view), enc_mask_ratio, x.device)
                for view, x in image_dict.items()
            }
        mask_dict = {view: mask_dict[view].bool() for view in image_dict}
        features = self.feature_forward(image_dict, mask_dict)
        views = list(image_dict)
        x = self.dec_linear(torch.cat([features[view] for view in ["cls", *views]], dim=1))
        sizes = [features[view].shape[1] for view in views]
        cls, *per_view = torch.split(x, [1, *sizes], dim=1)
        keys, queries = [], [cls]
        for view, tokens in zip(views, per_view):
            visible, masked = self.dec_embed_dict[view](tokens, mask_dict[view])
            keys.append(visible)
            queries.append(masked)
        n_masked = [q.shape[1] for q in queries[1:]]
        out = self.decoder(torch.cat(queries, dim=1), torch.cat(keys, dim=1), sum(n_masked))
        pred_dict = {
            view: self.pred_head_dict[view](y) for view, y in zip(views, torch.split(out, n_masked, dim=1))
        }
        metrics = {}
        for view in views:
            target = gather_tokens(patchify(image_dict[view], self.dec_patch_size_dict[view]), mask_dict[view], True)
            if self.norm_target:
                mean, var = target.mean(dim=-1, keepdim=True), target.var(dim=-1, keepdim=True)
                target = (target - mean) / (var + 1.0e-6) ** 0.5
            metrics[f"loss_{view}"] = ((pred_dict[view] - target) ** 2).mean()
        loss = torch.stack([metrics[f"loss_{view}"] for view in views]).mean()
        metrics["loss"] = loss
        return loss, pred_dict, mask_dict, metrics
