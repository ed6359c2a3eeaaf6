"""The module logic end to end without the Slicer application: scene cines -> background worker (a fake
analysis) -> result nodes -> rows; recompute and export through the same object the widget uses."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

from pathlib import Path

import pytest
from CineMASlicer.process import AnalysisProcess
from CineMASlicer.report_rows import find_value
from CineMASlicer.settings import Settings
from slicer_synthetic import study_and_results

from CineMALib.errors import CineMAInputError

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer
HERE = str(Path(__file__).resolve().parent)


@pytest.fixture
def logic_and_settings(ctx, tmp_path):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.logic import ModuleLogic

    study, _ = study_and_results()
    nodes = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    logic = ModuleLogic(ctx, lambda: AnalysisProcess(analysis="slicer_fake_analysis:analyse_ok",
                                                     extra_paths=(HERE,)), temp_root=tmp_path)
    settings = Settings(sax=nodes["sax"].GetID(), lax_4c=nodes["lax_4c"].GetID(), weights="demo",
                        height_cm=172.0, weight_kg=70.0, sex="F")
    return logic, settings, study


def test_analyse_then_recompute_then_export(logic_and_settings, tmp_path):
    from CineMALib.measure import measure_study

    logic, settings, study = logic_and_settings
    logic.start_analysis(settings)
    final = logic.wait(120)[-1]
    assert final.kind == "done", final.message
    rows = logic.finish(final)
    _, truth = study_and_results()
    expected = measure_study(truth, study)
    assert find_value(rows, "LVEF") == expected.get("LVEF").formatted()
    assert find_value(rows, "BSA") == expected.get("BSA").formatted()  # height/weight reached the measurement
    assert not list(tmp_path.glob("CineMA-job-*"))  # the job folder is cleaned up
    assert logic.current_rows() == rows
    assert find_value(logic.recompute(Settings()), "LVEF") == find_value(rows, "LVEF")
    files = logic.export(str(tmp_path / "export"))
    assert any(f.endswith("report.csv") for f in files)


def test_missing_input_node_is_an_input_error(ctx):
    from CineMASlicer.logic import ModuleLogic

    with pytest.raises(CineMAInputError, match="not in the scene"):
        ModuleLogic(ctx).start_analysis(Settings(sax="vtkMRMLScalarVolumeNode999"))


def test_analysed_settings_and_run_are_kept_in_the_parameter_node(logic_and_settings, ctx):
    """A panel opened later on the same scene (or a reopened saved scene) shows the choices and the run."""
    from CineMASlicer.logic import ModuleLogic
    from CineMASlicer.parameters import ParameterNode

    logic, settings, _ = logic_and_settings
    logic.start_analysis(settings)
    assert ParameterNode.of(ctx).settings() == settings
    final = logic.wait(120)[-1]
    assert final.kind == "done", final.message
    rows = logic.finish(final)
    assert ParameterNode.of(ctx).run_report() is logic.run.report
    reopened = ModuleLogic(ctx)
    assert reopened.saved_settings() == settings
    assert reopened.current_rows() == rows
    assert reopened.current_run().report is logic.run.report
