"""Which checkpoint runs each head, and getting it (one seed or the 0-2 ensemble) from the chosen weights.

Why here and not in ``checkpoints``: the mapping from a pipeline head + data set + view to a checkpoint name, and
the rule "optional heads are skipped when their weights are absent", are analysis decisions. Loading itself is
:mod:`CineMALib.checkpoints.load`'s: :func:`~CineMALib.checkpoints.load_model` for registered checkpoints,
:func:`~CineMALib.checkpoints.load_folder_model` for names the registry does not list (the demo weights'
``phantom`` folders) and for every bundled demo checkpoint (checked against the folder's ``SHA256SUMS``; no
integrity records, so an upgraded package with new demo weights does not trip over records of the old ones).

:class:`HeadCache` keeps loaded heads resident so that a cohort reads and hashes each checkpoint once per process,
not once per study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import torch
from torch import nn

from CineMALib.analysis.options import AnalysisOptions
from CineMALib.checkpoints import CheckpointEntry, ModelSpec, folder_files, get_checkpoint, load_folder_model, load_model
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
    resident: bool = False  # kept by a HeadCache for later studies: release() then keeps the weights

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
        """Drop the weights (full-size models are ~0.5 GB each) once the head has run, unless a cache keeps them."""
        if not self.resident:
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


def available(head: str, options: AnalysisOptions, view: str) -> str | None:
    """Why ``head`` cannot run on ``view`` with these weights (None when it can, as far as files show).

    Local folders are checked file by file so a missing optional head never triggers a hub download attempt.
    """
    name = checkpoint_name(head, options, view)
    if options.weights_dir is None:
        return None if _registered(name) is not None else f"no released checkpoint {name!r}"
    missing = [p for s in options.seeds for p in folder_files(options.weights_dir, name, s) if not p.is_file()]
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
            model, spec, _ = load_folder_model(name, seed, options.weights_dir,  # type: ignore[arg-type]
                                               _TASK_CLASS[name.partition("/")[0]], device)
        models.append(model)
    assert spec is not None
    if spec.regression_column is not None and not unit:
        unit = _UNITS.get(spec.regression_column, "")
    return HeadModels(name=name, seeds=options.seeds, models=models, spec=spec, source=source, unit=unit)


_Entry = Union[HeadModels, CineMAWeightsError]  # typing.Union: a runtime alias must run on Python 3.9


class HeadCache:
    """Heads loaded once and kept resident, for analysing many studies in one process (``iter_cohort``).

    Why: loading a head reads, hashes (SHA-256) and builds every seed's checkpoint, about 2.45 GB per study with the
    official set; in a cohort the marginal study should cost only its forwards. A head that failed to load fails
    again at once for later studies (same message) instead of hashing the same files again. Memory: every head the
    analysis uses stays loaded (one head at a time without a cache).
    """

    def __init__(self) -> None:
        self._heads: dict[tuple[str, tuple[int, ...], str, str], _Entry] = {}

    def __len__(self) -> int:
        return sum(isinstance(v, HeadModels) for v in self._heads.values())

    def load(self, head: str, options: AnalysisOptions, view: str, device: torch.device) -> HeadModels:
        """The loaded head (loading it on first use); raises the load's :class:`CineMAWeightsError` every time."""
        key = (checkpoint_name(head, options, view), options.seeds, str(options.weights), str(device))
        if key not in self._heads:
            try:
                loaded = load_head(head, options, view, device)
                loaded.resident = True
                self._heads[key] = loaded
            except CineMAWeightsError as err:
                self._heads[key] = err
        entry = self._heads[key]
        if isinstance(entry, CineMAWeightsError):
            raise CineMAWeightsError(str(entry))
        return entry

    def clear(self) -> None:
        """Drop every loaded model."""
        for entry in self._heads.values():
            if isinstance(entry, HeadModels):
                entry.models.clear()
        self._heads.clear()
