"""Train the demonstration models (``Resources/demo``) on synthetic phantom studies. Reproducible, CPU only.

    python scripts/train_demo_models.py [--out Resources/demo] [--cache-dir /tmp/cinema-demo-cache] [--scale 1.0]

Training data: phantom seeds ``TRAIN_SEEDS`` (1000-1047; pathology normal/dcm/hcm by seed % 3). Seeds below 1000
are never used here: tests, benchmarks and ``cinema demo`` use them as unseen studies. Step counts are fixed (not
wall-time budgets) and everything is seeded, so a rerun on the same machine and thread count (2) gives the same
weights; other CPUs differ only by floating-point rounding.

Shipped: SAX and LAX-4C segmentation, LAX 2C/4C landmark heatmaps, and a CVD classifier (ConvViT on [ED, ES] with
the SAX segmenter's encoder frozen; see ``demo_score_training``). ``--with-scores`` also trains an EF regressor end
to end; within this budget it does not learn, so it is not shipped and the pipeline reports that head as skipped.

How it stays cheap: dense models are trained mostly on sub-windows of the model grid (SAX 96 x 96 x 16 of 192, LAX
128 x 128 of 256) at offsets that are multiples of the coarsest decoder cell (32 px), with the full model's sin-cos
position table cut to the same sub-window, so every token keeps the position code it has in the full window; a
full-size phase follows (it adds the context a crop lacks). Convolutions run channels-last (several times faster on CPU).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_score_training import train_classifier, train_pair
from demo_training_data import load_samples

from CineMALib.analysis.demo_models import build_demo_model, demo_config, save_checkpoint

REPO = Path(__file__).resolve().parents[1]
TRAIN_SEEDS: list[int] = list(range(1000, 1048))
CELL = 32  # coarsest decoder cell (px): crop offsets are multiples of it
SIGMA_PX = 3.0  # landmark heatmap Gaussian (official: 3 px)
# name -> (crop steps, crop size, crop batch, full steps, full batch, learning rate)
PLAN: dict[str, tuple[int, int, int, int, int, float]] = {
    "segmentation/phantom_sax": (700, 96, 4, 150, 2, 2e-3),
    "segmentation/phantom_lax_4c": (600, 128, 8, 300, 4, 2e-3),
    "landmark_heatmap/lax_2c": (100, 128, 8, 250, 4, 2e-3),
    "landmark_heatmap/lax_4c": (100, 128, 8, 250, 4, 2e-3),
    "classification_cvd/phantom_sax": (0, 0, 0, 2000, 16, 3e-3),
    "regression_ef/phantom_sax": (0, 0, 0, 150, 4, 5e-4),
}
CLASSIFIER_COPIES = 3  # augmented copies of each [ED, ES] pair whose frozen-encoder outputs the classifier trains on
# name -> (steps, batch, learning rate, soft-Dice weight, end-slice weight) of the refine phase (see ``refine``)
REFINE: dict[str, tuple[int, int, float, float, float]] = {
    "segmentation/phantom_sax": (100, 2, 1e-3, 0.5, 4.0),
}
FOREGROUND_CROP = 0.75  # share of crops whose offsets keep the window centre (the jittered LV centre) inside
CLASSIFIER = "classification_cvd/phantom_sax"
DATA_KEY = {"segmentation/phantom_sax": "sax", "segmentation/phantom_lax_4c": "lax_4c",
            "landmark_heatmap/lax_2c": "lax_2c", "landmark_heatmap/lax_4c": "lax_4c"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} cpu {time.process_time():.0f} s] {msg}", flush=True)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Intensity augmentation per sample: gamma, contrast/brightness, noise; re-clipped to [0, 1]."""
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    gamma = torch.exp(torch.empty(shape).uniform_(-0.4, 0.4, generator=gen))
    scale = torch.empty(shape).uniform_(0.85, 1.15, generator=gen)
    noise = torch.randn(x.shape, generator=gen) * torch.empty(shape).uniform_(0.0, 0.04, generator=gen)
    return (x.clamp_min(0).pow(gamma) * scale + noise).clamp(0.0, 1.0)


def dice_loss(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - mean soft Dice over channels, pooled over the batch (``target`` one-hot or heatmap, like ``probs``).

    Pooling over the batch keeps crops without a structure from dominating (per-sample Dice of an absent class
    punishes any probability mass at all)."""
    dims = (0, *range(2, probs.ndim))
    inter = (probs * target).sum(dims)
    denom = probs.sum(dims) + target.sum(dims)
    return 1.0 - ((2 * inter + 1.0) / (denom + 1.0)).mean()


def end_slice_weights(target: torch.Tensor, weight: float) -> torch.Tensor:
    """Voxel weights (B, X, Y, Z): ``weight`` on the two slices at each end of every structure's extent, 1 elsewhere.

    Why: the basal slices (cut obliquely by the valve planes, atrium above) and the apical cap are where volumes go
    wrong, yet they are a small share of the voxels, so an unweighted loss barely sees them."""
    w = torch.ones(target.shape, dtype=torch.float32)
    if target.ndim != 4 or weight == 1.0:
        return w
    for b in range(target.shape[0]):
        for label in target[b].unique().tolist():
            if label == 0:
                continue
            z = torch.nonzero((target[b] == label).any(0).any(0)).flatten()
            ends = {int(z.min()), int(z.min()) + 1, int(z.max()), int(z.max()) - 1}
            w[b, :, :, [k for k in ends if 0 <= k < target.shape[-1]]] = weight
    return w


def seg_loss(logits: torch.Tensor, target: torch.Tensor, dice_weight: float = 1.0,
             end_weight: float = 1.0) -> torch.Tensor:
    """Cross-entropy (end slices weighted, see ``end_slice_weights``) + ``dice_weight`` x soft Dice."""
    probs = torch.softmax(logits, 1)
    onehot = F.one_hot(target.long(), logits.shape[1]).movedim(-1, 1).float()
    ce = F.cross_entropy(logits, target.long(), reduction="none")
    w = end_slice_weights(target, end_weight)
    return (ce * w).sum() / w.sum() + dice_weight * dice_loss(probs[:, 1:], onehot[:, 1:])


def heatmaps(points: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(B, K, 2) pixel coordinates -> (B, K, X, Y) Gaussian blobs (sigma 3 px), as the official targets."""
    xs = torch.arange(size[0], dtype=torch.float32).view(1, 1, -1, 1)
    ys = torch.arange(size[1], dtype=torch.float32).view(1, 1, 1, -1)
    d2 = (xs - points[..., 0, None, None]) ** 2 + (ys - points[..., 1, None, None]) ** 2
    return torch.exp(-d2 / (2 * SIGMA_PX**2))


def heatmap_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Official landmark loss (BCE + sigmoid Dice) plus a spatial cross-entropy per channel.

    The spatial term (softmax over the grid against the normalised Gaussian) makes each channel choose one place,
    so hinge and apex channels do not all fire on every hinge-like spot; it is skipped for channels whose
    landmark lies outside a crop."""
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(5.0))
    flat_t = target.flatten(2)
    mass = flat_t.sum(-1)
    present = mass > 1.0
    spatial = torch.zeros((), dtype=logits.dtype)
    if present.any():
        log_p = torch.log_softmax(logits.flatten(2), dim=-1)
        spatial = -((flat_t / mass.clamp_min(1e-6)[..., None]) * log_p).sum(-1)[present].mean()
    return bce + dice_loss(torch.sigmoid(logits), target) + 0.2 * spatial


def _pos_table(model: nn.Module, view: str) -> torch.Tensor:
    enc = model.enc_down_dict[view]
    return enc.pos_embed.detach().clone().reshape(*enc.grid_size, -1)


def _crop_model(name: str, crop: int) -> tuple[nn.Module, dict]:
    config = demo_config(name)
    key = "sax" if "sax" in config["data"] else "lax"
    config["data"][key]["patch_size"] = [crop, crop] + config["data"][key]["patch_size"][2:]
    return build_demo_model(name, config), config


def _cosine(step: int, total: int, lr: float, warmup: int = 20) -> float:
    if step < warmup:
        return lr * (step + 1) / warmup
    return 0.5 * lr * (1 + np.cos(np.pi * (step - warmup) / max(1, total - warmup)))


def _channels_last(t: torch.Tensor) -> torch.Tensor:
    return t.contiguous(memory_format=torch.channels_last_3d) if t.ndim == 5 else t


class DenseBatches:
    """Random (crop of) samples for a dense head: inputs (B, 1, ...) and the crop offset in cells."""

    def __init__(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, dense_target: bool) -> None:
        self.x, self.y, self.rng, self.dense = x, y, rng, dense_target

    def _offset(self, cells: int, full: int, crop: int) -> int:
        """A crop offset (multiple of CELL); mostly one whose crop contains the window centre."""
        if self.rng.random() < FOREGROUND_CROP:
            ok = [k for k in range(cells + 1) if k * CELL <= full // 2 - CELL // 2 and k * CELL + crop >= full // 2 + CELL // 2]
            if ok:
                return int(self.rng.choice(ok)) * CELL
        return int(self.rng.integers(0, cells + 1)) * CELL

    def draw(self, batch: int, crop: int | None) -> tuple[torch.Tensor, np.ndarray, tuple[int, int]]:
        idx = self.rng.integers(0, len(self.x), size=batch)
        full = self.x.shape[1]
        cells = (full - crop) // CELL if crop else 0
        a, b = (self._offset(cells, full, crop) for _ in range(2)) if crop else (0, 0)
        size = crop or full
        x = torch.from_numpy(self.x[idx, a:a + size, b:b + size].astype(np.float32))[:, None]
        y = self.y[idx, a:a + size, b:b + size] if self.dense else self.y[idx]
        return x, y, (a, b)


def _train_step(model: nn.Module, opt: torch.optim.Optimizer, view: str, x: torch.Tensor, y: np.ndarray,
                offset: tuple[int, int], gen: torch.Generator, landmark: bool, dice_weight: float = 1.0,
                end_weight: float = 1.0) -> float:
    """One augmented optimiser step on a batch; returns the loss."""
    model.train()
    logits = model({view: _channels_last(augment(x, gen))})[view]
    if landmark:
        pts = torch.from_numpy(y.astype(np.float32)) - torch.tensor(offset, dtype=torch.float32)
        loss = heatmap_loss(logits, heatmaps(pts, tuple(x.shape[2:4])))
    else:
        loss = seg_loss(logits, torch.from_numpy(y.astype(np.int64)), dice_weight, end_weight)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return float(loss.item())


def train_dense(name: str, data: dict[str, np.ndarray], seed: int) -> nn.Module:
    """Crop phase then full-size phase (then the refine phase, if planned) for a ConvUNetR head; returns the
    full-size model."""
    crop_steps, crop, crop_batch, full_steps, full_batch, lr = PLAN[name]
    key = DATA_KEY[name]
    view = "sax" if key == "sax" else key
    landmark = name.startswith("landmark")
    target = data[f"{key}_pts"] if landmark else data[f"{key}_y"]
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    full_model = build_demo_model(name, demo_config(name))
    table = _pos_table(full_model, view)
    batches = DenseBatches(data[f"{key}_x"], target, rng, dense_target=not landmark)
    model = full_model
    total = crop_steps + full_steps
    opt: torch.optim.Optimizer | None = None
    start = time.perf_counter()
    for step in range(total):
        in_crop = step < crop_steps
        if step == 0 and in_crop:
            model, _ = _crop_model(name, crop)
            model.load_state_dict({k: v for k, v in full_model.state_dict().items() if "pos_embed" not in k},
                                  strict=False)
        if step == crop_steps and crop_steps:  # switch to the full-size model, keep the optimiser state
            state = {k: v for k, v in model.state_dict().items() if "pos_embed" not in k}
            full_model.load_state_dict(state, strict=False)
            old = dict(model.named_parameters())
            new = dict(full_model.named_parameters())
            opt_state = opt.state_dict() if opt is not None else None
            model = full_model.to(memory_format=torch.channels_last_3d) if view == "sax" else full_model
            opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-4)
            if opt_state is not None and [k for k, p in old.items() if p.requires_grad] == \
                    [k for k, p in new.items() if p.requires_grad]:
                opt.load_state_dict(opt_state)
        if opt is None:
            model = model.to(memory_format=torch.channels_last_3d) if view == "sax" else model
            opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-4)
        for group in opt.param_groups:
            group["lr"] = _cosine(step, total, lr)
        x, y, (a, b) = batches.draw(crop_batch if in_crop else full_batch, crop if in_crop else None)
        if in_crop:
            g = crop // 16
            sub = table[a // 16:a // 16 + g, b // 16:b // 16 + g].reshape(1, -1, table.shape[-1])
            model.enc_down_dict[view].pos_embed.data.copy_(sub)
        loss = _train_step(model, opt, view, x, y, (a, b), gen, landmark)
        if step % 20 == 0 or step == total - 1:
            log(f"{name}: step {step + 1}/{total} ({'crop' if in_crop else 'full'}) loss {loss:.4f} "
                f"({time.perf_counter() - start:.0f} s)")
    if name in REFINE:
        refine(name, full_model, data, seed)
    return full_model.to(memory_format=torch.contiguous_format).eval()


def refine(name: str, model: nn.Module, data: dict[str, np.ndarray], seed: int) -> None:
    """A second, shorter cosine cycle at full size on the planned samples plus the refine set (own random
    streams), with the soft-Dice term down-weighted (Dice pulls the thin myocardium outward on uncertain boundary
    pixels; cross-entropy places boundaries where they belong) and the end slices of each structure up-weighted."""
    steps, batch, lr, dice_weight, end_weight = REFINE[name]
    key = DATA_KEY[name]
    x = np.concatenate([data[f"{key}_x"], data[f"{key}_refine_x"]])
    y = np.concatenate([data[f"{key}_y"], data[f"{key}_refine_y"]])
    batches = DenseBatches(x, y, np.random.default_rng(seed + 100), dense_target=True)
    gen = torch.Generator().manual_seed(seed + 100)
    model = model.to(memory_format=torch.channels_last_3d)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-4)
    start = time.perf_counter()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = _cosine(step, steps, lr, warmup=10)
        xb, yb, offset = batches.draw(batch, None)
        loss = _train_step(model, opt, key, xb, yb, offset, gen, landmark=False, dice_weight=dice_weight,
                           end_weight=end_weight)
        if step % 20 == 0 or step == steps - 1:
            log(f"{name}: refine step {step + 1}/{steps} loss {loss:.4f} ({time.perf_counter() - start:.0f} s)")


def _saved_segmenter(out: Path) -> nn.Module | None:
    """The SAX segmenter of an earlier run (when only the score models are retrained)."""
    from safetensors.torch import load_file

    from CineMALib.analysis.demo_models import checkpoint_paths

    _, path = checkpoint_paths(out, "segmentation/phantom_sax", 0)
    if not path.is_file():
        return None
    model = build_demo_model("segmentation/phantom_sax", demo_config("segmentation/phantom_sax"))
    model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
    return model


def _scaled(scale: float) -> None:
    for name, (cs, c, cb, fs, fb, lr) in PLAN.items():
        PLAN[name] = (max(1, round(cs * scale)) if cs else 0, c, cb, max(1, round(fs * scale)), fb, lr)
    for name, (steps, *rest) in REFINE.items():
        REFINE[name] = (max(1, round(steps * scale)), *rest)


def write_sums(out: Path) -> None:
    """SHA256SUMS at the folder root: the loader verifies every listed file."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(out).as_posix()}"
             for p in sorted(out.rglob("*")) if p.is_file() and p.suffix in (".safetensors", ".yaml")]
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "Resources" / "demo")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/cinema-demo-cache"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every step count (smoke tests)")
    parser.add_argument("--only", nargs="*", default=[*DATA_KEY, CLASSIFIER], choices=list(PLAN),
                        help="models to train (default: the shipped ones; the EF regressor is opt-in)")
    parser.add_argument("--with-scores", action="store_true",
                        help="also train the EF regressor (it does not learn within the 30-minute budget, so it "
                             "is not shipped)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--studies", type=int, default=len(TRAIN_SEEDS), help="use the first N seeds (smoke tests)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    _scaled(args.scale)
    if args.with_scores:
        args.only = list(dict.fromkeys([*args.only, *(n for n in PLAN if n not in DATA_KEY)]))
    wall, cpu = time.perf_counter(), time.process_time()
    data = load_samples(TRAIN_SEEDS[: args.studies], args.cache_dir, log=log, workers=args.threads)
    log(f"data ready: {time.perf_counter() - wall:.0f} s")
    segmenter = _saved_segmenter(args.out) if "segmentation/phantom_sax" not in args.only else None
    for name in args.only:
        i = list(PLAN).index(name)  # a model's seed does not depend on which others are trained in the same run
        if name in DATA_KEY:
            model, config = train_dense(name, data, seed=i), demo_config(name)
            if name == "segmentation/phantom_sax":
                segmenter = model
        elif name == CLASSIFIER:
            model, config = train_classifier(name, data, (*PLAN[name], CLASSIFIER_COPIES), i, segmenter,
                                             augment, _cosine, log)
        else:
            model, config = train_pair(name, data, PLAN[name], i, segmenter, augment, _cosine, _channels_last, log)
        meta = {"trained_on": f"CineMA phantom seeds {TRAIN_SEEDS[0]}-{TRAIN_SEEDS[-1]}", "purpose": "demo only"}
        save_checkpoint(model, config, args.out, name, seed=0, metadata=meta, half=True)
        log(f"saved {name}")
    write_sums(args.out)
    log(f"done: wall {time.perf_counter() - wall:.0f} s, process CPU {time.process_time() - cpu:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
