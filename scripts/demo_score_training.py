"""Training of the demo score models (ConvViT on the SAX [ED, ES] pair): the CVD classifier and the EF regressor.

Why a frozen encoder for the classifier: trained end to end from the SAX segmenter's encoder, the ConvViT stays at
chance level within this project's CPU budget (the class signal has to travel through the mean of 2,304 tokens,
most of them background, and the loss barely moves in a few hundred steps). With the segmenter's encoder frozen, the
encoder outputs of every training pair are computed once (for a few augmented copies), and only the multi-scale
fusion and the two linear heads are trained on them: thousands of steps cost about a minute. The price: the first
convolution, copied from the one-frame segmenter, sees the mean of the ED and ES frames, so this classifier judges
shape (cavity size, wall thickness) and not motion. The EF regressor needs motion, so it is trained end to end
(``train_pair``); it does not learn within the budget and is not shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from CineMALib.analysis.demo_models import build_demo_model, demo_config
from CineMALib.models.encoder import encode_views

FEATURE_BATCH = 8


def init_from_encoder(model: nn.Module, segmenter: nn.Module, log: Callable[[str], None]) -> None:
    """Start a ConvViT from the trained SAX segmenter's encoder (as the official fine-tuning starts from the MAE):
    every tensor with the same name and shape is copied; the first conv, which takes 2 frames instead of 1, gets
    the 1-frame kernel repeated and halved."""
    own = model.state_dict()
    copied = 0
    for key, value in segmenter.state_dict().items():
        if key in own and "pos_embed" not in key:
            if own[key].shape == value.shape:
                own[key] = value.clone()
                copied += 1
            elif key.endswith("conv_blocks.0.patch_embed.conv.weight") and own[key].shape[1] == 2 * value.shape[1]:
                own[key] = value.repeat(1, 2, *([1] * (value.ndim - 2))) / 2
                copied += 1
    model.load_state_dict(own)
    log(f"initialised {copied} tensors from the SAX segmentation encoder")


class FrozenFeatures:
    """Encoder outputs (cls token, conv skips, ViT tokens) of every training pair, for ``copies`` augmented copies
    (the first unaugmented), computed once with the encoder frozen."""

    def __init__(self, model: nn.Module, pairs: np.ndarray, copies: int,
                 augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor], gen: torch.Generator) -> None:
        self.sets = []
        for copy in range(copies):
            parts = []
            for i in range(0, len(pairs), FEATURE_BATCH):
                x = torch.from_numpy(pairs[i:i + FEATURE_BATCH].astype(np.float32))
                x = augment(x, gen) if copy else x
                with torch.no_grad():
                    cls, skips, tokens = encode_views(model.enc_down_dict, model.encoder, {"sax": x})
                parts.append((cls, skips["sax"], tokens["sax"]))
            self.sets.append((torch.cat([p[0] for p in parts]),
                              [torch.cat([p[1][j] for p in parts]) for j in range(len(parts[0][1]))],
                              torch.cat([p[2] for p in parts])))

    def batch(self, copy: int, idx: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        cls, skips, tokens = self.sets[copy]
        return cls[idx], [s[idx] for s in skips], tokens[idx]


def head_logits(model: nn.Module, cls: torch.Tensor, skips: list[torch.Tensor], tokens: torch.Tensor) -> torch.Tensor:
    """The ConvViT's ``reduce="all"`` output from stored encoder outputs: its fusion, then its heads."""
    return model.head_forward({"cls": cls, "sax": model.enc_fusion_dict["sax"](skips, tokens, None)}, ["sax"])


def train_classifier(name: str, data: dict[str, np.ndarray], plan: tuple, seed: int, encoder: nn.Module | None,
                     augment: Callable, cosine: Callable, log: Callable[[str], None]) -> tuple[nn.Module, dict]:
    """ConvViT CVD classifier: frozen segmenter encoder, fusion and heads trained on cached encoder outputs."""
    if encoder is None:
        raise SystemExit("the classifier needs the SAX segmenter: train it in the same run or keep its weights in --out")
    *_, steps, batch, lr, copies = plan
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    config = demo_config(name)
    model = build_demo_model(name, config)
    init_from_encoder(model, encoder, log)
    model.eval()
    start = time.perf_counter()
    features = FrozenFeatures(model, data["pair_x"], copies, augment, gen)
    log(f"{name}: encoder outputs of {len(data['pair_x'])} pairs x {copies} copies "
        f"({time.perf_counter() - start:.0f} s)")
    labels = torch.from_numpy(data["pair_class"]).long()
    params = [*model.enc_fusion_dict.parameters(), *model.pred_head_dict.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cosine(step, steps, lr)
        idx = torch.from_numpy(rng.integers(0, len(labels), size=batch))
        loss = F.cross_entropy(head_logits(model, *features.batch(int(rng.integers(0, copies)), idx)), labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 200 == 0 or step == steps - 1:
            log(f"{name}: step {step + 1}/{steps} loss {loss.item():.4f} ({time.perf_counter() - start:.0f} s)")
    return model.eval(), config


def train_pair(name: str, data: dict[str, np.ndarray], plan: tuple, seed: int, encoder: nn.Module | None,
               augment: Callable, cosine: Callable, channels_last: Callable,
               log: Callable[[str], None]) -> tuple[nn.Module, dict]:
    """ConvViT on [ED, ES] pairs trained end to end: z-scored LVEF (MSE). Experimental (``--with-scores``)."""
    *_, steps, batch, lr = plan[:6]
    ef = data["pair_ef"].astype(np.float64)
    config = demo_config(name, ef_mean_std=(float(ef.mean()), float(ef.std())))
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    model = build_demo_model(name, config)
    if encoder is not None:
        init_from_encoder(model, encoder, log)
    model = model.to(memory_format=torch.channels_last_3d)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-2)
    start = time.perf_counter()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cosine(step, steps, lr)
        model.train()
        idx = rng.integers(0, len(data["pair_x"]), size=batch)
        x = channels_last(augment(torch.from_numpy(data["pair_x"][idx].astype(np.float32)), gen))
        z = (torch.from_numpy(ef[idx]).float() - ef.mean()) / ef.std()
        loss = F.mse_loss(model({"sax": x})[:, 0], z)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if step % 20 == 0 or step == steps - 1:
            log(f"{name}: step {step + 1}/{steps} loss {loss.item():.4f} ({time.perf_counter() - start:.0f} s)")
    return model.to(memory_format=torch.contiguous_format).eval(), config
