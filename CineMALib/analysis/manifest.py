"""A cohort manifest: per-study LV centres (``cinema analyse --manifest FILE``), a CSV with the columns ``study,R,A,S``.

``study`` names one INPUT: the path as given on the command line (relative paths may also be relative to the
manifest's folder), its file or folder name, or the study id CineMA reports (the ``study`` column of report.csv).
``R,A,S`` is the LV centre in world mm, RAS (as Slicer shows it). Other columns are ignored; a study without a row
is located automatically. Why a manifest: for a cohort, one ``--lv-center`` cannot fit every study, and the few
studies where the automatic search fails can be fixed without re-running the others by hand.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from CineMALib.errors import CineMAInputError

COLUMNS: tuple[str, ...] = ("study", "R", "A", "S")


@dataclass
class Manifest:
    """study name -> (R, A, S) mm, from ``path``; ``used`` collects the names that matched an input."""

    path: Path
    centres: dict[str, tuple[float, float, float]]
    used: set[str] = field(default_factory=set)

    def centre_for(self, given: Any, study_id: str) -> tuple[float, float, float] | None:
        """The centre of the study read from INPUT ``given`` with id ``study_id``, or None (locate automatically)."""
        names = [study_id]
        if isinstance(given, (str, Path)):
            names += [str(given), Path(given).name]
        for name in names:
            if name in self.centres:
                self.used.add(name)
                return self.centres[name]
        if isinstance(given, (str, Path)):
            target = Path(given).resolve()
            for name, centre in self.centres.items():
                for base in (Path.cwd(), self.path.parent):
                    if (base / name).resolve() == target:
                        self.used.add(name)
                        return centre
        return None

    def unused(self) -> list[str]:
        return [name for name in self.centres if name not in self.used]


def read_manifest(path: str | Path) -> Manifest:
    """Read and check the manifest; a bad file, header, number or duplicate raises naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise CineMAInputError(path, f"cannot read the manifest: {err.strerror or err}") from None
    rows = list(csv.reader(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")))
    if not rows:
        raise CineMAInputError(path, "the manifest is empty; expected a header line: study,R,A,S")
    header = [h.strip() for h in rows[0]]
    lookup = {h.lower(): i for i, h in enumerate(header)}
    missing = [c for c in COLUMNS if c.lower() not in lookup]
    if missing:
        raise CineMAInputError(path, f"manifest header {','.join(header)!r} lacks column(s) {', '.join(missing)}; "
                                     "expected study,R,A,S (LV centre in world mm, RAS)")
    centres: dict[str, tuple[float, float, float]] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {c: row[lookup[c.lower()]].strip() if lookup[c.lower()] < len(row) else "" for c in COLUMNS}
        name = cells["study"]
        if not name:
            raise CineMAInputError(path, f"row {number}: empty study name")
        try:
            centre = tuple(float(cells[c]) for c in ("R", "A", "S"))
        except ValueError:
            raise CineMAInputError(path, f"row {number} ({name}): R, A, S must be numbers (world mm, RAS), got "
                                         f"{cells['R']!r}, {cells['A']!r}, {cells['S']!r}") from None
        if not all(math.isfinite(v) for v in centre):
            raise CineMAInputError(path, f"row {number} ({name}): R, A, S must be finite")
        if name in centres:
            raise CineMAInputError(path, f"row {number}: study {name!r} is listed twice")
        centres[name] = centre  # type: ignore[assignment]
    return Manifest(path, centres)

