"""What the user chose in the panel, as plain data: inputs, patient data, weights, device, speed and ED/ES frames.

The choice lists here are the single source of the combo-box items (the .ui file is tested against them), and
``options()`` is what the worker turns into ``CineMALib.analysis.options.AnalysisOptions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from CineMALib.study import StudyMetadata

WEIGHT_CHOICES: tuple[tuple[str, str], ...] = (("Official CineMA weights (download once)", "official"),
                                               ("Demo weights (offline, phantom-trained)", "demo"))
DATASET_CHOICES: tuple[tuple[str, str], ...] = (("ACDC", "acdc"), ("M&Ms", "mnms"), ("M&Ms-2", "mnms2"))
SEED_CHOICES: tuple[tuple[str, int | None], ...] = (("Seed 0", 0), ("Seed 1", 1), ("Seed 2", 2),
                                                    ("Ensemble of seeds 0-2", None))
DEVICE_CHOICES: tuple[tuple[str, str], ...] = (("Auto", "auto"), ("CUDA (GPU)", "cuda"), ("CPU", "cpu"))
SEX_CHOICES: tuple[tuple[str, str | None], ...] = (("Not given", None), ("Female", "F"), ("Male", "M"))
LAX_VIEWS: tuple[str, ...] = ("lax_2c", "lax_3c", "lax_4c")
#: Heads trained per data set; landmark and 4C heads have one data set only and keep their default.
DATASET_HEADS: tuple[str, ...] = ("segmentation_sax", "classification_cvd", "regression_ef")

#: Field metadata key marking a Settings field that holds a MRML node ID (stored as a node reference).
NODE_REFERENCE = "CineMA.nodeReference"


def node_field() -> Any:
    """A Settings field holding a MRML node ID (None when not chosen): the parameter node keeps it as a node
    reference, so it follows the node through scene save, reload and import (an ID string would not)."""
    return field(default=None, metadata={NODE_REFERENCE: True})


@dataclass(frozen=True)
class Settings:
    """Inputs are MRML node IDs (None when not chosen); height/weight None when not given."""

    sax: str | None = node_field()
    lax_2c: str | None = node_field()
    lax_3c: str | None = node_field()
    lax_4c: str | None = node_field()
    height_cm: float | None = None
    weight_kg: float | None = None
    sex: str | None = None
    weights: str = "official"
    dataset: str = "acdc"
    seed: int | None = 0
    device: str = "auto"
    fast: bool = True
    #: The end-slice heuristics (island removal, SAX end slices against the long-axis views): off by default, as in
    #: the CLI (``--end-slice-checks``); tuned on phantoms for the demo models, not measured on real studies.
    basal_check: bool = False

    #: The user's ED/ES frames (0-based SAX frame indices); None = automatic (largest/smallest LV volume). Analyse
    #: passes them to the analysis (in ED/ES-only mode they are the frames segmented) and Recompute measures at them.
    ed_frame: int | None = None
    es_frame: int | None = None

    def inputs(self) -> dict[str, str]:
        """View name -> node ID of every chosen cine."""
        chosen = {"sax": self.sax, **{view: getattr(self, view) for view in LAX_VIEWS}}
        return {view: node_id for view, node_id in chosen.items() if node_id}

    def problems(self) -> list[str]:
        """Why Analyse cannot run yet (empty when it can)."""
        found = []
        if not self.sax:
            found.append("Choose a short-axis (SAX) cine.")
        if self.height_cm is not None and not 50.0 <= self.height_cm <= 250.0:
            found.append("Height must be between 50 and 250 cm (or left empty).")
        if self.weight_kg is not None and not 2.0 <= self.weight_kg <= 400.0:
            found.append("Weight must be between 2 and 400 kg (or left empty).")
        if self.weights not in {value for _, value in WEIGHT_CHOICES}:
            found.append(f"Unknown weights choice {self.weights!r}.")
        if self.ed_frame is not None and self.ed_frame == self.es_frame:
            found.append(f"ED and ES are both frame {self.ed_frame}: choose different frames (or auto).")
        return found

    def options(self) -> dict[str, object]:
        """Keyword arguments for ``AnalysisOptions`` (plain JSON types: the worker process receives them)."""
        datasets = {head: self.dataset for head in DATASET_HEADS} if self.weights == "official" else {}
        return {"weights": self.weights, "datasets": datasets, "seed": 0 if self.seed is None else self.seed,
                "ensemble": self.seed is None, "device": self.device, "fast": self.fast,
                "basal_check": self.basal_check, "ed_frame": self.ed_frame, "es_frame": self.es_frame}

    def phases(self) -> dict[str, int | None]:
        """The user's ED/ES frames as ``measure_study`` keywords (None = automatic)."""
        return {"ed": self.ed_frame, "es": self.es_frame}

    def metadata(self) -> StudyMetadata:
        return StudyMetadata(height_cm=self.height_cm, weight_kg=self.weight_kg, sex=self.sex)

    def describe(self) -> str:
        """Where the labels come from, for node names and the report's provenance."""
        if self.weights == "demo":
            return "CineMA demo weights" + (", end-slice checks on" if self.basal_check else "")
        seeds = "ensemble of seeds 0-2" if self.seed is None else f"seed {self.seed}"
        checks = ", end-slice checks on" if self.basal_check else ""
        return f"CineMA {self.dataset} weights, {seeds}{checks}"


def node_fields() -> tuple[str, ...]:
    """Names of the Settings fields that hold node IDs."""
    return tuple(f.name for f in fields(Settings) if f.metadata.get(NODE_REFERENCE))
