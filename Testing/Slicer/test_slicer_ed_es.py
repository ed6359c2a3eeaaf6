"""The user's ED/ES frames in the Slicer module: kept in the parameter node, passed by the presenter, and honoured by
Recompute on a real headless scene (every ED/ES-dependent row of the table moves to the given frames, and the table
says the frames were given); back to automatic when the spin boxes say "auto"."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import pytest
from CineMASlicer.report_rows import TableRow, find_value
from CineMASlicer.settings import Settings
from slicer_synthetic import ES_FRAME, study_and_results

from CineMALib.measure import measure_study

pytestmark = pytest.mark.slicer
pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
ED_ES_ROWS = ("LVEDV", "LVESV", "LVSV", "LVEF", "LVM", "RVEDV", "RVESV", "RVEF")


@pytest.fixture
def published(ctx):
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.logic import ModuleLogic

    study, results = study_and_results()
    inputs = {name: add_cine(ctx, view, f"{name} cine")[2] for name, view in study.views.items()}
    logic = ModuleLogic(ctx)
    run = logic.adapter.publish(study, inputs, results, "synthetic truth")
    return logic, run, study, results


def _method(rows: list[TableRow], measure: str) -> str:
    return next(row.method for row in rows if row.measure == measure)


def test_recompute_honours_the_panels_ed_es(published):
    logic, run, study, results = published
    auto = measure_study(results, study)
    assert (auto.ed_frame, auto.es_frame) == (0, ES_FRAME)
    ed, es = 1, 4  # frames that are neither the analysis' ED nor ES
    rows = logic.recompute(Settings(ed_frame=ed, es_frame=es))
    expected = measure_study(results, study, ed=ed, es=es)
    for measure in ED_ES_ROWS:
        assert find_value(rows, measure) == expected.get(measure).formatted(), measure
        assert find_value(rows, measure) != auto.get(measure).formatted() or measure.endswith("EF"), measure
    assert (find_value(rows, "ED frame"), find_value(rows, "ES frame")) == (str(ed), str(es))
    assert "given by the user" in _method(rows, "ED frame") and "given by the user" in _method(rows, "LVEDV")
    assert logic.adapter.rows(run) == rows  # the scene's table shows the same
    back = logic.recompute(Settings())  # "auto" again: decided on the labels as they are
    assert (find_value(back, "ED frame"), find_value(back, "ES frame")) == ("0", str(ES_FRAME))
    assert find_value(back, "LVEDV") == auto.get("LVEDV").formatted()
    assert "(automatic)" in _method(back, "ED frame")


def test_recompute_with_a_frame_out_of_range_names_the_study(published):
    from CineMALib.errors import CineMAInputError

    logic, run, _, _ = published
    with pytest.raises(CineMAInputError, match="--ed-frame 99 is out of range: the SAX cine has 6 frames") as err:
        logic.recompute(Settings(ed_frame=99))
    assert err.value.path == logic.adapter.study(logic.adapter.inputs_of(run)).study_id  # the study is named


def test_ed_es_frames_are_kept_in_the_parameter_node(ctx):
    from CineMASlicer.parameters import ParameterNode

    params = ParameterNode.of(ctx)
    params.store(Settings(ed_frame=0, es_frame=9))
    assert (params.settings().ed_frame, params.settings().es_frame) == (0, 9)
    params.store(Settings())
    assert (params.settings().ed_frame, params.settings().es_frame) == (None, None)


def test_presenter_passes_the_frames_to_recompute():
    from CineMASlicer.presenter import Presenter

    class Logic:
        def __init__(self) -> None:
            self.seen: list[Settings] = []

        def current_rows(self):
            return [TableRow("LVEF", "60.00", "%")]

        def recompute(self, settings):
            self.seen.append(settings)
            return self.current_rows()

    class Installer:
        def missing(self):
            return []

    logic = Logic()
    presenter = Presenter(logic, Installer())  # type: ignore[arg-type]
    presenter.show_existing()
    presenter.settings_changed(Settings(ed_frame=2, es_frame=7))
    presenter.recompute()
    assert [(s.ed_frame, s.es_frame) for s in logic.seen] == [(2, 7)]
