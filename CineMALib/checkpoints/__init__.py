"""Released CineMA checkpoints: registry (``Resources/checkpoints.json``), architectures, verified loading.

- :func:`list_checkpoints` / :func:`get_checkpoint`: the registry entries (hub paths per seed, views, frames, what
  the outputs mean, default full-size config).
- :func:`build_model`: the full-size architecture of an entry, without weights.
- :func:`load_model`: weights from a local hub-layout folder (``weights_dir`` or ``$CINEMA_WEIGHTS_DIR``) or the
  hub, checked (sha256 records in ``$CINEMA_CACHE_DIR``/``~/.cache/cinema``, optional ``SHA256SUMS``), built from
  the checkpoint's own config.yaml, strictly loaded; returns a :class:`LoadedModel`.
- :func:`load_folder_model` / :func:`folder_files`: the same for a hub-layout checkpoint the registry does not list
  (the bundled demo weights), checked against the folder's ``SHA256SUMS``.

Only ``.safetensors`` are read; pickles are refused. Every failure is a :class:`~CineMALib.errors.CineMAWeightsError`
that says what to do.
"""

from __future__ import annotations

from CineMALib.checkpoints.build import build_model, instantiate
from CineMALib.checkpoints.config import CheckpointConfigError, ModelSpec, model_spec_from_config, read_config_file
from CineMALib.checkpoints.integrity import cinema_cache_dir
from CineMALib.checkpoints.load import LoadedModel, RegressionTarget, folder_files, load_folder_model, load_model
from CineMALib.checkpoints.registry import (
    CheckpointEntry,
    CheckpointRegistryError,
    get_checkpoint,
    list_checkpoints,
    load_registry,
)

__all__ = [
    "CheckpointConfigError",
    "CheckpointEntry",
    "CheckpointRegistryError",
    "LoadedModel",
    "ModelSpec",
    "RegressionTarget",
    "build_model",
    "cinema_cache_dir",
    "folder_files",
    "get_checkpoint",
    "instantiate",
    "list_checkpoints",
    "load_folder_model",
    "load_model",
    "load_registry",
    "model_spec_from_config",
    "read_config_file",
]
