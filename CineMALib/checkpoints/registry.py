"""The registry of released checkpoints, kept as data in ``Resources/checkpoints.json`` and validated on load.

Why data, not code: the list of hub files, their naming, what their outputs mean and the default architecture
change with releases; a JSON file can be reviewed, diffed and shipped with the Slicer extension unchanged.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from CineMALib.checkpoints.config import MODEL_CLASSES, VIEWS, CheckpointConfigError, model_spec_from_config
from CineMALib.errors import CineMAWeightsError
from CineMALib.resources import resource_path

SCHEMA_VERSION = 1
KIND_CLASS: dict[str, str] = {
    "pretrained": "CineMA",
    "segmentation": "ConvUNetR",
    "landmark_heatmap": "ConvUNetR",
    "classification": "ConvViT",
    "regression": "ConvViT",
    "landmark_coordinate": "ConvViT",
}
KIND_OUTPUT: dict[str, tuple[str, tuple[str, ...]]] = {
    "pretrained": ("features", ()),
    "segmentation": ("label_map", ("labels",)),
    "classification": ("classes", ("class_column", "default_classes")),
    "regression": ("regression", ("target", "unit", "default_mean", "default_std", "mean_std_source")),
    "landmark_heatmap": ("landmark_heatmap", ("landmarks",)),
    "landmark_coordinate": ("landmark_coordinate", ("landmarks", "order")),
}
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "description": str, "task": str, "kind": str, "dataset": (str, type(None)), "class": str, "views": list,
    "n_frames": int, "frame_order": (list, type(None)), "hub_repo": str, "config": str, "weights": dict,
    "manifest_type": str, "outputs": dict, "default_config": dict,
}
_OPTIONAL = {"note": str}


class CheckpointRegistryError(CineMAWeightsError):
    """checkpoints.json is missing or malformed; lists every problem found."""


@dataclass(frozen=True)
class CheckpointEntry:
    """One released checkpoint family (all seeds): where its files are and what its outputs mean."""

    name: str
    description: str
    task: str
    kind: str
    dataset: str | None
    model_class: str
    views: tuple[str, ...]
    n_frames: int
    frame_order: tuple[str, ...] | None
    hub_repo: str
    config_path: str
    weights: dict[int, str] = field(compare=False)
    manifest_type: str = ""
    outputs: dict[str, Any] = field(default_factory=dict, compare=False)
    default_config: dict[str, Any] = field(default_factory=dict, compare=False)
    note: str | None = None

    @property
    def seeds(self) -> tuple[int, ...]:
        """Released training seeds (0, 1, 2; the pretrained model has only 0)."""
        return tuple(sorted(self.weights))

    def weights_path(self, seed: int) -> str:
        """Hub-relative path of one seed's ``.safetensors`` file."""
        if seed not in self.weights:
            raise CineMAWeightsError(
                f"checkpoint {self.name!r} has no seed {seed!r}; released seeds: {list(self.seeds)}"
            )
        return self.weights[seed]

    def files(self, seed: int) -> list[str]:
        """Hub-relative paths needed to load one seed: config first, then weights."""
        return [self.config_path, self.weights_path(seed)]

    def config_copy(self) -> dict[str, Any]:
        """A private deep copy of the default (full-size) config, safe to modify."""
        return copy.deepcopy(self.default_config)

    @property
    def label_map(self) -> dict[int, str] | None:
        """Segmentation label value -> name (0 background, 1 RV, 2 MYO, 3 LV)."""
        labels = self.outputs.get("labels")
        return {int(k): v for k, v in labels.items()} if labels else None


def _expected_paths(name: str, seeds: list[str]) -> tuple[str, dict[str, str]] | None:
    """Hub naming convention (model card): config and per-seed weights paths of a checkpoint name."""
    if name == "pretrained":
        return "pretrained/config.yaml", {"0": "pretrained/cinema.safetensors"}
    task, _, sub = name.partition("/")
    if not task or not sub or "/" in sub:
        return None
    folder = f"finetuned/{task}/{sub}"
    return f"{folder}/config.yaml", {s: f"{folder}/{sub}_{s}.safetensors" for s in seeds}


def _entry_problems(name: str, raw: Any) -> list[str]:
    """Every problem of one raw registry entry (empty when it is valid)."""
    if not isinstance(raw, dict):
        return [f"{name}: entry must be an object"]
    problems = [f"{name}: missing field '{k}'" for k in _FIELDS if k not in raw]
    problems += [f"{name}: unknown field '{k}'" for k in raw if k not in _FIELDS and k not in _OPTIONAL]
    for key, kind in {**_FIELDS, **_OPTIONAL}.items():
        if key in raw and (not isinstance(raw[key], kind) or isinstance(raw[key], bool)):
            problems.append(f"{name}: field '{key}' has the wrong type ({type(raw[key]).__name__})")
    if problems:
        return problems
    kind, cls = raw["kind"], raw["class"]
    if KIND_CLASS.get(kind) != cls:
        problems.append(f"{name}: kind {kind!r} needs class {KIND_CLASS.get(kind)!r}, got {cls!r} ({MODEL_CLASSES})")
    if not raw["views"] or any(v not in VIEWS for v in raw["views"]):
        problems.append(f"{name}: views must be a non-empty subset of {VIEWS}, got {raw['views']}")
    if raw["n_frames"] < 1 or (raw["frame_order"] is not None and len(raw["frame_order"]) != raw["n_frames"]):
        problems.append(f"{name}: n_frames {raw['n_frames']} and frame_order {raw['frame_order']} disagree")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", raw["hub_repo"]):
        problems.append(f"{name}: hub_repo must be 'owner/name', got {raw['hub_repo']!r}")
    weights = raw["weights"]
    bad_files = [p for p in weights.values() if not isinstance(p, str) or not p.endswith(".safetensors")]
    if not weights or any(not k.isdigit() for k in weights) or bad_files:
        problems.append(f"{name}: weights must map seeds ('0', ...) to .safetensors paths (never pickles): {weights}")
    expected = _expected_paths(name, list(weights))
    if expected is None:
        problems.append(f"{name}: name must be 'pretrained' or '<task>/<folder>'")
    elif expected != (raw["config"], weights):
        problems.append(f"{name}: paths break the hub naming convention; expected {expected[0]} and {expected[1]}")
    if expected and name != "pretrained" and raw["task"] != name.split("/")[0]:
        problems.append(f"{name}: task {raw['task']!r} differs from the name's task folder")
    out_type, out_fields = KIND_OUTPUT.get(kind, ("?", ()))
    outputs = raw["outputs"]
    if outputs.get("type") != out_type or any(f not in outputs for f in out_fields):
        problems.append(f"{name}: outputs of a {kind} model need type {out_type!r} and fields {list(out_fields)}")
    return problems or _default_config_problems(name, raw)


def _default_config_problems(name: str, raw: dict[str, Any]) -> list[str]:
    """The default config must build the declared views/frames/outputs (checked without torch)."""
    try:
        spec = model_spec_from_config(raw["class"], raw["default_config"], f"registry default config of {name!r}")
    except CheckpointConfigError as exc:
        return [str(exc)]
    problems = []
    if list(spec.views) != raw["views"] or spec.n_frames != raw["n_frames"]:
        problems.append(f"{name}: default_config views/n_frames {spec.views}/{spec.n_frames} differ from the entry")
    outputs = raw["outputs"]
    if raw["kind"] == "classification" and list(spec.class_names or ()) != outputs["default_classes"]:
        problems.append(f"{name}: default_config class names differ from outputs.default_classes")
    if raw["kind"] == "regression" and (spec.regression_column, spec.regression_mean, spec.regression_std) != (
        outputs["target"], outputs["default_mean"], outputs["default_std"]
    ):
        problems.append(f"{name}: default_config regression column/mean/std differ from outputs")
    return problems


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise CheckpointRegistryError(f"duplicate keys in the checkpoint registry: {dupes}")
    return dict(pairs)


def parse_registry(data: Any, source: str) -> dict[str, CheckpointEntry]:
    """Validate a decoded registry document and build its entries; one error lists all problems."""
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise CheckpointRegistryError(f"{source}: expected an object with schema_version {SCHEMA_VERSION}")
    raw = data.get("checkpoints")
    if not isinstance(raw, dict) or not raw:
        raise CheckpointRegistryError(f"{source}: 'checkpoints' must be a non-empty object of name -> entry")
    problems = [p for name, entry in raw.items() for p in _entry_problems(name, entry)]
    if problems:
        raise CheckpointRegistryError(f"{source}: invalid checkpoint registry:\n  " + "\n  ".join(problems))
    return {
        name: CheckpointEntry(
            name=name, description=e["description"], task=e["task"], kind=e["kind"], dataset=e["dataset"],
            model_class=e["class"], views=tuple(e["views"]), n_frames=e["n_frames"],
            frame_order=tuple(e["frame_order"]) if e["frame_order"] else None, hub_repo=e["hub_repo"],
            config_path=e["config"], weights={int(k): v for k, v in e["weights"].items()},
            manifest_type=e["manifest_type"], outputs=e["outputs"], default_config=e["default_config"],
            note=e.get("note"),
        )
        for name, e in raw.items()
    }


def load_registry(path: str | Path | None = None) -> dict[str, CheckpointEntry]:
    """Read and validate checkpoints.json (the packaged one by default; cached)."""
    return _load(str(path or resource_path("checkpoints.json")))


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, CheckpointEntry]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckpointRegistryError(f"{path}: checkpoint registry not readable ({exc}); reinstall CineMALib") from exc
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise CheckpointRegistryError(f"{path}: checkpoint registry is not valid JSON ({exc})") from exc
    return parse_registry(data, path)


def list_checkpoints(kind: str | None = None, view: str | None = None) -> list[CheckpointEntry]:
    """Registry entries in file order, optionally only one kind (e.g. 'segmentation') or one view."""
    entries = load_registry().values()
    return [e for e in entries if (kind is None or e.kind == kind) and (view is None or view in e.views)]


def get_checkpoint(name: str) -> CheckpointEntry:
    """The entry called ``name`` (e.g. 'segmentation/acdc_sax'); unknown names get suggestions."""
    registry = load_registry()
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(str(name), list(registry), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise CineMAWeightsError(f"unknown checkpoint {name!r}.{hint} Known: {', '.join(registry)}")
