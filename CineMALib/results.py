"""What an analysis produces, on the study's own grids: labels and landmarks per view, model scores.

This is the hand-off between inference (``analysis``), measurement (``measure``), writers (``report``) and the
Slicer scene adapter. Everything is in the original voxel grid of each view (same shape and affine as the
:class:`~CineMALib.study.CineView`) so nothing downstream needs to know about the model grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from CineMALib.phases import Phases

#: Landmark order used by the CineMA landmark models (points 1, 2 = mitral annulus hinges, 3 = LV apex).
LANDMARK_NAMES: dict[str, tuple[str, ...]] = {
    "lax_2c": ("mitral_anterior", "mitral_inferior", "apex"),
    "lax_4c": ("mitral_lateral", "mitral_septal", "apex"),
}
#: Optional fourth point on 4C (phantom truth, manual placement): the lateral tricuspid hinge for TAPSE.
TRICUSPID_LATERAL = "tricuspid_lateral"


@dataclass
class ViewResult:
    """Per-view outputs on the view's own grid.

    ``labels``: (x, y, z, t) uint8 in CineMA labels (0 bg, 1 RV, 2 MYO, 3 LV); frames not analysed are marked in
    ``analysed_frames``. ``landmarks_world``: name -> (t, 3) RAS mm, NaN where a frame has no point.
    """

    view: str
    affine: np.ndarray
    labels: np.ndarray | None = None
    analysed_frames: tuple[int, ...] = ()
    landmarks_world: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class ModelScore:
    """A classification (class -> probability) or regression (value with unit) output, with ensemble spread."""

    checkpoint: str
    view: str
    probabilities: dict[str, float] | None = None
    value: float | None = None
    unit: str | None = None
    spread: float | None = None
    seeds: tuple[int, ...] = (0,)


@dataclass
class AnalysisResults:
    """All outputs of one study's analysis; ``ed_frame``/``es_frame`` are 0-based indices into the SAX cine.

    ``phases`` is the analysis' one ED/ES decision (:func:`~CineMALib.phases.decide_ed_es`), which measurement and
    reports take as given; ``ed_frame``/``es_frame``/``phase_method`` mirror it (set both with :meth:`decide`).
    Results without ``phases`` (e.g. labels read back from an edited Slicer scene) are decided when measured.
    """

    study_id: str
    views: dict[str, ViewResult] = field(default_factory=dict)
    ed_frame: int | None = None
    es_frame: int | None = None
    phase_method: str = ""
    scores: list[ModelScore] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)
    phases: Phases | None = None

    def decide(self, phases: Phases) -> None:
        """Record the ED/ES decision (and its mirror fields)."""
        self.phases = phases
        self.ed_frame, self.es_frame, self.phase_method = phases.ed, phases.es, phases.method
