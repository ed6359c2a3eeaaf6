"""Label maps. CineMA predicts 0 background, 1 RV, 2 myocardium, 3 LV (the ACDC order); other tools differ."""

from __future__ import annotations

import numpy as np

BACKGROUND, RV, MYO, LV = 0, 1, 2, 3
CINEMA_LABELS: dict[int, str] = {RV: "RV blood pool", MYO: "LV myocardium", LV: "LV blood pool"}

#: native label value -> CineMA label value, per convention (every import and export states its map).
LABEL_MAPS: dict[str, dict[int, int]] = {
    "cinema": {0: BACKGROUND, 1: RV, 2: MYO, 3: LV},
    "acdc": {0: BACKGROUND, 1: RV, 2: MYO, 3: LV},
    "mnms": {0: BACKGROUND, 1: LV, 2: MYO, 3: RV},
    "ukbb": {0: BACKGROUND, 1: LV, 2: MYO, 3: RV},
}


def to_cinema_labels(labels: np.ndarray, convention: str) -> np.ndarray:
    """Remap an integer label array from ``convention`` to CineMA's (0 bg, 1 RV, 2 MYO, 3 LV)."""
    if convention not in LABEL_MAPS:
        raise ValueError(f"unknown label map {convention!r}; choose one of {sorted(LABEL_MAPS)}")
    lut = np.zeros(max(int(labels.max(initial=0)), 3) + 1, dtype=np.uint8)
    for native, ours in LABEL_MAPS[convention].items():
        lut[native] = ours
    return lut[labels.astype(np.int64)]
