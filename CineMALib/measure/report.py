"""The measurement record: every number carries its unit, how it was computed, at which frames, and its reference.

Writers (``CineMALib.report``) and the Slicer module only read these objects, so a value and the sentence that
explains it can never drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from CineMALib.phases import Phases

#: Decimals written for each unit (the in-memory value keeps full precision).
DECIMALS: dict[str, int] = {"mL": 2, "%": 2, "g": 2, "mm": 2, "L/min": 3, "m2": 3, "mL/m2": 2, "g/m2": 2,
                            "L/min/m2": 3, "bpm": 1, "": 4}


@dataclass(frozen=True)
class Measurement:
    """One reported number. ``value`` is None when it cannot be computed; ``method`` then says why.

    ``name`` plus ``unit`` gives the report column (``LVEDV`` + ``mL`` -> ``LVEDV (mL)``); ``phase`` is ED, ES,
    ED-ES or empty and ``frames`` the 0-based SAX frame indices used. ``citation``/``flag`` come from
    :mod:`CineMALib.measure.reference` and stay empty unless the reference source was verified.
    """

    name: str
    value: float | None
    unit: str
    method: str
    phase: str = ""
    frames: tuple[int, ...] = ()
    citation: str = ""
    flag: str = ""

    @property
    def column(self) -> str:
        """The wide-CSV header: the name with its unit suffix in parentheses (none for unitless values)."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    @property
    def available(self) -> bool:
        return self.value is not None and math.isfinite(self.value)

    def formatted(self) -> str:
        """The value as written to CSV/HTML: rounded per unit, integers for frame indices, ``n/a`` when missing."""
        if not self.available:
            return "n/a"
        if self.name.endswith("frame"):
            return str(int(round(self.value)))  # type: ignore[arg-type]
        return f"{self.value:.{DECIMALS.get(self.unit, 3)}f}"

    def with_reference(self, citation: str, flag: str) -> Measurement:
        return replace(self, citation=citation, flag=flag)


@dataclass
class Report:
    """All measurements of one study plus what the writers need to draw them (curves, landmarks, times)."""

    study_id: str
    rows: list[Measurement] = field(default_factory=list)
    label_map: str = "cinema"
    ed_frame: int | None = None
    es_frame: int | None = None
    #: Volume-time curves in mL per SAX frame (NaN where a frame was not analysed): keys LV, RV, MYO.
    curves_ml: dict[str, np.ndarray] = field(default_factory=dict)
    frame_times_ms: np.ndarray | None = None
    landmarks_world: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)
    #: The ED/ES decision the numbers were measured at (automatic or given, and how).
    phases: Phases | None = None

    def add(self, *rows: Measurement) -> None:
        self.rows.extend(rows)

    def get(self, key: str) -> Measurement | None:
        """The row whose name or column header is ``key`` (``"LVEF"`` or ``"LVEF (%)"``)."""
        for row in self.rows:
            if key in (row.name, row.column):
                return row
        return None

    def value(self, key: str) -> float | None:
        """The value of ``key`` or None when absent or not computable."""
        row = self.get(key)
        return row.value if row is not None and row.available else None

    def columns(self) -> dict[str, Measurement]:
        """Column header -> row, in row order (the wide CSV's value columns)."""
        return {row.column: row for row in self.rows}

    def flags(self) -> list[str]:
        return [f"{row.column}: {row.flag}" for row in self.rows if row.flag]
