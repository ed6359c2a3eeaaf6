"""CineMA.py imports and behaves with stand-ins for what only the Slicer application provides (qt,
ScriptedLoadableModule, slicer.app): class names Slicer's test discovery needs, module metadata, the logic."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import ast
import importlib.util
import sys
import types
from pathlib import Path

import pytest
from CineMASlicer.process import AnalysisProcess
from CineMASlicer.report_rows import find_value
from CineMASlicer.settings import Settings
from slicer_synthetic import study_and_results

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer
MODULE_FILE = Path(__file__).resolve().parents[2] / "CineMA" / "CineMA.py"
HERE = str(Path(__file__).resolve().parent)
BASES = ("ScriptedLoadableModule", "ScriptedLoadableModuleWidget", "ScriptedLoadableModuleLogic",
         "ScriptedLoadableModuleTest")


def test_module_file_is_thin_and_names_its_classes_for_slicer():
    source = MODULE_FILE.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 100  # thin: behaviour lives in CineMASlicer
    classes = {node.name: [getattr(b, "id", "") for b in node.bases]
               for node in ast.parse(source).body if isinstance(node, ast.ClassDef)}
    assert set(classes) == {"CineMA", "CineMAWidget", "CineMALogic", "CineMATest"}
    for name, base in zip(("CineMA", "CineMAWidget", "CineMALogic", "CineMATest"), BASES, strict=True):
        assert base in classes[name], name


@pytest.fixture
def cinema_module(monkeypatch):
    slicer = pytest.importorskip("slicer", reason="slicer-core is not installed")
    connected = []
    base_module = types.ModuleType("slicer.ScriptedLoadableModule")
    for name in BASES:
        setattr(base_module, name, type(name, (), {"__init__": lambda self, parent=None: setattr(self, "parent",
                                                                                                   parent)}))
    qt = types.ModuleType("qt")
    qt.QIcon = lambda path: ("icon", path)
    monkeypatch.setitem(sys.modules, "qt", qt)
    monkeypatch.setitem(sys.modules, "slicer.ScriptedLoadableModule", base_module)
    monkeypatch.setattr(slicer, "ScriptedLoadableModule", base_module, raising=False)
    monkeypatch.setattr(slicer, "app", types.SimpleNamespace(connect=lambda *a: connected.append(a)), raising=False)
    spec = importlib.util.spec_from_file_location("CineMA", MODULE_FILE)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "CineMA", module)
    spec.loader.exec_module(module)
    return module, connected


def test_module_metadata_and_sample_data_hook(cinema_module):
    module, connected = cinema_module
    parent = types.SimpleNamespace()
    module.CineMA(parent)
    assert parent.title == "CineMA" and parent.categories == ["Cardiac"]
    assert "Recompute" in parent.helpText and parent.icon[1].endswith("CineMA.png")
    assert connected == [("startupCompleted()", module.registerSampleData)]


def test_logic_analyses_and_returns_rows(cinema_module, ctx, tmp_path):
    from CineMASlicer.cine_nodes import add_cine

    from CineMALib.measure import measure_study

    module, _ = cinema_module
    study, truth = study_and_results()
    sax = add_cine(ctx, study["sax"], "sax cine")[2]
    logic = module.CineMALogic(ctx)
    logic.module.process_factory = lambda: AnalysisProcess(analysis="slicer_fake_analysis:analyse_ok",
                                                           extra_paths=(HERE,))
    logic.module.temp_root = tmp_path
    rows = logic.analyse(Settings(sax=sax.GetID(), weights="demo"), timeout_s=120)
    truth.views = {"sax": truth.views["sax"]}
    assert find_value(rows, "LVEF") == measure_study(truth, study).get("LVEF").formatted()
