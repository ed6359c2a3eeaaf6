"""Slicer-side pieces of the CineMA module, each with one job and testable without the Slicer application.

Only ``slicer-core`` (MRML nodes, no Qt) is needed by the scene adapter; the presenter, process runner, installer and
data exchange are plain Python so the widget in ``CineMA.py`` stays a thin shell.
"""
