"""Preprocessing for the released CineMA models: model grids (resample + crop/pad, invertible) and intensities."""

from CineMALib.preprocess.grid import (
    LAX_INPLANE_SPACING_MM,
    LAX_SHAPE,
    SAX_SHAPE,
    SAX_SPACING_MM,
    ModelGrid,
    lax_model_grid,
    resampled_geometry,
    sax_model_grid,
)
from CineMALib.preprocess.inputs import frame_batch, model_frames, stacked_input
from CineMALib.preprocess.intensity import DATASET_PERCENTILES, clip_percentiles, dataset_style, scale_intensity

__all__ = [
    "DATASET_PERCENTILES",
    "LAX_INPLANE_SPACING_MM",
    "LAX_SHAPE",
    "SAX_SHAPE",
    "SAX_SPACING_MM",
    "ModelGrid",
    "clip_percentiles",
    "dataset_style",
    "frame_batch",
    "lax_model_grid",
    "model_frames",
    "resampled_geometry",
    "sax_model_grid",
    "scale_intensity",
    "stacked_input",
]
