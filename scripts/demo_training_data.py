"""Training samples for the demo models, cut from phantom studies with the pipeline's own preprocessing.

Why the real code path: the demo models must see exactly what ``analyse_study`` feeds them, so every input is made by
``CineMALib.preprocess`` (model grid around an LV centre, per-frame or joint min-max scaling) and every target is the
phantom's truth mapped onto the same grid (labels nearest-neighbour, landmarks through the grid's affine). Window
centres are jittered around the true LV centre so the models tolerate an imperfect automatic centre.

Samples are cached per phantom seed (``<cache>/v<N>/<seed>.npz``) so a rerun skips the phantom generation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from CineMALib.analysis.demo_models import DEMO_CLASSES, PHANTOM_PATHOLOGY_CLASS
from CineMALib.phantom import PATHOLOGIES, generate_phantom
from CineMALib.preprocess import frame_batch, lax_model_grid, sax_model_grid, stacked_input
from CineMALib.results import LANDMARK_NAMES
from CineMALib.study import voxel_to_world

CACHE_VERSION = 3
JITTER_MM = 12.0  # standard deviation of the window-centre jitter (world mm, each axis)
N_SAX_FRAMES = 6  # ED, ES and random frames per study, each with its own jittered window
N_SAX_REFINE_FRAMES = 8  # a second set (own random stream, so the first set is unchanged): ED, ES and 6 others
N_LAX_FRAMES = 8
N_PAIR_WINDOWS = 3  # [ED, ES] pairs per study for the classifier / regressor


def pathology_of(seed: int) -> str:
    """Training studies cycle through the phantom pathologies so each class is equally frequent."""
    return PATHOLOGIES[seed % len(PATHOLOGIES)]


def _lv_centre(labels3d: np.ndarray, affine: np.ndarray) -> np.ndarray:
    return voxel_to_world(affine, np.argwhere(labels3d == 3).mean(axis=0))


def _frames(rng: np.random.Generator, n_frames: int, ed: int, es: int, count: int) -> list[int]:
    others = [t for t in range(n_frames) if t not in (ed, es)]
    return [ed, es, *rng.choice(others, size=count - 2, replace=False).tolist()]


def _sax_samples(ph, rng: np.random.Generator, centre: np.ndarray, ed: int, es: int, count: int = N_SAX_FRAMES,
                 key: str = "sax") -> dict[str, np.ndarray]:
    sax, lab = ph.study["sax"], ph.labels["sax"]
    xs, ys = [], []
    for t in _frames(rng, sax.n_frames, ed, es, count):
        grid = sax_model_grid(sax, centre + rng.normal(0.0, JITTER_MM, 3))
        xs.append(frame_batch(sax, grid, [t])[0, 0].astype(np.float16))
        ys.append(grid.to_model(lab[..., t].astype(np.float32), order=0).astype(np.uint8))
    return {f"{key}_x": np.stack(xs), f"{key}_y": np.stack(ys)}


def _lax_samples(ph, rng: np.random.Generator, centre: np.ndarray, view: str, ed: int,
                 es: int) -> dict[str, np.ndarray]:
    cine, lab = ph.study[view], ph.labels[view]
    xs, ys, pts = [], [], []
    for t in _frames(rng, cine.n_frames, ed, es, N_LAX_FRAMES):
        grid = lax_model_grid(cine, centre + rng.normal(0.0, JITTER_MM, 3))
        xs.append(frame_batch(cine, grid, [t])[0, 0].astype(np.float16))
        ys.append(grid.to_model(lab[..., t].astype(np.float32), order=0)[..., 0].astype(np.uint8))
        world = np.stack([ph.landmarks_world[view][name][t] for name in LANDMARK_NAMES[view]])
        pts.append(grid.world_to_points(world)[:, :2].astype(np.float32))
    return {f"{view}_x": np.stack(xs), f"{view}_y": np.stack(ys), f"{view}_pts": np.stack(pts)}


def _pair_samples(ph, rng: np.random.Generator, centre: np.ndarray, ed: int, es: int) -> dict[str, np.ndarray]:
    sax = ph.study["sax"]
    xs = [stacked_input(sax, sax_model_grid(sax, centre + rng.normal(0.0, JITTER_MM, 3)), [ed, es])[0]
          for _ in range(N_PAIR_WINDOWS)]
    label = DEMO_CLASSES.index(PHANTOM_PATHOLOGY_CLASS[ph.pathology])
    ef = float(ph.truth["continuous"]["LVEF (%)"])
    return {"pair_x": np.stack(xs).astype(np.float16), "pair_class": np.full(N_PAIR_WINDOWS, label),
            "pair_ef": np.full(N_PAIR_WINDOWS, ef, dtype=np.float32)}


def study_samples(seed: int) -> dict[str, np.ndarray]:
    """All training samples of one phantom study (deterministic in ``seed``)."""
    ph = generate_phantom(seed, pathology_of(seed))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 4242]))
    ed, es = int(ph.truth["discretised"]["ED frame"]), int(ph.truth["discretised"]["ES frame"])
    centre = _lv_centre(ph.labels["sax"][..., ed], ph.study["sax"].affine)
    out = _sax_samples(ph, rng, centre, ed, es)
    for view in ("lax_2c", "lax_4c"):
        out.update(_lax_samples(ph, rng, centre, view, ed, es))
    out.update(_pair_samples(ph, rng, centre, ed, es))
    refine_rng = np.random.default_rng(np.random.SeedSequence([seed, 4243]))
    out.update(_sax_samples(ph, refine_rng, centre, ed, es, N_SAX_REFINE_FRAMES, key="sax_refine"))
    return out


def _cached_samples(seed: int, folder: Path) -> dict[str, np.ndarray]:
    """One study's samples, from the cache or generated and cached (atomically, so workers never see half a file)."""
    path = folder / f"{seed}.npz"
    if path.is_file():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    sample = study_samples(seed)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **sample)
    tmp.replace(path)
    return sample


def load_samples(seeds: list[int], cache_dir: Path, log=print, workers: int = 1) -> dict[str, np.ndarray]:
    """Samples of all ``seeds`` concatenated per key, generating and caching the missing ones.

    Phantom generation is single-threaded numpy, so ``workers`` processes (one per core) divide its wall time;
    the result does not depend on ``workers`` (each study has its own seeded streams, order is kept)."""
    folder = Path(cache_dir) / f"v{CACHE_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    parts: dict[str, list[np.ndarray]] = {}
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
        samples = pool.map(_cached_samples, seeds, [folder] * len(seeds))
    else:
        pool, samples = None, (_cached_samples(seed, folder) for seed in seeds)
    try:
        for i, (seed, sample) in enumerate(zip(seeds, samples)):
            for key, value in sample.items():
                parts.setdefault(key, []).append(value)
            log(f"data: study {i + 1}/{len(seeds)} (seed {seed}) ready")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return {key: np.concatenate(values) for key, values in parts.items()}
