"""The LV-centre workflow around an analysis: pre-fill the point, show the window, pass the user's point, read back.

Before Analyse: the automatic centre (``CineMALib.locate``) goes into the "LV centre" point and the ROI shows the
SAX model window around it; moving the point moves the ROI (a VTK observer, so it works the same headless). At
Analyse: a point the user moved is the analysis's ``lv_center`` override; an untouched one is not passed, so the
analysis keeps its own verification and retries. After the run: the ROI shows the window the analysis used, and the
result's ``review: heart not found with confidence`` is returned for the panel to ask for a point.

The point belongs to one SAX cine (a node reference): choosing another cine places it anew.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from CineMALib.study import CineStudy, CineView

from .context import SceneContext
from .lv_centre import (
    POINT_NAME,
    centre_point,
    find_centre_point,
    place_automatic,
    point_position,
    show_window,
    user_centre,
    window_roi,
)

#: Node-reference role on the point: the SAX cine it was placed on.
SAX_ROLE = "CineMA.sax"
#: Provenance key of the SAX model window's centre (``CineMALib.analysis.pipeline._record_window``): the analysis
#: records the centre used rounded to 0.1 mm, which may place a 1 mm window one voxel off; the window's own centre
#: rounds back to the same window.
WINDOW_KEY = "model window centre sax (RAS mm)"


def _geometry_only(view: CineView) -> CineView:
    """The view's grid without its voxels (what the window needs; ``np.zeros`` does not touch memory)."""
    return CineView(view.name, np.zeros((*view.shape, 1), dtype=np.float32), view.affine.copy())


class LVCentreLogic:
    """The point, the ROI and their link to the SAX cine in one scene."""

    def __init__(self, ctx: SceneContext) -> None:
        self.ctx = ctx
        self._sax: CineView | None = None
        self._observed: tuple[Any, int] | None = None

    def _existing_point(self, sax_id: str | None) -> Any | None:
        point = find_centre_point(self.ctx)
        return point if point is not None and sax_id and point.GetNodeReferenceID(SAX_ROLE) == sax_id else None

    def prefill(self, study: CineStudy, sax_id: str) -> str:
        """Place the automatic centre (unless the user moved the point on this cine) and show the window; returns
        a status line for the panel."""
        from CineMALib.locate import locate_lv_center

        sax = study["sax"]
        point = centre_point(self.ctx)
        mine = point.GetNodeReferenceID(SAX_ROLE) == sax_id
        centre = user_centre(point) if mine else None
        if centre is not None:
            message = f"Your '{POINT_NAME}' point places the model window (the box); Analyse uses it."
        else:
            location = locate_lv_center(sax, study)
            how = f"{location.cue or location.method}, confidence {location.confidence:.2f}"
            place_automatic(point, location.center_world, f"automatic ({how})")
            point.SetNodeReferenceID(SAX_ROLE, sax_id)
            centre = location.center_world
            message = (f"LV centre placed automatically ({how}). If the '{POINT_NAME}' point is not in the left "
                       "ventricle, drag it there before Analyse.")
            if location.warning:
                message = f"{location.warning}. {message}"
        self._sax = _geometry_only(sax)
        self._show(centre)
        self._observe(point)
        return message

    def _show(self, centre: np.ndarray) -> None:
        from CineMALib.preprocess import sax_model_grid

        if self._sax is not None:
            show_window(window_roi(self.ctx), sax_model_grid(self._sax, centre))

    def _observe(self, point: Any) -> None:
        """Let the ROI follow the point while the user drags it (before Analyse)."""
        if self._observed is not None and self._observed[0] is point:
            return
        self.stop_observing()
        tag = point.AddObserver(point.PointModifiedEvent, lambda caller, event: self._moved(caller))
        self._observed = (point, tag)

    def _moved(self, point: Any) -> None:
        position = point_position(point)
        if position is not None:
            self._show(position)

    def stop_observing(self) -> None:
        if self._observed is not None:
            self._observed[0].RemoveObserver(self._observed[1])
            self._observed = None

    def override(self, sax_id: str | None) -> list[float] | None:
        """The user's point on this SAX cine as ``AnalysisOptions.lv_center`` (R, A, S mm), or None."""
        point = self._existing_point(sax_id)
        centre = user_centre(point) if point is not None else None
        return [float(v) for v in centre] if centre is not None else None

    def after_run(self, study: CineStudy, sax_id: str, provenance: Mapping[str, str]) -> str | None:
        """Show the window the analysis used; return its heart-not-found review text (None when it found one)."""
        from CineMALib.measure.placement import heart_review
        from CineMALib.provenance import CENTRE_KEY, parse_ras

        centre = parse_ras(provenance.get(CENTRE_KEY, ""))
        window = parse_ras(provenance.get(WINDOW_KEY, ""))
        if centre is not None:
            try:
                self._sax = _geometry_only(study["sax"])
                point = centre_point(self.ctx)
                if self.override(sax_id) is None:  # never move a point the user placed on this cine
                    place_automatic(point, centre, "used by the analysis")
                    point.SetNodeReferenceID(SAX_ROLE, sax_id)
                self._show(centre if window is None else window)  # the window's own centre gives the same window
                self._observe(point)
            except Exception as err:  # noqa: BLE001 - the markups only show the place; the review must still come
                logging.getLogger("CineMA").warning("Could not show the LV centre and model window: %s", err)
        return heart_review(provenance)
