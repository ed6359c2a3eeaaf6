"""Our implementation of the official CineMA networks: same constructor arguments, state-dict keys and outputs.

``ConvUNetR`` (segmentation, landmark heatmaps), ``ConvViT`` (classification, regression, landmark coordinates),
``CineMA`` (the pre-trained masked autoencoder). See ``/work/shared/docs/cinema-model.md`` §2 for the spec.
"""

from CineMALib.models.convunetr import ConvUNetR
from CineMALib.models.convvit import ConvViT
from CineMALib.models.heatmap import heatmap_soft_argmax
from CineMALib.models.mae import CineMA
from CineMALib.models.patch import patchify, unpatchify
from CineMALib.models.posembed import sincos_table
from CineMALib.models.vit import VIT_SIZES, get_vit_config

__all__ = [
    "VIT_SIZES",
    "CineMA",
    "ConvUNetR",
    "ConvViT",
    "get_vit_config",
    "heatmap_soft_argmax",
    "patchify",
    "sincos_table",
    "unpatchify",
]
