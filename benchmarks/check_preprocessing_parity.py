"""Our model inputs against the released models' preprocessing, from the same images: max abs difference per case.

    python benchmarks/check_preprocessing_parity.py [--shared ../shared]

The official side is written here from its documented definition (``docs/cinema-model.md`` section 4.2, the training
data: ``clip_and_normalise_intensity_3d`` then ``cast_to_uint8``; section 4.1, inference: ``ScaleIntensityd`` and
``SpatialPadd(method="end")``), not from our code:

1. per 3-D frame (after resampling and cropping): ``lo, hi = np.percentile(a, 0.95), np.percentile(a, 99.5)`` over
   every voxel of the frame (numpy's default linear interpolation; the 0.95th percentile, not the 95th); clamp to
   [lo, hi]; z-score (``sitk.Normalize``); ``sitk.RescaleIntensity`` to [0, 1]; ``Cast(image * 255)`` to uint8,
   which truncates;
2. at inference, one min-max over the whole input (for the [ED, ES] stack of the classification/regression models
   one joint minimum and maximum) to [0, 1], then zero padding at the end of each axis to 192 x 192 x 16 (SAX) or
   256 x 256 (LAX).

Ours is what the pipeline feeds the models for the official weights (``AnalysisOptions().clips_percentiles``):
``frame_batch`` (segmentation, landmarks) or ``stacked_input`` (classification, regression) on the model grid of the
view as our reader reads it. The example frames are exactly 192 x 192 (SAX) / 256 x 256 (LAX) at the model spacing,
so the model grid is their own grid whatever the LV centre; the golden fixtures' images are smaller than the model
window and are placed at its start (the official end padding; the pipeline otherwise centres a small image on the LV).

Columns: ``ours vs official``, the parity this script exists for; ``official vs as given``, what re-applying the
training-data step changes in an input that is already preprocessed (the eight example frames are, as uint8 0-255;
the golden inputs are uniform random numbers in [0, 1)), compared with the input as given through step 2 alone (what
the official inference examples feed the models); ``min-max only vs as given``, our input without the clip (the demo
weights' preprocessing) against the same.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from CineMALib.analysis.options import AnalysisOptions
from CineMALib.io.reader import read_view
from CineMALib.preprocess import frame_batch, lax_model_grid, sax_model_grid, stacked_input
from CineMALib.study import CineView, voxel_to_world

SHARED = Path(os.environ.get("CINEMA_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
EXAMPLES = ("acdc_sax", "mnms_sax", "mnms2_sax", "mnms2_lax_4c")
GOLDEN = {"convunetr_sax_tiny": "sax", "convunetr_lax_4c_tiny": "lax_4c", "convvit_sax_tiny": "sax",
          "convvit_lax_4c_tiny": "lax_4c"}
SAX_PAD, LAX_PAD = (192, 192, 16), (256, 256)
#: The parity tolerance: float32 rounding of a value in [0, 1] (ours scales in float32, the reference in float64).
TOLERANCE = 1e-6


# ---- the official steps, from the documentation ------------------------------------------------------------------
def official_training_step(frame: np.ndarray) -> np.ndarray:
    """``clip_and_normalise_intensity_3d(frame, None)`` then ``cast_to_uint8``: one 3-D frame, uint8 levels.

    The percentiles are numpy's (the official code calls ``np.percentile`` on the frame's array); the levels are
    computed in exact rational arithmetic, where the z-score between clip and rescale cancels: level =
    trunc(255 (clip(x) - lo) / (hi - lo)). SimpleITK's float64 arithmetic can put a voxel that lies exactly on a level
    one level lower (the shipped ``acdc_sax_es`` has no 255 at all, its top 0.5 % are 254): a float-rounding artefact
    of the official implementation, not part of the definition.
    """
    a = np.asarray(frame, dtype=np.float64)
    lo, hi = (float(v) for v in np.percentile(a, [0.95, 99.5]))
    if hi <= lo:
        return np.zeros(a.shape, dtype=np.uint8)
    low, span = Fraction(lo), Fraction(hi) - Fraction(lo)
    values, inverse = np.unique(a, return_inverse=True)  # a few hundred to tens of thousands of distinct values
    levels = [int((min(max(Fraction(float(v)), low), low + span) - low) * 255 // span) for v in values]
    return np.asarray(levels, dtype=np.uint8)[inverse].reshape(a.shape)


def official_inference_step(channels: np.ndarray, pad_to: tuple[int, ...]) -> np.ndarray:
    """``ScaleIntensityd`` over the whole (C, X, Y[, Z]) input, then ``SpatialPadd(method="end")`` with zeros."""
    a = np.asarray(channels, dtype=np.float64)
    span = a.max() - a.min()
    a = (a - a.min()) / span if span > 0 else np.zeros_like(a)
    pad = [(0, 0)] + [(0, max(0, n - s)) for s, n in zip(a.shape[1:], pad_to)]
    return np.pad(a, pad)


def official_input(frames: list[np.ndarray], pad_to: tuple[int, ...], training_step: bool) -> np.ndarray:
    """The official model input (C, X, Y[, Z]) from image frames, with or without the training-data step."""
    prepared = [official_training_step(f) if training_step else np.asarray(f, dtype=np.float64) for f in frames]
    return official_inference_step(np.stack(prepared), pad_to)


# ---- ours ----------------------------------------------------------------------------------------------------------
def our_input(view: CineView, frames: list[int], clip: bool) -> np.ndarray:
    """The pipeline's model input (C, X, Y[, Z]): one frame through ``frame_batch``, a pair through ``stacked_input``;
    the window starts at the image's first voxel (centre = voxel N/2 of the model window)."""
    if view.is_2d:
        grid = lax_model_grid(view, voxel_to_world(view.affine, np.array([LAX_PAD[0] / 2, LAX_PAD[1] / 2, 0.0])))
    else:
        spacing = np.asarray(view.spacing, dtype=float)
        middle = np.array([SAX_PAD[0] / 2 / spacing[0], SAX_PAD[1] / 2 / spacing[1], 0.0])
        grid = sax_model_grid(view, voxel_to_world(view.affine, middle))
    if len(frames) == 1:
        return frame_batch(view, grid, frames, clip)[0]
    return stacked_input(view, grid, frames, clip)[0]


@dataclass
class Row:
    case: str
    path: str  # which of our functions made the input
    shape: tuple[int, ...]
    ours_vs_official: float
    official_vs_given: float
    minmax_vs_given: float


def _compare(case: str, view: CineView, frames: list[int], clip: bool) -> Row:
    pad = LAX_PAD if view.is_2d else SAX_PAD
    images = [view.frame(t)[..., 0] if view.is_2d else view.frame(t) for t in frames]
    official = official_input(images, pad, training_step=True)
    given = official_input(images, pad, training_step=False)
    ours = our_input(view, frames, clip)
    minmax = our_input(view, frames, False)
    return Row(case, "stacked_input" if len(frames) > 1 else "frame_batch", tuple(images[0].shape),
               float(np.abs(ours - official).max()), float(np.abs(official - given).max()),
               float(np.abs(minmax - given).max()))


def example_rows(folder: Path, clip: bool) -> list[Row]:
    """Each of the eight example frames alone, then each [ED, ES] pair as the classification input."""
    rows: list[Row] = []
    pairs = []
    for name in EXAMPLES:
        view_name = "lax_4c" if "lax" in name else "sax"
        views = [read_view(folder / f"{name}_{phase}.nii.gz", view_name) for phase in ("ed", "es")]
        for phase, view in zip(("ed", "es"), views):
            rows.append(_compare(f"{name}_{phase}", view, [0], clip))
        pairs.append((name, CineView(view_name, np.concatenate([v.data for v in views], axis=-1), views[0].affine)))
    rows.extend(_compare(f"{name} [ED, ES]", view, [0, 1], clip) for name, view in pairs)
    return rows


def golden_rows(folder: Path, clip: bool) -> list[Row]:
    """Each golden fixture's stored model input (every batch item, every channel a frame) as an image at the model
    spacing."""
    from safetensors.numpy import load_file

    rows = []
    for name, view_name in GOLDEN.items():
        x = load_file(str(folder / f"{name}.io.safetensors"))[f"input.{view_name}"]
        spacing = (1.0, 1.0, 1.0) if view_name.startswith("lax") else (1.0, 1.0, 10.0)
        for b in range(x.shape[0]):
            data = np.moveaxis(x[b], 0, -1)  # (C, X, Y[, Z]) -> (X, Y[, Z], C): channels become frames
            if data.ndim == 3:
                data = data[:, :, np.newaxis, :]
            view = CineView(view_name, data.astype(np.float32), np.diag([*spacing, 1.0]))
            rows.append(_compare(f"{name} item {b}", view, list(range(x.shape[1])), clip))
    return rows


def table(rows: list[Row]) -> str:
    """Markdown table of the rows."""
    lines = ["| case | our function | image shape | max abs diff, ours vs official | official vs as given | "
             "min-max only vs as given |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.case} | `{r.path}` | {' x '.join(map(str, r.shape))} | {r.ours_vs_official:.2e} | "
                     f"{r.official_vs_given:.4f} | {r.minmax_vs_given:.2e} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the team's shared/ folder")
    args = parser.parse_args(argv)
    clip = AnalysisOptions().clips_percentiles  # the default weights (official): what users get
    examples, golden = args.shared / "data" / "cinema-examples", args.shared / "fixtures" / "cinema-golden"
    for folder in (examples, golden):
        if not folder.is_dir():
            parser.error(f"{folder} is missing (give --shared or set CINEMA_SHARED_DIR)")
    rows = example_rows(examples, clip) + golden_rows(golden, clip)
    print(f"percentile clip for the official weights: {'on' if clip else 'OFF'}")
    print(table(rows))
    worst = max(r.ours_vs_official for r in rows)
    print(f"\nworst ours vs official: {worst:.2e} (tolerance {TOLERANCE:g}): {'PASS' if worst <= TOLERANCE else 'FAIL'}")
    return 0 if clip and worst <= TOLERANCE else 1


if __name__ == "__main__":
    raise SystemExit(main())
