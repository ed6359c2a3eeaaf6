"""Synthetic cine CMR phantom with known truth (volumes, mass, ED/ES, MAPSE/TAPSE, labels, landmarks).

``generate_phantom(seed, pathology, n_frames)`` builds a SAX stack and 2C/3C/4C cines in memory (a few seconds);
``write_phantom(phantom, out_dir, fmt)`` writes NIfTI or DICOM plus labels, landmarks.json, truth.json, README.txt.

Generating needs only numpy and scipy, which a bare Slicer ships (its Sample Data makes the phantom before the
module's installer has run); ``write_phantom`` needs nibabel/pydicom and is imported on first use.
"""

from typing import Any

from CineMALib.phantom.generate import Phantom, generate_phantom
from CineMALib.phantom.params import PATHOLOGIES

__all__ = ["PATHOLOGIES", "Phantom", "generate_phantom", "write_phantom"]


def __getattr__(name: str) -> Any:
    if name == "write_phantom":
        from CineMALib.phantom.writers import write_phantom

        return write_phantom
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
