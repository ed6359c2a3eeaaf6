"""Building model architectures (no weights) from a :class:`ModelSpec` or from a registry name."""

from __future__ import annotations

import importlib

from torch import nn

from CineMALib.checkpoints.config import ModelSpec, model_spec_from_config
from CineMALib.checkpoints.registry import get_checkpoint
from CineMALib.errors import CineMAWeightsError


def model_class(class_name: str) -> type[nn.Module]:
    """The CineMALib.models class of that name (imported lazily: torch models are heavy)."""
    models = importlib.import_module("CineMALib.models")
    cls = getattr(models, class_name, None)
    if cls is None:
        raise CineMAWeightsError(f"CineMALib.models has no class {class_name!r}; the installation is incomplete")
    return cls


def instantiate(spec: ModelSpec) -> nn.Module:
    """Construct ``spec.class_name(**spec.kwargs)`` in eval mode; constructor failures name the arguments."""
    cls = model_class(spec.class_name)
    try:
        model = cls(**spec.kwargs)
    except (TypeError, ValueError, RuntimeError, AssertionError) as exc:
        raise CineMAWeightsError(
            f"cannot build {spec.class_name} from its config ({type(exc).__name__}: {exc}); arguments: {spec.kwargs}"
        ) from exc
    return model.eval()


def default_spec(name: str) -> ModelSpec:
    """The registry's full-size architecture of a checkpoint, as constructor kwargs."""
    entry = get_checkpoint(name)
    return model_spec_from_config(entry.model_class, entry.config_copy(), f"registry default config of {name!r}")


def build_model(name: str) -> nn.Module:
    """The released full-size architecture of ``name`` without weights (randomly initialised, eval mode).

    Wrap the call in ``with torch.device("meta"):`` to get shapes without allocating ~500 MB.
    """
    return instantiate(default_spec(name))
