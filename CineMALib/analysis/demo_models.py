"""Architectures and folder layout of the small demonstration models (``Resources/demo``), and how to save them.

Why in the package: the shipped demo weights are these architectures, the training script
(``scripts/train_demo_models.py``) writes these folders and the tests build tiny random ones the same way
(``Testing/core/tiny_weights.py``); all must match what the pipeline reads: the hub layout ``finetuned/<task>/<folder>/{config.yaml, <folder>_<seed>
.safetensors}`` with official-style configs (the same model classes and model grids as the released checkpoints,
only narrower and shallower; ``enc_embed_dim``/``enc_depth``/``enc_n_heads`` override the ViT size table).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from safetensors.torch import save_file
from torch import nn

from CineMALib.checkpoints import folder_files, instantiate, model_spec_from_config
from CineMALib.preprocess import LAX_SHAPE, SAX_SHAPE

#: Class names of the demo CVD classifier, in logit order (phantom pathologies normal / dcm / hcm).
DEMO_CLASSES: tuple[str, ...] = ("NOR", "DCM", "HCM")
PHANTOM_PATHOLOGY_CLASS: dict[str, str] = {"normal": "NOR", "dcm": "DCM", "hcm": "HCM"}

#: checkpoint name -> (task kind, view)
DEMO_CHECKPOINTS: dict[str, tuple[str, str]] = {
    "segmentation/phantom_sax": ("segmentation", "sax"),
    "segmentation/phantom_lax_4c": ("segmentation", "lax_4c"),
    "landmark_heatmap/lax_2c": ("landmark_heatmap", "lax_2c"),
    "landmark_heatmap/lax_4c": ("landmark_heatmap", "lax_4c"),
    "classification_cvd/phantom_sax": ("classification", "sax"),
    "regression_ef/phantom_sax": ("regression", "sax"),
}

# Widths: "demo" is what ships; "tiny" is for fast tests of the plumbing (same grids, ~10x fewer FLOPs).
_WIDTHS: dict[str, dict[str, Any]] = {
    "demo": {"enc_conv_chans": [16, 32], "enc_embed_dim": 64, "enc_depth": 2, "enc_n_heads": 4,
             "dec_chans": [8, 16, 32, 48, 64]},
    "tiny": {"enc_conv_chans": [4, 8], "enc_embed_dim": 16, "enc_depth": 1, "enc_n_heads": 2,
             "dec_chans": [4, 4, 8, 8, 16]},
}


def _data_section(view: str, n_frames: int) -> dict[str, Any]:
    if view == "sax":
        return {"sax": {"spacing": [1.0, 1.0, 10.0], "patch_size": list(SAX_SHAPE), "in_chans": 1}}
    return {"lax": {"spacing": [1.0, 1.0], "patch_size": list(LAX_SHAPE), "in_chans": 1}}


def demo_config(name: str, width: str = "demo", ef_mean_std: tuple[float, float] = (55.0, 12.0)) -> dict[str, Any]:
    """The config.yaml content (a plain dict) of demo checkpoint ``name``."""
    kind, view = DEMO_CHECKPOINTS[name]
    w = copy.deepcopy(_WIDTHS[width])
    common = {"enc_patch_size": [4, 4, 1], "enc_scale_factor": [2, 2, 1], "enc_conv_n_blocks": 1,
              "enc_conv_chans": w["enc_conv_chans"], "enc_embed_dim": w["enc_embed_dim"],
              "enc_depth": w["enc_depth"], "enc_n_heads": w["enc_n_heads"], "drop_path": 0.0}
    if kind in ("segmentation", "landmark_heatmap"):
        model = {"views": view, "out_chans": 4 if kind == "segmentation" else 3,
                 "convunetr": {**common, "dec_chans": w["dec_chans"], "dec_patch_size": [2, 2, 1],
                               "dec_scale_factor": [2, 2, 1], "dropout": 0.0}}
        return {"grad_ckpt": False, "model": model, "data": _data_section(view, 1)}
    model = {"views": view, "n_frames": 2, "convvit": common}
    data = _data_section(view, 2)
    if kind == "classification":
        data.update({"class_column": "pathology", "pathology": list(DEMO_CLASSES)})
    else:
        data.update({"regression_column": "ef", "ef": {"mean": float(ef_mean_std[0]), "std": float(ef_mean_std[1])}})
    return {"grad_ckpt": False, "model": model, "data": data}


def model_class_of(name: str) -> str:
    """ConvUNetR for dense heads, ConvViT for scores."""
    return "ConvUNetR" if DEMO_CHECKPOINTS[name][0] in ("segmentation", "landmark_heatmap") else "ConvViT"


def build_demo_model(name: str, config: dict[str, Any]) -> nn.Module:
    """A randomly initialised model exactly as the loader will build it from ``config``."""
    return instantiate(model_spec_from_config(model_class_of(name), config, f"demo config of {name}"))


def checkpoint_paths(weights_dir: str | Path, name: str, seed: int) -> tuple[Path, Path]:
    """(config.yaml, weights) paths of ``name`` in a hub-layout folder (where the loader looks for them)."""
    return folder_files(weights_dir, name, seed)


def save_checkpoint(model: nn.Module, config: dict[str, Any], weights_dir: str | Path, name: str,
                    seed: int = 0, metadata: dict[str, str] | None = None, half: bool = False) -> Path:
    """Write ``config.yaml`` and ``<folder>_<seed>.safetensors`` in the hub layout.

    Tensors are float32 like the released files, or float16 with ``half`` (the shipped demo weights, to keep the
    package small; ``load_state_dict`` casts them back to the model's float32).
    """
    import torch

    config_path, weights_path = checkpoint_paths(weights_dir, name, seed)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    dtype = torch.float16 if half else torch.float32
    state = {k: v.detach().to(dtype).contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(weights_path), metadata=metadata or {})
    return weights_path

