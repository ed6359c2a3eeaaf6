"""Reading and writing cine studies: NIfTI, NRRD (incl. Slicer .seq.nrrd) and DICOM from any vendor.

``read_study(path_or_mapping)`` -> :class:`~CineMALib.study.CineStudy`; ``read_view(path, view=None)`` -> one
:class:`~CineMALib.study.CineView`; ``write_view`` / ``write_labels`` / ``write_array`` write NIfTI or NRRD
atomically. Every input problem is a :class:`~CineMALib.errors.CineMAInputError` naming the file and the problem.
Module map: ``detect`` (what is this path?), ``guards`` (size and sanity checks before reading), ``nifti``,
``nrrd``, ``dicom_scan`` + ``dicom`` (DICOM headers -> ordered stacks), ``dicom_views`` and ``viewnames`` (which
view), ``metadata`` (patient facts), ``reader`` (dispatch), ``writers``.
"""

from CineMALib.io.reader import read_study, read_view
from CineMALib.io.writers import write_array, write_labels, write_view

__all__ = ["read_study", "read_view", "write_array", "write_labels", "write_view"]
