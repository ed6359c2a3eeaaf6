"""``load_model``: find a released checkpoint (local folder or hub), verify it, build it from its config, load it.

Where files come from, in order:
1. ``weights_dir`` (argument) or ``$CINEMA_WEIGHTS_DIR``: a folder laid out like the hub repository, e.g.
   ``<folder>/finetuned/segmentation/acdc_sax/{config.yaml, acdc_sax_0.safetensors}``. A folder holding only some
   of a checkpoint's files is an error (it names the missing ones); one holding none falls through to the hub.
2. The Hugging Face hub (``huggingface_hub.hf_hub_download``, its cache and progress bar; ``HF_HUB_OFFLINE=1``
   serves cached files only).
Integrity records (see :mod:`CineMALib.checkpoints.integrity`) are written after the first successful load and
checked on every later one (files a folder's SHA256SUMS lists answer to that list instead).

:func:`load_folder_model` loads a hub-layout checkpoint the registry does not list (the bundled demo weights, a
retrained model) the same way: SHA256SUMS checked, built from its own config.yaml, loaded strictly. Every checkpoint
the package loads goes through this module; callers that analyse many studies keep the result (see
:class:`CineMALib.analysis.weights.HeadCache`) instead of loading and hashing again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from CineMALib.checkpoints import download, integrity
from CineMALib.checkpoints.build import instantiate
from CineMALib.checkpoints.config import ModelSpec, model_spec_from_config, read_config_file
from CineMALib.checkpoints.registry import CheckpointEntry, get_checkpoint
from CineMALib.checkpoints.weights import PICKLE_SUFFIXES, load_state_strict, on_meta, refuse_pickle
from CineMALib.errors import CineMAWeightsError


@dataclass(frozen=True)
class RegressionTarget:
    """How to turn a regression output into a quantity: ``value = output * std + mean`` in ``unit``."""

    column: str
    unit: str
    mean: float
    std: float

    def denormalise(self, output: float) -> float:
        return output * self.std + self.mean


@dataclass
class LoadedModel:
    """A model in eval mode with everything needed to feed it and read its outputs."""

    model: nn.Module
    name: str
    seed: int
    entry: CheckpointEntry
    spec: ModelSpec
    config: dict[str, Any]
    weights_path: Path
    config_path: Path
    sha256: str
    source: str  # "local" or "hub"

    @property
    def views(self) -> tuple[str, ...]:
        return self.spec.views

    @property
    def n_frames(self) -> int:
        return self.spec.n_frames

    @property
    def image_size(self) -> dict[str, tuple[int, ...]]:
        return self.spec.image_size

    @property
    def class_names(self) -> tuple[str, ...] | None:
        """Class order of the logits, from the checkpoint's config.yaml."""
        return self.spec.class_names

    @property
    def regression(self) -> RegressionTarget | None:
        """Mean/std from the checkpoint's config.yaml, unit from the registry."""
        if self.spec.regression_column is None:
            return None
        unit = str(self.entry.outputs.get("unit", ""))
        return RegressionTarget(self.spec.regression_column, unit, self.spec.regression_mean, self.spec.regression_std)

    @property
    def label_map(self) -> dict[int, str] | None:
        return self.entry.label_map

    @property
    def landmarks(self) -> tuple[str, ...] | None:
        names = self.entry.outputs.get("landmarks")
        return tuple(names) if names else None


@dataclass(frozen=True)
class _Files:
    config: Path
    weights: Path
    source: str
    sidecars: tuple[Path, Path]
    folder: Path | None


def _weights_dir(weights_dir: str | os.PathLike[str] | None) -> Path | None:
    value = weights_dir if weights_dir is not None else os.environ.get(download.WEIGHTS_ENV)
    return Path(value).expanduser() if value else None


def _local(entry: CheckpointEntry, seed: int, folder: Path) -> _Files | None:
    """Files from a hub-layout folder; None when it holds none of them."""
    rels = entry.files(seed)
    paths = [folder / rel for rel in rels]
    weights = paths[1]
    if not weights.is_file():
        for suffix in PICKLE_SUFFIXES:
            if weights.with_suffix(suffix).is_file():
                refuse_pickle(weights.with_suffix(suffix))
    present = [p.is_file() for p in paths]
    if not any(present):
        return None
    if not all(present):
        missing = [rel for rel, ok in zip(rels, present) if not ok]
        raise CineMAWeightsError(
            f"weights folder {folder} is incomplete for {entry.name!r} seed {seed}: missing {', '.join(missing)}. "
            + download.layout_text(entry.hub_repo, rels, folder)
        )
    sidecars = tuple(integrity.local_sidecar(folder, rel) for rel in rels)
    return _Files(paths[0], paths[1], "local", sidecars, folder)


def _hub(entry: CheckpointEntry, seed: int, folder: Path | None, revision: str | None) -> _Files:
    rels = entry.files(seed)
    try:
        paths = [download.fetch_from_hub(entry.hub_repo, rel, revision) for rel in rels]
    except download.HubUnavailable as exc:
        looked = f" The weights folder {folder} does not hold them either." if folder else ""
        raise CineMAWeightsError(
            f"cannot get checkpoint {entry.name!r} seed {seed} from the hub ({entry.hub_repo}): {exc}.{looked} "
            + download.layout_text(entry.hub_repo, rels, folder)
        ) from exc
    sidecars = tuple(integrity.hub_sidecar(entry.hub_repo, revision or "main", rel) for rel in rels)
    return _Files(paths[0], paths[1], "hub", sidecars, None)


def _verify(files: _Files, rels: list[str]) -> tuple[list[str], list[bool]]:
    """Hash config and weights and check them; return both hashes and whether each needs no new record.

    A local file listed in a SHA256SUMS of its folder is checked against that list only: the list travels with the
    files, so a folder upgraded as a whole (files and list) loads, where a record pinned at the first load would
    refuse it. Other files are checked against their record (written after the first load) and hub files also
    against the hub's content address."""
    shas, known = [], []
    for path, sidecar, rel in zip((files.config, files.weights), files.sidecars, rels):
        shas.append(integrity.sha256_file(path))
        listed = files.folder is not None and bool(integrity.check_sums_files(files.folder, rel, path, shas[-1]))
        known.append(listed or integrity.check_record(path, sidecar, shas[-1]))
        if files.folder is None:
            integrity.check_hub_blob(path, shas[-1])
    return shas, known


def _check_against_entry(entry: CheckpointEntry, spec: ModelSpec, config_path: Path) -> None:
    """The config must describe the checkpoint the registry promises (views, frames, output meaning)."""
    if spec.views != entry.views or spec.n_frames != entry.n_frames:
        raise CineMAWeightsError(
            f"{config_path}: describes views {list(spec.views)} with {spec.n_frames} frame(s), but {entry.name!r} "
            f"is a {list(entry.views)} model with {entry.n_frames} frame(s); is this the right config.yaml?"
        )
    if entry.kind == "classification" and not spec.class_names:
        raise CineMAWeightsError(f"{config_path}: a classification config needs data.class_column and its class list")
    if entry.kind == "regression" and spec.regression_column is None:
        raise CineMAWeightsError(f"{config_path}: a regression config needs data.regression_column and its mean/std")


def folder_files(folder: str | os.PathLike[str], name: str, seed: int) -> tuple[Path, Path]:
    """(config.yaml, weights) of checkpoint ``name`` (``<task>/<folder>``) and ``seed`` in a hub-layout folder."""
    task, _, sub = name.partition("/")
    base = Path(folder) / "finetuned" / task / sub
    return base / "config.yaml", base / f"{sub}_{seed}.safetensors"


def _build(spec: ModelSpec, weights: Path, config: Path) -> nn.Module:
    """The model of ``spec`` holding the file's tensors (built on the meta device: no random init to overwrite)."""
    with torch.device("meta"):
        model = instantiate(spec)
    model = load_state_strict(model, weights, config)
    if on_meta(model):  # a tensor the state dict does not carry: build normally instead
        model = load_state_strict(instantiate(spec), weights, config)
    return model


def load_folder_model(name: str, seed: int, folder: str | os.PathLike[str], model_class: str,
                      device: str | torch.device | None = None) -> tuple[nn.Module, ModelSpec, str]:
    """(model in eval mode, spec, weights SHA-256) of a hub-layout checkpoint the registry does not list.

    Checked against a ``SHA256SUMS`` of the folder when it has one; no integrity record is written (bundled demo
    files change with the package, and a record of the old ones would refuse an upgrade)."""
    root = Path(folder)
    config_path, weights_path = folder_files(root, name, seed)
    refuse_pickle(weights_path)
    shas = []
    for path in (config_path, weights_path):
        if not path.is_file():
            raise CineMAWeightsError(f"{path}: not found; checkpoint {name!r} seed {seed} needs "
                                     f"{config_path.name} and {weights_path.name} in {path.parent}")
        shas.append(integrity.sha256_file(path))
        integrity.check_sums_files(root, path.relative_to(root).as_posix(), path, shas[-1])
    spec = model_spec_from_config(model_class, read_config_file(config_path), str(config_path))
    model = _build(spec, weights_path, config_path)
    return model.to(torch.device(device) if device is not None else torch.device("cpu")).eval(), spec, shas[1]


def load_model(
    name: str,
    seed: int = 0,
    weights_dir: str | os.PathLike[str] | None = None,
    device: str | torch.device | None = None,
    revision: str | None = None,
) -> LoadedModel:
    """Load released checkpoint ``name`` (see ``list_checkpoints``) for one training seed, verified, in eval mode.

    The architecture, class names and regression mean/std come from the checkpoint's own config.yaml, so reduced or
    retrained models in the same layout load too. Raises :class:`CineMAWeightsError` with what to do on any problem.
    """
    entry = get_checkpoint(name)
    rels = entry.files(seed)
    folder = _weights_dir(weights_dir)
    files = (_local(entry, seed, folder) if folder else None) or _hub(entry, seed, folder, revision)
    refuse_pickle(files.weights)
    shas, known = _verify(files, rels)
    config = read_config_file(files.config)
    spec = model_spec_from_config(entry.model_class, config, str(files.config))
    _check_against_entry(entry, spec, files.config)
    model = _build(spec, files.weights, files.config)
    for path, sidecar, sha, seen in zip((files.config, files.weights), files.sidecars, shas, known):
        if not seen:
            integrity.write_record(path, sidecar, sha)
    model = model.to(torch.device(device) if device is not None else torch.device("cpu")).eval()
    return LoadedModel(model, name, seed, entry, spec, config, files.weights, files.config, shas[1], files.source)
