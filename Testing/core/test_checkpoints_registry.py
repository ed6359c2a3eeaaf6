"""The checkpoint registry: complete, valid, consistent with the official manifests, and strict about errors."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import torch
from conftest import shared_path

from CineMALib import labels, results
from CineMALib.checkpoints import (
    CheckpointRegistryError,
    build_model,
    get_checkpoint,
    list_checkpoints,
    load_registry,
)
from CineMALib.checkpoints.registry import parse_registry
from CineMALib.errors import CineMAWeightsError
from CineMALib.resources import resource_path

#: The released families as the issue lists them (22 names; the issue text says "23").
RELEASED = (
    ["pretrained"]
    + [f"segmentation/{d}" for d in ("acdc_sax", "mnms_sax", "mnms2_sax", "mnms2_lax_4c")]
    + [f"classification_cvd/{d}" for d in ("acdc_sax", "mnms_sax", "mnms2_sax", "mnms2_lax_4c")]
    + ["classification_sex/mnms_sax"]
    + [f"classification_vendor/{d}" for d in ("mnms2_sax", "mnms2_lax_4c")]
    + [f"regression_ef/{d}" for d in ("acdc_sax", "mnms_sax", "mnms2_sax", "mnms2_lax_4c")]
    + ["regression_bmi/acdc_sax", "regression_age/mnms_sax"]
    + [f"landmark_{k}/{v}" for k in ("heatmap", "coordinate") for v in ("lax_2c", "lax_4c")]
)
NAMES = [e.name for e in list_checkpoints()]


def _manifest(kind: str, mtype: str) -> dict:
    return json.loads(shared_path("fixtures", "cinema-state-dicts", f"{mtype}.{kind}.json").read_text())


def _head_rows(mtype: str) -> int:
    state = _manifest("state_dict", mtype)
    return next(v["shape"][0] for k, v in state.items() if k.startswith("pred_head_dict.") and k.endswith(".weight"))


def test_registry_lists_exactly_the_released_checkpoints() -> None:
    assert sorted(NAMES) == sorted(RELEASED)
    assert len(NAMES) == 22


@pytest.mark.parametrize("name", NAMES)
def test_entry_follows_the_hub_naming_convention(name: str) -> None:
    entry = get_checkpoint(name)
    assert entry.hub_repo == "mathpluscode/CineMA"
    if name == "pretrained":
        assert entry.seeds == (0,)
        assert entry.files(0) == ["pretrained/config.yaml", "pretrained/cinema.safetensors"]
        return
    task, sub = name.split("/")
    assert entry.seeds == (0, 1, 2)
    assert entry.config_path == f"finetuned/{task}/{sub}/config.yaml"
    for seed in entry.seeds:
        assert entry.weights_path(seed) == f"finetuned/{task}/{sub}/{sub}_{seed}.safetensors"
    view = sub if task.startswith("landmark") else sub.split("_", 1)[1]
    assert entry.views == (view,)


@pytest.mark.parametrize("name", NAMES)
def test_entry_matches_the_official_forward_manifest(name: str) -> None:
    entry = get_checkpoint(name)
    forward = _manifest("forward", entry.manifest_type)
    assert forward["class"] == entry.model_class
    assert set(entry.weights.values()) <= set(forward["hf_files"])
    used, config = forward["config_used"], entry.default_config["model"]
    section = {"ConvViT": "convvit", "ConvUNetR": "convunetr"}.get(entry.model_class)
    if section:
        assert config[section] == used[section]
    else:
        assert config == {k: used[k] for k in config}
    assert config["views"] == used["views"]
    for key, data in entry.default_config["data"].items():
        if key in ("sax", "lax"):
            assert data == forward["data_config_used"][key]
    if entry.model_class == "ConvViT":
        assert entry.n_frames == used["n_frames"]
        assert entry.frame_order == (("ED", "ES") if used["n_frames"] == 2 else None)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_say_what_the_numbers_mean(name: str) -> None:
    entry = get_checkpoint(name)
    out = entry.outputs
    if entry.kind == "segmentation":
        assert entry.label_map == {labels.BACKGROUND: "background", labels.RV: "RV", labels.MYO: "MYO", labels.LV: "LV"}
        assert _head_rows(entry.manifest_type) == len(entry.label_map)
    elif entry.kind == "classification":
        assert _head_rows(entry.manifest_type) == len(out["default_classes"])
        assert "config.yaml" in out["classes_source"]  # documented as defaults, config.yaml authoritative
    elif entry.kind == "regression":
        assert _head_rows(entry.manifest_type) == 1
        assert out["target"] == entry.task.split("_", 1)[1]
        assert out["unit"] in {"%", "kg/m^2", "years"}
        assert out["default_std"] > 0 and "repository" in out["mean_std_source"]
    elif entry.kind.startswith("landmark"):
        assert tuple(out["landmarks"]) == results.LANDMARK_NAMES[entry.views[0]]
        per_point = 2 if entry.kind == "landmark_coordinate" else 1
        assert _head_rows(entry.manifest_type) == per_point * len(out["landmarks"])
    else:
        assert entry.kind == "pretrained" and entry.views == ("sax", "lax_2c", "lax_3c", "lax_4c")


@pytest.mark.parametrize("name", NAMES)
def test_build_model_matches_the_full_size_state_dict_manifest(name: str) -> None:
    entry = get_checkpoint(name)
    expected = {k: v["shape"] for k, v in _manifest("state_dict", entry.manifest_type).items()}
    with torch.device("meta"):
        model = build_model(name)
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert list(got) == list(expected)
    assert got == expected
    assert not model.training


@pytest.mark.parametrize("name", NAMES)
def test_build_model_heads_and_inputs_follow_the_registry(name: str) -> None:
    """Without the shared manifests: output rows and input channels agree with what the entry promises."""
    entry = get_checkpoint(name)
    with torch.device("meta"):
        state = build_model(name).state_dict()
    for view in entry.views:
        assert state[f"enc_down_dict.{view}.conv_blocks.0.patch_embed.conv.weight"].shape[1] == entry.n_frames
    if entry.kind == "pretrained":
        return
    rows = {
        "segmentation": len(entry.label_map or {}),
        "classification": len(entry.outputs.get("default_classes", ())),
        "regression": 1,
        "landmark_heatmap": len(entry.outputs.get("landmarks", ())),
        "landmark_coordinate": 2 * len(entry.outputs.get("landmarks", ())),
    }[entry.kind]
    assert state[f"pred_head_dict.{entry.views[0]}.weight"].shape[0] == rows


def test_regression_defaults_are_the_repository_values() -> None:
    folders = ("acdc_sax", "mnms_sax", "mnms2_sax", "mnms2_lax_4c")
    ef = {d: get_checkpoint(f"regression_ef/{d}").outputs for d in folders}
    assert ef["mnms2_sax"]["default_mean"] == ef["mnms2_lax_4c"]["default_mean"]
    assert len({o["default_mean"] for o in ef.values()}) == 3  # one value per data set
    for name in ("regression_sax", "regression_ef_mnms2_lax_4c"):
        forward = _manifest("forward", name)["class_or_regression"]
        entry = get_checkpoint("regression_ef/acdc_sax" if name == "regression_sax" else "regression_ef/mnms2_lax_4c")
        assert entry.outputs["default_mean"] == forward["regression_mean_std"]["mean"]


def test_unknown_name_and_seed_give_suggestions() -> None:
    with pytest.raises(CineMAWeightsError, match="Did you mean segmentation/acdc_sax"):
        get_checkpoint("segmentation/acdc-sax")
    with pytest.raises(CineMAWeightsError, match=r"released seeds: \[0, 1, 2\]"):
        get_checkpoint("segmentation/acdc_sax").weights_path(7)


@pytest.fixture
def raw() -> dict:
    return json.loads(resource_path("checkpoints.json").read_text())


def _problem(raw: dict) -> str:
    with pytest.raises(CheckpointRegistryError) as info:
        parse_registry(raw, "test.json")
    return str(info.value)


def test_packaged_registry_parses(raw: dict) -> None:
    assert list(parse_registry(copy.deepcopy(raw), "x")) == NAMES


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e.pop("config"), "missing field 'config'"),
        (lambda e: e.update(n_frame=1), "unknown field 'n_frame'"),
        (lambda e: e["weights"].update({"0": "finetuned/segmentation/acdc_sax/acdc_sax_0.pt"}), "never pickles"),
        (lambda e: e["weights"].update({"1": "finetuned/segmentation/acdc_sax/acdc_sax_9.safetensors"}), "naming"),
        (lambda e: e.update({"class": "ConvViT"}), "needs class 'ConvUNetR'"),
        (lambda e: e.update(views=["sax", "lax_5c"]), "views must be"),
        (lambda e: e["outputs"].pop("labels"), "fields \\['labels'\\]"),
        (lambda e: e["default_config"]["model"]["convunetr"].pop("dec_chans"), "model.convunetr.dec_chans' is missing"),
        (lambda e: e.update(n_frames=2), "differ from the entry"),
        (lambda e: e.update(hub_repo="CineMA"), "owner/name"),
    ],
)
def test_invalid_entries_are_reported_by_name(raw: dict, edit, message: str) -> None:
    edit(raw["checkpoints"]["segmentation/acdc_sax"])
    text = _problem(raw)
    assert "segmentation/acdc_sax" in text
    assert re.search(message, text), text


def test_classification_defaults_must_agree_with_default_config(raw: dict) -> None:
    raw["checkpoints"]["classification_cvd/acdc_sax"]["outputs"]["default_classes"].reverse()
    assert "class names differ" in _problem(raw)


def test_document_level_errors(raw: dict, tmp_path: Path) -> None:
    assert "schema_version" in _problem({**raw, "schema_version": 2})
    assert "non-empty" in _problem({**raw, "checkpoints": {}})
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "checkpoints": {')
    with pytest.raises(CheckpointRegistryError, match="not valid JSON"):
        load_registry(broken)
    dupes = tmp_path / "dupes.json"
    text = resource_path("checkpoints.json").read_text()
    entry = json.dumps(raw["checkpoints"]["pretrained"])
    dupes.write_text(text.replace('"checkpoints": {', f'"checkpoints": {{"pretrained": {entry},', 1))
    with pytest.raises(CheckpointRegistryError, match="duplicate keys.*pretrained"):
        load_registry(dupes)
    with pytest.raises(CheckpointRegistryError, match="not readable"):
        load_registry(tmp_path / "absent.json")
