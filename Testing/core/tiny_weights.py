"""Tiny randomly initialised models in the demo weights' hub layout: the plumbing of the pipeline without training.

Why a test helper and not library code: nothing installed needs untrained weights; tests and benchmarks build them
with the demo configs (:mod:`CineMALib.analysis.demo_models`), so they load exactly as the shipped demo weights do.
"""

from __future__ import annotations

from pathlib import Path

import torch

from CineMALib.analysis.demo_models import DEMO_CHECKPOINTS, build_demo_model, demo_config, save_checkpoint


def write_random_weights(weights_dir: str | Path, names: tuple[str, ...] = tuple(DEMO_CHECKPOINTS),
                         seeds: tuple[int, ...] = (0,), width: str = "tiny") -> Path:
    """A hub-layout folder of randomly initialised models (seeded): same configs as the demo, untrained weights."""
    for name in names:
        config = demo_config(name, width)
        for seed in seeds:
            torch.manual_seed(1000 + seed)
            save_checkpoint(build_demo_model(name, config), config, weights_dir, name, seed)
    return Path(weights_dir)
