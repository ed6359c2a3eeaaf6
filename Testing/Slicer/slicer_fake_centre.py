"""Stand-ins for ``analyse_study`` that place the SAX window as the pipeline does, for the LV-centre tests.

Like ``CineMALib.analysis.pipeline``: the window goes to ``options.lv_center`` when given, else to the located centre;
the centre used is recorded under ``CENTRE_KEY`` (how the panel's ROI learns where the crop went) and the options
the worker built are recorded too, so a test sees what reached the analysis.
"""

from __future__ import annotations

import json

import numpy as np
from CineMASlicer.centre_logic import WINDOW_KEY
from slicer_synthetic import study_and_results

from CineMALib.locate import locate_lv_center
from CineMALib.provenance import CENTRE_KEY, HEART_NOT_FOUND, HEART_REVIEW_KEY, SOURCE_KEY, format_ras
from CineMALib.preprocess import sax_model_grid


def analyse_at_centre(study, options, progress=None, cancel=None):
    _, results = study_and_results()
    sax = study["sax"]
    given = options.lv_center is not None
    centre = np.asarray(options.lv_center, dtype=float) if given else locate_lv_center(sax, study).center_world
    grid = sax_model_grid(sax, centre)  # the crop
    results.provenance = {CENTRE_KEY: format_ras(centre), SOURCE_KEY: "user" if given else "automatic",
                          "window origin (RAS mm)": format_ras(grid.affine[:3, 3]),
                          WINDOW_KEY: format_ras(grid.points_to_world(np.array([(n - 1) / 2.0 for n in grid.shape]))),
                          "options": json.dumps({"lv_center": options.lv_center, "fast": options.fast,
                                                 "basal_check": options.basal_check})}
    return results


def analyse_heart_not_found(study, options, progress=None, cancel=None):
    results = analyse_at_centre(study, options, progress, cancel)
    results.provenance[HEART_REVIEW_KEY] = f"{HEART_NOT_FOUND}: the SAX segmentation does not look like a heart"
    return results
