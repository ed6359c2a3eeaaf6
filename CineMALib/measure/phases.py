"""End-diastole / end-systole frame choice: max / min LV volume unless the caller fixes the frames.

Rule [seen, MMCL#32, SCMR]: ED = largest LV volume, ES = smallest, over the frames actually analysed (NaN frames,
i.e. not segmented, are ignored). RV ED/ES are taken at these LV-defined frames (as ukbb_cardiac does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from CineMALib.errors import CineMAInputError


@dataclass(frozen=True)
class Phases:
    """ED/ES frame indices (0-based, SAX cine) and the sentence saying how they were chosen."""

    ed: int
    es: int
    ed_method: str
    es_method: str

    @property
    def method(self) -> str:
        return f"ED frame {self.ed} = {self.ed_method}; ES frame {self.es} = {self.es_method}"


def select_phases(lv_ml: np.ndarray, ed: int | None = None, es: int | None = None,
                  given_by: str = "given by the caller") -> Phases:
    """Pick ED/ES from the LV volume curve; an explicit ``ed``/``es`` wins and must be an analysed frame."""
    lv_ml = np.asarray(lv_ml, dtype=float)
    analysed = np.isfinite(lv_ml)
    if not analysed.any():
        raise CineMAInputError(None, "no analysed short-axis frame: cannot choose ED/ES")
    for name, frame in (("ED", ed), ("ES", es)):
        if frame is not None and not (0 <= frame < lv_ml.size and analysed[frame]):
            raise CineMAInputError(None, f"{name} frame {frame} is not an analysed frame "
                                         f"(analysed: {np.flatnonzero(analysed).tolist()})")
    masked_max = np.where(analysed, lv_ml, -np.inf)
    masked_min = np.where(analysed, lv_ml, np.inf)
    n = int(analysed.sum())
    ed_i, ed_m = (ed, given_by) if ed is not None else (int(np.argmax(masked_max)),
                                                        f"max LV volume over {n} analysed frames")
    es_i, es_m = (es, given_by) if es is not None else (int(np.argmin(masked_min)),
                                                        f"min LV volume over {n} analysed frames")
    return Phases(int(ed_i), int(es_i), ed_m, es_m)
