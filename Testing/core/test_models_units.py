"""Unit tests of CineMALib.models that catch regressions without the golden vectors (some use the key manifests)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest
import torch
from conftest import shared_path

from CineMALib.models import CineMA, ConvUNetR, ConvViT, heatmap_soft_argmax, patchify, sincos_table, unpatchify
from CineMALib.models.blocks import ConvLayerNorm
from CineMALib.models.convunetr import decoder_layout
from CineMALib.models.mae import random_patch_mask
from CineMALib.models.posembed import sincos_1d
from CineMALib.models.vit import get_vit_config

# ----------------------------------------------------------------------------------------------- patchify


@pytest.mark.parametrize(("shape", "patch"), [((2, 3, 8, 6), (4, 2)), ((1, 2, 4, 6, 3), (2, 3, 1))])
def test_patchify_unpatchify_round_trip(shape: tuple[int, ...], patch: tuple[int, ...]) -> None:
    image = torch.randn(shape)
    tokens = patchify(image, patch)
    grid = [d // p for d, p in zip(shape[2:], patch)]
    assert tokens.shape == (shape[0], int(np.prod(grid)), int(np.prod(patch)) * shape[1])
    assert torch.equal(unpatchify(tokens, patch, grid), image)


def test_patchify_element_order_is_grid_row_major_then_patch_then_channel_fastest() -> None:
    chans, size, patch = 2, (4, 6, 2), (2, 3, 1)
    image = torch.randn(1, chans, *size)
    tokens = patchify(image, patch)
    grid = [d // p for d, p in zip(size, patch)]
    for m, (a, b, c) in enumerate(itertools.product(*map(range, grid))):
        for j, (i, k, l, ch) in enumerate(itertools.product(*map(range, patch), range(chans))):
            expected = image[0, ch, a * patch[0] + i, b * patch[1] + k, c * patch[2] + l]
            assert tokens[0, m, j] == expected, (m, j)


def test_patchify_rejects_indivisible_size() -> None:
    with pytest.raises(ValueError, match="divisible"):
        patchify(torch.zeros(1, 1, 5, 4), (2, 2))


# ----------------------------------------------------------------------------------------------- pos-embed


def test_pos_embed_swaps_first_two_axes_like_numpy_meshgrid_xy() -> None:
    grid, dim = (3, 3, 2), 24
    table = sincos_table(dim, grid)
    d = dim // 3
    for m, (a, b, c) in enumerate(itertools.product(*map(range, grid))):
        expected = np.concatenate([sincos_1d(d, np.array([float(p)]))[0] for p in (b, a, c)])
        np.testing.assert_allclose(table[m], expected, atol=1e-6)


def test_pos_embed_pads_with_zero_columns() -> None:
    table = sincos_table(32, (2, 2, 2))  # 3 axes x 10 + 2 zero columns, as the MAE decoder (512 -> 170 x 3 + 2)
    assert table.shape == (8, 32)
    assert np.all(table[:, 30:] == 0) and np.any(table[:, :30] != 0)


# ----------------------------------------------------------------------------------------------- blocks


def test_conv_layer_norm_normalises_channels_and_outputs_bias_for_one_channel() -> None:
    norm = ConvLayerNorm(3)
    x = torch.randn(2, 3, 4, 5)
    y = norm(x)
    torch.testing.assert_close(y.mean(dim=1), torch.zeros(2, 4, 5), atol=1e-5, rtol=0)
    single = ConvLayerNorm(1)
    with torch.no_grad():
        single.bias.fill_(0.25)
    assert torch.equal(single(torch.randn(1, 1, 4, 4, 2)), torch.full((1, 1, 4, 4, 2), 0.25))


@pytest.mark.parametrize("shape", [(2, 8, 5, 6, 3), (3, 4, 7, 5), (1, 1, 4, 4, 2)])
def test_conv_layer_norm_cuda_form_equals_the_cpu_form(shape: tuple[int, ...]) -> None:
    """The CUDA path (statistics over dim 1) is the same function as layer_norm on the channels-last view."""
    torch.manual_seed(0)
    norm = ConvLayerNorm(shape[1])
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    x = torch.randn(*shape) * 3 + 1
    torch.testing.assert_close(norm.channels_first(x), norm(x), atol=2e-5, rtol=2e-5)
    assert norm.channels_first(x.double()).dtype == torch.float64


def test_decoder_layout_of_released_config() -> None:
    assert decoder_layout((4, 4, 1), (2, 2, 1), 2, (2, 2, 1), (2, 2, 1), 5) == (1, 1)
    assert decoder_layout((4, 4), (2, 2), 2, (2, 2), (2, 2), 6) == (1, 2)
    with pytest.raises(ValueError):
        decoder_layout((4, 4), (2, 2), 2, (3, 3), (2, 2), 5)


# ----------------------------------------------------------------------------------------------- heatmaps


def test_heatmap_soft_argmax_finds_peaks_and_truncates_like_official() -> None:
    probs = torch.zeros(2, 3, 16, 12)
    peaks = [[(3, 5), (15, 0), (7, 11)], [(0, 0), (8, 8), (1, 10)]]
    for b, pts in enumerate(peaks):
        for c, (x, y) in enumerate(pts):
            probs[b, c, x, y] = 1.0
    coords = heatmap_soft_argmax(probs)
    assert coords.dtype.is_floating_point
    expected = torch.tensor([[v for p in pts for v in p] for pts in peaks], dtype=torch.float32)
    torch.testing.assert_close(coords, expected, atol=1e-3, rtol=0)
    # two equal peaks: the expectation lies half-way, truncation toward zero as the official .long()
    probs = torch.zeros(1, 1, 8, 8)
    probs[0, 0, 2, 3] = probs[0, 0, 3, 4] = 1.0
    torch.testing.assert_close(heatmap_soft_argmax(probs), torch.tensor([[2.5, 3.5]]), atol=1e-3, rtol=0)
    assert heatmap_soft_argmax(probs).long().tolist() == [[2, 3]]


# ----------------------------------------------------------------------------------------------- full-size keys


def _kwargs_from_forward_json(meta: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    """Constructor arguments of a released type from its ``*.forward.json`` (official ``get_model`` logic)."""
    cfg, data = meta["config_used"], meta["data_config_used"]
    views = [cfg["views"]] if isinstance(cfg["views"], str) else list(cfg["views"])
    sub = cfg.get(cfg.get("name", ""), cfg)  # convunetr/convvit sub-config; the MAE keeps fields at top level
    size = get_vit_config(sub["size"])

    def data_of(view: str) -> dict[str, Any]:
        return data["sax"] if view == "sax" else data["lax"]

    def per_view(values: list[int]) -> dict[str, list[int]]:
        return {v: values[: len(data_of(v)["patch_size"])] for v in views}

    kwargs: dict[str, Any] = {
        "image_size_dict": {v: data_of(v)["patch_size"] for v in views},
        "in_chans_dict": {v: data_of(v)["in_chans"] for v in views},
        "enc_patch_size_dict": per_view(sub.get("enc_patch_size", sub.get("patch_size"))),
        "enc_scale_factor_dict": per_view(sub.get("enc_scale_factor", sub.get("scale_factor"))),
        "enc_conv_chans": sub["enc_conv_chans"],
        "enc_conv_n_blocks": sub["enc_conv_n_blocks"],
        "enc_embed_dim": size.enc_embed_dim,
        "enc_depth": size.enc_depth,
        "enc_n_heads": size.enc_n_heads,
    }
    if meta["class"] == "CineMA":
        kwargs.update(dec_embed_dim=size.dec_embed_dim, dec_depth=size.dec_depth, dec_n_heads=size.dec_n_heads)
        return CineMA, kwargs
    if meta["class"] == "ConvUNetR":
        kwargs.update(
            out_chans=cfg["out_chans"], dec_chans=sub["dec_chans"], dec_patch_size_dict=per_view(sub["dec_patch_size"]),
            dec_scale_factor_dict=per_view(sub["dec_scale_factor"]), dropout=sub["dropout"], drop_path=sub["drop_path"],
        )
        return ConvUNetR, kwargs
    target = meta["class_or_regression"]
    out_chans = len(target["classes"]) if target["classes"] else 1 if target["regression_column"] else cfg["out_chans"]
    kwargs.update(n_frames=cfg["n_frames"], out_chans=out_chans, drop_path=sub["drop_path"])
    return ConvViT, kwargs


RELEASED = [
    "segmentation_sax",
    "segmentation_lax_4c",
    "classification_cvd_acdc_sax",
    "landmark_coordinate_lax_4c",
    "pretrained_mae",
]


@pytest.mark.parametrize("name", RELEASED)
def test_full_size_state_dict_keys_order_and_shapes_equal_official(name: str) -> None:
    folder = shared_path("fixtures", "cinema-state-dicts")
    meta = json.loads((folder / f"{name}.forward.json").read_text())
    official = json.loads((folder / f"{name}.state_dict.json").read_text())
    cls, kwargs = _kwargs_from_forward_json(meta)
    assert cls.__name__ == meta["class"]
    with torch.device("meta"):
        model = cls(**kwargs)
    state = model.state_dict()
    assert list(state) == list(official)  # order too: some loaders and our registry rely on it
    assert {k: list(v.shape) for k, v in state.items()} == {k: v["shape"] for k, v in official.items()}
    assert sum(v.numel() for v in state.values()) == meta["n_parameters"]
    pos = [v for k, v in model.named_parameters() if k.endswith("pos_embed")]
    assert pos and all(p.is_meta and not p.requires_grad for p in pos)


# ----------------------------------------------------------------------------------------------- output shapes

SMALL = {"enc_conv_chans": [4, 8], "enc_conv_n_blocks": 1, "enc_embed_dim": 16, "enc_depth": 1, "enc_n_heads": 2}
VIEWS = {"sax": [64, 64, 2], "lax_4c": [64, 64]}


def _view_kwargs(in_chans: int = 1) -> dict[str, Any]:
    return {
        "image_size_dict": VIEWS,
        "in_chans_dict": {v: in_chans for v in VIEWS},
        "enc_patch_size_dict": {"sax": (4, 4, 1), "lax_4c": [4, 4]},
        "enc_scale_factor_dict": {"sax": [2, 2, 1], "lax_4c": (2, 2)},
    }


def _images(batch: int, chans: int) -> dict[str, torch.Tensor]:
    return {v: torch.rand(batch, chans, *s) for v, s in VIEWS.items()}


def test_convunetr_multi_view_output_shapes() -> None:
    model = ConvUNetR(
        **_view_kwargs(), **SMALL, out_chans=3, dec_chans=[4, 4, 8, 8, 16],
        dec_patch_size_dict={"sax": [2, 2, 1], "lax_4c": [2, 2]},
        dec_scale_factor_dict={"sax": [2, 2, 1], "lax_4c": [2, 2]},
    ).eval()
    with torch.no_grad():
        out = model(_images(2, 1))
    assert {v: tuple(y.shape) for v, y in out.items()} == {v: (2, 3, *s) for v, s in VIEWS.items()}
    with pytest.raises(ValueError, match="pad"):
        model({"lax_4c": torch.rand(1, 1, 16, 16)})


def test_convvit_reductions_are_means_of_heads() -> None:
    model = ConvViT(**_view_kwargs(), **SMALL, n_frames=2, out_chans=5).eval()
    images = _images(2, 2)
    with torch.no_grad():
        feats = model.feature_forward(images)
        out = {r: model(images, reduce=r) for r in ("all", "patch", "cls")}
    shapes = {k: tuple(v.shape) for k, v in feats.items()}
    assert shapes == {"cls": (2, 1, 16), "sax": (2, 32, 16), "lax_4c": (2, 16, 16)}
    heads = [model.pred_head_dict[v](feats[v].mean(1)) for v in VIEWS]
    cls = model.pred_head_dict["cls"](feats["cls"][:, 0])
    torch.testing.assert_close(out["patch"], sum(heads) / 2)
    torch.testing.assert_close(out["cls"], cls)
    torch.testing.assert_close(out["all"], (sum(heads) + cls) / 3)
    with pytest.raises(ValueError):
        model(images, reduce="mean")


def test_cinema_masked_forward_shapes_and_mask_ratio() -> None:
    torch.manual_seed(0)
    model = CineMA(**_view_kwargs(), **SMALL, dec_embed_dim=8, dec_depth=1, dec_n_heads=2).eval()
    with torch.no_grad():
        loss, preds, masks, metrics = model(_images(2, 1), enc_mask_ratio=0.75)
    assert {v: tuple(m.shape) for v, m in masks.items()} == {"sax": (2, 32), "lax_4c": (2, 16)}
    assert masks["sax"].sum(1).tolist() == [24, 24] and masks["lax_4c"].sum(1).tolist() == [12, 12]
    assert {v: tuple(p.shape) for v, p in preds.items()} == {"sax": (2, 24, 256), "lax_4c": (2, 12, 256)}
    assert loss.ndim == 0 and torch.isfinite(loss) and metrics["loss"] is loss
    with torch.no_grad():
        feats = model.feature_forward({"lax_4c": torch.rand(1, 1, 64, 64)})
    assert tuple(feats["lax_4c"].shape) == (1, 16, 16)


def test_cinema_rejects_unequal_mask_counts_in_a_batch() -> None:
    model = CineMA(**_view_kwargs(), **SMALL, dec_embed_dim=8, dec_depth=1, dec_n_heads=2).eval()
    masks = {v: random_patch_mask(2, n, 0.75) for v, n in (("sax", 32), ("lax_4c", 16))}
    masks["lax_4c"][0, masks["lax_4c"][0].nonzero()[0]] = False
    with torch.no_grad(), pytest.raises(ValueError, match="same number"):
        model(_images(2, 1), mask_dict=masks)


def test_rotary_is_refused_clearly() -> None:
    with pytest.raises(NotImplementedError, match="rotary"):
        ConvViT(**_view_kwargs(), **SMALL, n_frames=1, out_chans=2, rotary=True)
