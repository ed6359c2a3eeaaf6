"""Synthetic cine CMR phantom with known truth (volumes, mass, ED/ES, MAPSE/TAPSE, labels, landmarks).

``generate_phantom(seed, pathology, n_frames)`` builds a SAX stack and 2C/3C/4C cines in memory (a few seconds);
``write_phantom(phantom, out_dir, fmt)`` writes NIfTI or DICOM plus labels, landmarks.json, truth.json, README.txt.
"""

from CineMALib.phantom.generate import Phantom, generate_phantom
from CineMALib.phantom.params import PATHOLOGIES
from CineMALib.phantom.writers import write_phantom

__all__ = ["PATHOLOGIES", "Phantom", "generate_phantom", "write_phantom"]
