"""``ConvViT``: classification, regression and landmark-coordinate model (spec §2.5).

Time frames are stacked as input channels (released: ``n_frames=2`` -> channels [ED, ES]; landmarks ``n_frames=1``).
Output logits are the mean of one head per view (on the mean token) and one head on the cls token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from CineMALib.models.encoder import downsample_encoders, encode_and_fuse, fusion_for
from CineMALib.models.vit import Mlp, ViTEncoder, check_rotary

REDUCTIONS = ("all", "patch", "cls")


class ConvViT(nn.Module):
    """Conv stem + ViT + multi-scale fusion, with linear heads. Arguments as the official ``cinema.ConvViT``."""

    def __init__(
        self,
        image_size_dict: Mapping[str, Sequence[int]],
        in_chans_dict: Mapping[str, int],
        n_frames: int,
        out_chans: int,
        enc_patch_size_dict: Mapping[str, Sequence[int]],
        enc_scale_factor_dict: Mapping[str, Sequence[int]],
        enc_conv_chans: Sequence[int],
        enc_conv_n_blocks: int,
        enc_embed_dim: int,
        enc_depth: int,
        enc_n_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
        norm_eps: float = 1e-5,
        rotary: bool = False,
        act_layer: type[nn.Module] = nn.GELU,
        mlp_layer: Callable[..., nn.Module] = Mlp,
        drop_path: float = 0.0,
        norm: str = "layer",
        head_layer: Callable[[int, int], nn.Module] = nn.Linear,
    ) -> None:
        super().__init__()
        check_rotary(rotary)
        self.views = list(image_size_dict)
        self.enc_down_dict = downsample_encoders(
            image_size_dict, in_chans_dict, enc_patch_size_dict, enc_scale_factor_dict, enc_conv_chans,
            enc_conv_n_blocks, enc_embed_dim, norm, n_frames=n_frames,
        )
        self.enc_fusion_dict = nn.ModuleDict(
            {
                view: fusion_for(enc, enc_conv_chans, enc_embed_dim, norm_layer=norm_layer, norm_eps=norm_eps)
                for view, enc in self.enc_down_dict.items()
            }
        )
        self.encoder = ViTEncoder(
            enc_embed_dim, enc_depth, enc_n_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias, drop_path=drop_path,
            norm_layer=norm_layer, norm_eps=norm_eps, act_layer=act_layer, mlp_layer=mlp_layer,
        )
        self.pred_head_dict = nn.ModuleDict(
            {name: head_layer(enc_embed_dim, out_chans) for name in [*self.views, "cls"]}
        )

    def feature_forward(
        self, image_dict: Mapping[str, torch.Tensor], mask_dict: Mapping[str, torch.Tensor] | None = None
    ) -> dict[str, torch.Tensor]:
        """``{"cls": (B,1,E), view: (B,N_view,E)}``: encoder tokens after multi-scale fusion."""
        return encode_and_fuse(self.enc_down_dict, self.encoder, self.enc_fusion_dict, image_dict, mask_dict)

    def forward(
        self,
        image_dict: Mapping[str, torch.Tensor],
        mask_dict: Mapping[str, torch.Tensor] | None = None,
        reduce: str = "all",
    ) -> torch.Tensor:
        """Logits ``(B, out_chans)``: ``"all"`` mean of view heads and cls head, ``"patch"`` views only, ``"cls"``."""
        if reduce not in REDUCTIONS:
            raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
        return self.head_forward(self.feature_forward(image_dict, mask_dict), list(image_dict), reduce)

    def head_forward(self, features: Mapping[str, torch.Tensor], views: Sequence[str], reduce: str = "all"
                     ) -> torch.Tensor:
        """Logits from ``feature_forward`` output (separate so that heads can be trained on stored features)."""
        logits = []
        if reduce in ("all", "patch"):
            logits += [self.pred_head_dict[view](features[view].mean(dim=1)) for view in views]
        if reduce in ("all", "cls"):
            logits.append(self.pred_head_dict["cls"](features["cls"][:, 0]))
        return torch.stack(logits, dim=0).mean(dim=0)
