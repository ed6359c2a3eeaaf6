"""Shared by the Slicer-module tests: import paths, and a headless MRML scene that skips cleanly without slicer-core.

Import it first in each test file (``from slicer_support import ctx``). The module's own packages
(``CineMA/CineMASlicer``) are not installed; they are imported from the source tree, the way Slicer imports them
from the module folder. Not a conftest.py on purpose: Testing/core imports the top-level conftest as ``conftest``,
and a second conftest module here would shadow it. Test files also name it in ``pytest_plugins`` so ``ctx``
is found as a fixture (PYTEST_DONT_REWRITE: it is imported before pytest registers it, and has no asserts).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_DIR = REPO / "CineMA"
for path in (REPO, MODULE_DIR, Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def _slicer_or_skip():
    try:
        import slicer
    except ImportError as err:
        pytest.skip(f"slicer-core is not installed ({err}); pip install 'CineMALib[slicer]'")
    if not hasattr(slicer, "vtkMRMLScene"):
        pytest.skip("the imported 'slicer' package is not slicer-core (no vtkMRMLScene)")
    return slicer


@pytest.fixture
def ctx(tmp_path):
    """A fully initialised headless scene (Sequences, Segmentations, Markups, Tables, Plots, SH logics)."""
    _slicer_or_skip()
    from CineMASlicer.context import SceneContext

    context = SceneContext.headless(tmp_path / "scene-temp")
    yield context
    context.scene.Clear(1)
