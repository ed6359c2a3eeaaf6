"""Panel behaviour around the LV centre (issue 16): the point pre-filled when the cines change, a failed placement
that leaves Analyse to find the centre, and the warning asking for a point when the heart was not found."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
from dataclasses import replace
from pathlib import Path

from CineMASlicer.presenter import HEART_NOT_FOUND_STATUS, Phase
from CineMASlicer.process import RunEvent
from test_slicer_presenter import READY, FakeLogic, make


class CentreLogic(FakeLogic):
    def __init__(self, locate_error=None, review=None):
        super().__init__()
        self.located: list = []
        self.locate_error, self.review = locate_error, review

    def locate_centre(self, settings):
        self.located.append(settings.sax)
        if self.locate_error:
            raise self.locate_error
        return "LV centre placed automatically (blob+motion, confidence 0.86)."


def _finished(logic):
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    presenter.analyse()
    logic.events = [RunEvent("done", results_path=Path("r.npz"))]
    presenter.tick()
    assert presenter.phase is Phase.IDLE
    return seen[-1]


def test_the_point_is_placed_when_the_cines_change_not_on_other_settings():
    logic = CentreLogic()
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    assert logic.located == [READY.sax] and "placed automatically" in seen[-1].status
    assert seen[-1].analyse_enabled and not seen[-1].error
    presenter.settings_changed(replace(READY, height_cm=170.0, fast=False))
    assert logic.located == [READY.sax]
    presenter.settings_changed(replace(READY, sax="vtkMRMLScalarVolumeNode7"))
    assert logic.located == [READY.sax, "vtkMRMLScalarVolumeNode7"]
    presenter.settings_changed(replace(READY, sax=None))
    assert len(logic.located) == 2  # no cine, nothing to place


def test_a_failed_placement_leaves_analyse_ready():
    logic = CentreLogic(locate_error=ImportError("No module named 'scipy'"))
    presenter, seen = make(logic)
    presenter.settings_changed(READY)
    assert seen[-1].analyse_enabled and not seen[-1].error and "could not be placed" in seen[-1].status
    presenter.analyse()
    assert logic.started == [READY]


def test_heart_not_found_asks_for_the_point():
    state = _finished(CentreLogic(review="review: heart not found with confidence: ..."))
    assert state.warning and not state.error and state.status == HEART_NOT_FOUND_STATUS
    assert "LV centre" in state.status and "Analyse again" in state.status
    assert state.rows and state.recompute_enabled  # the numbers are still shown, with the warning


def test_a_found_heart_gives_no_warning():
    state = _finished(CentreLogic(review=None))
    assert not state.warning and state.status.startswith("Done")


def test_a_reopened_scene_with_a_heart_not_found_run_warns_again():
    logic = CentreLogic(review="review: heart not found with confidence: ...")
    logic.current_rows = lambda: logic.rows
    presenter, seen = make(logic)
    presenter.show_existing()
    assert seen[-1].warning and seen[-1].status == HEART_NOT_FOUND_STATUS and seen[-1].rows == logic.rows
