"""CineMALib: the Slicer-independent core of the CineMA extension.

Data flows one way: read (``io``) -> preprocess -> infer (``models``, ``checkpoints``) -> postprocess -> measure -> report.
This package never imports ``slicer`` or ``qt``.
"""

from CineMALib.errors import CineMAError, CineMAInputError, CineMAWeightsError

__version__ = "0.1.0"
__all__ = ["CineMAError", "CineMAInputError", "CineMAWeightsError", "__version__"]
