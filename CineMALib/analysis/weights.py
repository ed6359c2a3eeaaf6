"""Which checkpoint runs each head, and loading it (one seed or the 0-2 ensemble) from the chosen weights.

Why here and not in ``checkpoints``: the mapping from a pipeline head + data set + view to a checkpoint name, and
the rule "optional heads are skipped when their weights are absent", are analysis decisions. Loading itself goes
through :func:`CineMALib.checkpoints.load_model`; names the registry does not list (the demo weights' ``phantom``
folders) and every bundled demo checkpoint are loaded from the local folder with the same config reader, the
folder's ``SHA256SUMS`` and the strict state-dict check (no integrity records are written for bundled files, so an
upgraded package with new demo weights does not trip over records of the old ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from CineMALib.analysis.options import AnalysisOptions
from CineMALib.checkpoints import (
    CheckpointEntry,
    ModelSpec,
    get_checkpoint,
    instantiate,
    load_model,
    model_spec_from_config,
    read_config_file,
)
from CineMALib.checkpoints.integrity import check_sums_files, sha256_file
from CineMALib.checkpoints.weights import load_state_strict
from CineMALib.errors import CineMAWeightsError

#: head -> hub task folder
HEAD_TASK: dict[str, str] = {
    "segmentation_sax": "segmentation",
    "segmentation_lax_4c": "segmentation",
    "landmarks": "landmark_heatmap",
    "classification_cvd": "classification_cvd",
    "regression_ef": "regression_ef",
}
_TASK_CLASS = {"segmentation": "ConvUNetR", "landmark_heatmap": "ConvUNetR",
               "classification_cvd": "ConvViT", "regression_ef": "ConvViT"}
_UNITS = {"ef": "%", "bmi": "kg/m2", "age": "years"}


@dataclass
class HeadModels:
    """The model(s) of one head: one per seed (an ensemble when several), with how to read their outputs."""

    name: str
    seeds: tuple[int, ...]
    models: list[nn.Module]
    spec: ModelSpec
    source: str
    unit: str | None = None

    @property
    def class_names(self) -> tuple[str, ...] | None:
        return self.spec.class_names

    @property
    def regression(self) -> tuple[float, float] | None:
        """(mean, std) to de-normalise a regression output, or None."""
        if self.spec.regression_column is None:
            return None
        return float(self.spec.regression_mean), float(self.spec.regression_std)  # type: ignore[arg-type]

    def release(self) -> None:
        """Drop the weights (full-size models are ~0.5 GB each) once the head has run."""
        self.models.clear()


def checkpoint_name(head: str, options: AnalysisOptions, view: str) -> str:
    """Registry-style name: ``<task>/<data>_<view>``, or ``landmark_heatmap/<view>`` for landmarks."""
    task = HEAD_TASK[head]
    if head == "landmarks":
        return f"{task}/{view}"
    return f"{task}/{options.dataset(head)}_{view}"


def _registered(name: str) -> CheckpointEntry | None:
    try:
        return get_checkpoint(name)
    except CineMAWeightsError:
        return None


def _local_files(weights_dir: Path, name: str, seed: int) -> tuple[Path, Path]:
    task, _, sub = name.partition("/")
    folder = weights_dir / "finetuned" / task / sub
    return folder / "config.yaml", folder / f"{sub}_{seed}.safetensors"


def _load_unregistered(name: str, seed: int, weights_dir: Path, device: torch.device) -> tuple[nn.Module, ModelSpec]:
    """A hub-layout checkpoint the registry does not list (e.g. demo weights): verify against SHA256SUMS when the
    folder has one, build from its config, load strictly."""
    config_path, weights_path = _local_files(weights_dir, name, seed)
    for path in (config_path, weights_path):  # a SHA256SUMS file in the folder, if any, must list the right hash
        check_sums_files(weights_dir, path.relative_to(weights_dir).as_posix(), path, sha256_file(path))
    config = read_config_file(config_path)
    spec = model_spec_from_config(_TASK_CLASS[name.partition("/")[0]], config, str(config_path))
    model = instantiate(spec)
    load_state_strict(model, weights_path, config_path)
    return model.to(device).eval(), spec


def available(head: str, options: AnalysisOptions, view: str) -> str | None:
    """Why ``head`` cannot run on ``view`` with these weights (None when it can, as far as files show).

    Local folders are checked file by file so a missing optional head never triggers a hub download attempt.
    """
    name = checkpoint_name(head, options, view)
    if options.weights_dir is None:
        return None if _registered(name) is not None else f"no released checkpoint {name!r}"
    missing = [p for s in options.seeds for p in _local_files(options.weights_dir, name, s) if not p.is_file()]
    if missing:
        return f"{name!r} seed(s) {list(options.seeds)} not in {options.weights_dir} (missing {missing[0].name})"
    return None


#: Hub failures already seen in this process: (checkpoint, seeds) -> message. A cohort analysed offline then fails
#: each later study at once instead of waiting for the hub client's retries again (~30 s per checkpoint).
_HUB_FAILURES: dict[tuple[str, tuple[int, ...]], str] = {}


def load_head(head: str, options: AnalysisOptions, view: str, device: torch.device) -> HeadModels:
    """Load every seed of the head's checkpoint; raises :class:`CineMAWeightsError` saying what is missing."""
    name = checkpoint_name(head, options, view)
    reason = available(head, options, view)
    if reason is not None:
        raise CineMAWeightsError(f"cannot run {head} on {view}: {reason}")
    key = (name, options.seeds)
    if options.weights_dir is None and key in _HUB_FAILURES:
        raise CineMAWeightsError(_HUB_FAILURES[key])
    try:
        return _load_seeds(name, options, device)
    except CineMAWeightsError as err:
        if options.weights_dir is None:
            _HUB_FAILURES[key] = str(err)
        raise


def _load_seeds(name: str, options: AnalysisOptions, device: torch.device) -> HeadModels:
    models: list[nn.Module] = []
    spec: ModelSpec | None = None
    unit: str | None = None
    source = "local" if options.weights_dir is not None else "hub"
    for seed in options.seeds:
        if _registered(name) is not None and options.weights != "demo":
            loaded = load_model(name, seed=seed, weights_dir=options.weights_dir, device=device)
            model, spec, source = loaded.model, loaded.spec, loaded.source
            unit = loaded.regression.unit if loaded.regression is not None else None
        else:
            model, spec = _load_unregistered(name, seed, options.weights_dir, device)  # type: ignore[arg-type]
        models.append(model)
    assert spec is not None
    if spec.regression_column is not None and not unit:
        unit = _UNITS.get(spec.regression_column, "")
    return HeadModels(name=name, seeds=options.seeds, models=models, spec=spec, source=source, unit=unit)
