"""config.yaml -> constructor kwargs, as the official get_model factories read it; clear errors otherwise."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path

from CineMALib.checkpoints import CheckpointConfigError, model_spec_from_config, read_config_file
from CineMALib.checkpoints.config import VIT_SIZES

REDUCED = {"size": "tiny", "enc_embed_dim": 48, "enc_depth": 2, "enc_n_heads": 3}
ENC = {"enc_patch_size": [4, 4, 1], "enc_scale_factor": [2, 2, 1], "enc_conv_chans": [8, 16], "enc_conv_n_blocks": 2}
DATA = {"sax": {"patch_size": [64, 64, 4], "in_chans": 1}, "lax": {"patch_size": [64, 64], "in_chans": 1}}
UNETR = {"dec_chans": [4, 8, 16, 32, 64], "dec_patch_size": [2, 2, 1], "dec_scale_factor": [2, 2, 1], "dropout": 0.1}

#: Reduced configs that the official factories would turn into the golden fixtures' constructor kwargs.
GOLDEN_CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "convunetr_sax_tiny": ("ConvUNetR", {"model": {"views": "sax", "out_chans": 4, "convunetr": {
        **REDUCED, **ENC, **UNETR, "drop_path": 0.1}}, "data": DATA}),
    "convunetr_lax_4c_tiny": ("ConvUNetR", {"model": {"views": ["lax_4c"], "out_chans": 3, "convunetr": {
        **REDUCED, **ENC, **UNETR, "drop_path": 0.1}}, "data": DATA}),
    "convvit_sax_tiny": ("ConvViT", {"model": {"views": "sax", "n_frames": 2, "out_chans": 99, "convvit": {
        **REDUCED, **ENC, "drop_path": 0.1}}, "data": {**DATA, "class_column": "c", "c": list("ABCDE")}}),
    "convvit_lax_4c_tiny": ("ConvViT", {"model": {"views": "lax_4c", "n_frames": 1, "out_chans": 6, "convvit": {
        **REDUCED, **ENC, "drop_path": 0.1}}, "data": DATA}),
    "cinema_mae_tiny": ("CineMA", {"model": {
        **REDUCED, "dec_embed_dim": 32, "dec_depth": 1, "dec_n_heads": 2, "patch_size": [4, 4, 1],
        "scale_factor": [2, 2, 1], "enc_conv_chans": [8, 16], "enc_conv_n_blocks": 2}, "data": DATA}),
}


def _plain(value: Any) -> Any:
    """Tuples -> lists, recursively (the golden JSON stores lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("golden", sorted(GOLDEN_CONFIGS))
def test_reduced_configs_give_the_golden_constructor_kwargs(golden: str) -> None:
    recorded = json.loads(shared_path("fixtures", "cinema-golden", f"{golden}.json").read_text())
    class_name, config = GOLDEN_CONFIGS[golden]
    spec = model_spec_from_config(class_name, config, "test")
    assert recorded["class"].endswith(class_name)
    assert _plain(spec.kwargs) == recorded["constructor_kwargs"]
    assert all(isinstance(v, tuple) for v in spec.kwargs["enc_patch_size_dict"].values())


def test_official_size_table_and_overrides() -> None:
    config = copy.deepcopy(GOLDEN_CONFIGS["convvit_lax_4c_tiny"][1])
    for key in ("enc_embed_dim", "enc_depth", "enc_n_heads"):
        del config["model"]["convvit"][key]
    spec = model_spec_from_config("ConvViT", config, "test")
    assert (spec.kwargs["enc_embed_dim"], spec.kwargs["enc_depth"], spec.kwargs["enc_n_heads"]) == (16, 1, 2)
    config["model"]["convvit"]["size"] = "large"
    assert model_spec_from_config("ConvViT", config, "test").kwargs["enc_depth"] == VIT_SIZES["large"]["enc_depth"]


def test_vit_size_table_equals_the_models_table() -> None:
    from CineMALib.models import VIT_SIZES as MODEL_SIZES

    assert {k: dataclasses.asdict(v) for k, v in MODEL_SIZES.items()} == VIT_SIZES


def test_out_chans_precedence_and_outputs() -> None:
    config = copy.deepcopy(GOLDEN_CONFIGS["convvit_sax_tiny"][1])
    spec = model_spec_from_config("ConvViT", config, "test")
    assert spec.kwargs["out_chans"] == 5 and spec.class_names == tuple("ABCDE") and spec.class_column == "c"
    del config["data"]["class_column"]
    config["data"].update(regression_column="ef", ef={"mean": 40.5, "std": 9.5})
    spec = model_spec_from_config("ConvViT", config, "test")
    assert spec.kwargs["out_chans"] == 1 and (spec.regression_mean, spec.regression_std) == (40.5, 9.5)
    config["data"]["regression_column"] = None  # null counts as absent -> model.out_chans
    spec = model_spec_from_config("ConvViT", config, "test")
    assert spec.kwargs["out_chans"] == 99 and spec.regression_column is None


def test_view_data_fallback_and_defaults() -> None:
    config = copy.deepcopy(GOLDEN_CONFIGS["convunetr_lax_4c_tiny"][1])
    config["data"] = {"lax_4c": {"patch_size": [32, 32], "in_chans": 2}}
    del config["model"]["convunetr"]["dropout"], config["model"]["convunetr"]["drop_path"]
    spec = model_spec_from_config("ConvUNetR", config, "test")
    assert spec.kwargs["image_size_dict"] == {"lax_4c": (32, 32)} and spec.kwargs["in_chans_dict"] == {"lax_4c": 2}
    assert spec.kwargs["dropout"] == 0.0 and spec.kwargs["drop_path"] == 0.0
    assert spec.views == ("lax_4c",) and spec.image_size == {"lax_4c": (32, 32)}


@pytest.mark.parametrize(
    ("golden", "edit", "message"),
    [
        ("convvit_sax_tiny", lambda c: c["model"].pop("n_frames"), "'model.n_frames' is missing"),
        ("convvit_sax_tiny", lambda c: c["model"]["convvit"].update(size="xl"), "size' must be one of"),
        ("convvit_sax_tiny", lambda c: c["model"]["convvit"].update(enc_n_heads=5), "must divide enc_embed_dim 48"),
        ("convvit_sax_tiny", lambda c: c["model"].update(views=["sax", "sax"]), "distinct"),
        ("convvit_sax_tiny", lambda c: c["data"]["sax"].update(patch_size=[64, 64]), "at least 3 positive"),
        ("convvit_sax_tiny", lambda c: c["data"].update(c="ABCDE"), "'data.c' must be the non-empty list"),
        ("convvit_sax_tiny", lambda c: c["model"]["convvit"].update(enc_conv_n_blocks="2"), "integer >= 1"),
        ("convunetr_sax_tiny", lambda c: c["model"].pop("out_chans"), "'model.out_chans' is missing"),
        ("convunetr_sax_tiny", lambda c: c["model"]["convunetr"].update(enc_patch_size=[4, 4]), "enc_patch_size"),
        ("cinema_mae_tiny", lambda c: c.pop("data"), "'data.sax.patch_size' is missing"),
    ],
)
def test_config_errors_name_the_source_and_field(golden: str, edit, message: str) -> None:
    class_name, config = GOLDEN_CONFIGS[golden]
    config = copy.deepcopy(config)
    edit(config)
    with pytest.raises(CheckpointConfigError, match=message) as info:
        model_spec_from_config(class_name, config, "/w/config.yaml")
    assert str(info.value).startswith("/w/config.yaml: ") and class_name in str(info.value)


def test_read_config_file_errors(tmp_path: Path) -> None:
    good = tmp_path / "config.yaml"
    good.write_text("model:\n  views: sax\ndata: {sax: {in_chans: 1}}\n")
    assert read_config_file(good) == {"model": {"views": "sax"}, "data": {"sax": {"in_chans": 1}}}
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(CheckpointConfigError, match="bad.yaml: not a valid YAML"):
        read_config_file(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n")
    with pytest.raises(CheckpointConfigError, match="expected a YAML mapping"):
        read_config_file(scalar)
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("model: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(CheckpointConfigError, match="not a valid YAML"):
        read_config_file(unsafe)
    with pytest.raises(CheckpointConfigError, match="cannot read"):
        read_config_file(tmp_path / "absent.yaml")
    with pytest.raises(CheckpointConfigError, match="unknown model class"):
        model_spec_from_config("UNet", {}, "x")
