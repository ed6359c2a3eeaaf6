"""The demo-model training script: its loss pieces, and a tiny end-to-end run that writes loadable weights."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import train_demo_models as train  # noqa: E402


def _labels() -> torch.Tensor:
    """(1, X, Y, Z): LV on slices 2-7, RV on slices 4-5 only."""
    target = torch.zeros(1, 6, 6, 10, dtype=torch.long)
    target[0, 1:4, 1:4, 2:8] = 3
    target[0, 4, 4, 4:6] = 1
    return target


def test_end_slice_weights_mark_two_slices_at_each_end_of_every_structure() -> None:
    w = train.end_slice_weights(_labels(), 4.0)
    per_slice = w[0, 0, 0].tolist()
    # LV ends: 2, 3 and 6, 7; RV (4-5) marks 4 and 5 as its own ends; 0, 1, 8, 9 carry no structure.
    assert per_slice == [1.0, 1.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 1.0, 1.0]
    assert torch.equal(train.end_slice_weights(_labels(), 1.0), torch.ones(_labels().shape))


def test_end_slice_weights_leave_2d_targets_alone() -> None:
    target = torch.zeros(2, 8, 8, dtype=torch.long)
    target[:, 2:5, 2:5] = 3
    assert torch.equal(train.end_slice_weights(target, 4.0), torch.ones(target.shape))


def test_seg_loss_is_cross_entropy_plus_weighted_dice() -> None:
    torch.manual_seed(0)
    target = _labels()
    logits = torch.randn(1, 4, *target.shape[1:])
    probs = torch.softmax(logits, 1)
    onehot = F.one_hot(target, 4).movedim(-1, 1).float()
    dice = train.dice_loss(probs[:, 1:], onehot[:, 1:])
    expected = F.cross_entropy(logits, target) + 0.5 * dice
    assert torch.allclose(train.seg_loss(logits, target, dice_weight=0.5), expected, atol=1e-6)
    # Up-weighting the end slices changes the loss exactly when their cross-entropy differs from the mean.
    assert not torch.allclose(train.seg_loss(logits, target, end_weight=4.0), train.seg_loss(logits, target))


@pytest.mark.slow
def test_tiny_training_run_writes_verified_loadable_weights(tmp_path: Path) -> None:
    from CineMALib.analysis.demo_models import checkpoint_paths

    out = tmp_path / "demo"
    rc = train.main(["--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--scale", "0.005",
                     "--studies", "1", "--only", "segmentation/phantom_sax", "classification_cvd/phantom_sax"])
    assert rc == 0
    from safetensors.torch import load_file

    sums = (out / "SHA256SUMS").read_text().split()
    for name in ("segmentation/phantom_sax", "classification_cvd/phantom_sax"):
        config, weights = checkpoint_paths(out, name, 0)
        assert config.is_file() and weights.is_file()
        assert weights.relative_to(out).as_posix() in sums
        state = load_file(str(weights))
        assert state and all(np.isfinite(v.float().numpy()).all() for v in state.values())
    # The classifier's encoder is the segmenter's, frozen: the ViT blocks are identical tensors.
    seg = load_file(str(checkpoint_paths(out, "segmentation/phantom_sax", 0)[1]))
    cls = load_file(str(checkpoint_paths(out, "classification_cvd/phantom_sax", 0)[1]))
    shared = [k for k in seg if k.startswith("encoder.blocks.")]
    assert shared and all(torch.equal(seg[k], cls[k]) for k in shared)
