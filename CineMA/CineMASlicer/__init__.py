"""Slicer-side pieces of the CineMA module, each with one job and testable without the Slicer application.

Only ``slicer-core`` (MRML nodes, no Qt) is needed by the scene adapter; the presenter, process runner, installer and
data exchange are plain Python so the widget in ``CineMA.py`` stays a thin shell. ``slicer`` and ``vtk`` are imported
inside the functions that need them, so those plain modules import without slicer-core.
The CamelCase package name follows Slicer's convention for a module's library package (e.g. ``SlicerNNUNetLib``).
"""  # noqa: N999
