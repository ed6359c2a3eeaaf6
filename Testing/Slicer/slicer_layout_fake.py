"""The application's layout manager, faked for the layout tests: a real ``vtkMRMLLayoutLogic`` on the headless scene
(it creates the view nodes a layout names, as in Slicer) and a switcher that sets the layout node's arrangement,
which is what ``qMRMLLayoutManager.setLayout`` does. Test files name it in ``pytest_plugins`` for ``layout_manager``.
"""

from __future__ import annotations

import pytest


class FakeLayoutManager:
    """``slicer.app.layoutManager()`` as far as CineMA uses it."""

    def __init__(self, layout_node):
        self.layout_node, self.calls = layout_node, []

    def setLayout(self, layout):  # noqa: N802 - Qt's name
        self.calls.append(layout)
        self.layout_node.SetViewArrangement(layout)


@pytest.fixture
def layout_manager(ctx):
    import slicer

    layout_logic = slicer.vtkMRMLLayoutLogic()
    layout_logic.SetMRMLScene(ctx.scene)
    yield FakeLayoutManager(layout_logic.GetLayoutNode())
    layout_logic.SetMRMLScene(None)  # slicer-core segfaults clearing a scene a layout logic still observes
