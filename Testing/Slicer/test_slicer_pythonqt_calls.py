"""No Qt property read as a getter call in the module's Qt-facing code (it raises TypeError in Slicer's PythonQt).

The UI tests catch this only for code they run; this static check also covers CineMA.py (which needs the real
application) and every branch of the view code. Property names come from the meta-objects of the Qt classes the
.ui file uses (PySide6 and PythonQt wrap the same C++ classes) plus the MRML/CTK widgets' own properties.
"""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import ast
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UI_FILE = REPO / "Resources" / "UI" / "CineMA.ui"
#: Every module file: CineMA.py and the view touch widgets; the rest is Qt-free by design but may be handed one
#: (e.g. the layout manager), so all are checked.
QT_FACING = sorted(p for p in (REPO / "CineMA").rglob("*.py") if "__pycache__" not in p.parts)
#: Q_PROPERTYs of Slicer's own widgets (qMRMLNodeComboBox.h, ctkCollapsibleButton.h, qSlicerLayoutManager.h).
SLICER_WIDGET_PROPERTIES = {"currentNodeID", "nodeTypes", "noneEnabled", "addEnabled", "removeEnabled",
                            "editEnabled", "renameEnabled", "showHidden", "showChildNodeTypes",
                            "selectNodeUponCreation", "baseName", "collapsed", "collapsedHeight",
                            "contentsFrameShape", "checked", "layout"}


def _qt_property_names() -> set[str]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    widgets = pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed")
    names = set(SLICER_WIDGET_PROPERTIES)
    classes = set(re.findall(r'class="(Q[A-Za-z]+)"', UI_FILE.read_text(encoding="utf-8"))) | {"QTimer"}
    from PySide6 import QtCore

    for class_name in classes:
        cls = getattr(widgets, class_name, None) or getattr(QtCore, class_name)
        meta = cls.staticMetaObject
        names |= {meta.property(i).name() for i in range(meta.propertyCount())}
    return names


def getter_calls(source: str, properties: set[str]) -> list[str]:
    """``obj.name()`` calls with no arguments whose ``name`` is a Qt property: 'line: text' for each."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args
                and not node.keywords and node.func.attr in properties):
            found.append(f"{node.lineno}: .{node.func.attr}()")
    return found


def test_the_check_finds_getter_calls():
    properties = {"value", "rowCount"}
    assert getter_calls("x = spin.value()\nn = table.rowCount()\nspin.setValue(1)\n", properties) == [
        "1: .value()", "2: .rowCount()"]


@pytest.mark.parametrize("path", QT_FACING, ids=lambda p: p.name)
def test_no_property_is_called_as_a_getter(path):
    calls = getter_calls(path.read_text(encoding="utf-8"), _qt_property_names())
    assert calls == [], f"{path.name}: read these Qt properties with view.prop() instead: {calls}"
