"""Recalibrate the SAX model's decision on the end slices of each structure where the LAX 4-chamber view disagrees.

Why: the slice the mitral or tricuspid plane cuts (and the apical cap) holds a partial-volume mix, and a SAX model
working slice by slice often decides it wrongly as a whole: the basal myocardial ring left out at end diastole, or
atrium counted as RV at end systole. The model's probabilities on that slice usually still carry the right shape, only
below (or above) the arg-max threshold. The 4C view, which the valve plane cuts across, shows how far the structure
reaches along the line where it meets the SAX slice. So on an end slice where the two disagree grossly (one chord more
than ``TOLERANCE`` times the other), the log-probability of that one label is shifted by the single offset that makes
the SAX slice's chord along that line match the 4C chord, and the slice is re-labelled by arg-max. The new contour is
the model's own (at another threshold), never drawn from the 4C; only end slices are touched, agreement within
``TOLERANCE`` is left alone (the two chords differ by 10-20 % on true labels, from the slab widths), and a structure
that does not reach the 4C line (e.g. the RV outflow tract) keeps its chord 0 = 0 and is never changed. The LV blood
pool is only ever raised here; where it claims too much, the trim and the mitral-annulus cut (from the landmarks)
remove it more sharply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from CineMALib.analysis.basal import MIN_CHORD_MM, Bands, frames_with_4c
from CineMALib.analysis.islands import clean_labels
from CineMALib.labels import LV, MYO, RV
from CineMALib.study import CineView

TOLERANCE = 1.5  # act only when one chord exceeds the other by more than this factor
MAX_OFFSET = 8.0  # largest log-probability shift tried (a factor of ~3000)
BISECTIONS = 12
END_DEPTH = 2  # slices examined at each end of a structure's range
#: Labels recalibrated, in order.
CALIBRATED_LABELS: tuple[int, ...] = (LV, MYO, RV)
#: Labels only ever raised here (a slice left out is recovered): an LV end slice that claims too much is cut at the
#: mitral plane from the landmarks (:mod:`CineMALib.analysis.valve_plane`) and by the trim, which are sharper.
RAISE_ONLY: tuple[int, ...] = (LV,)


def _candidate_slices(labels3d: np.ndarray) -> list[int]:
    """Slices whose probabilities may be needed later: up to ``END_DEPTH`` slices either side of both ends of each
    label's range."""
    keep: set[int] = set()
    for label in CALIBRATED_LABELS:
        z = np.flatnonzero((labels3d == label).any(axis=(0, 1)))
        if z.size:
            for end in (int(z[0]), int(z[-1])):
                keep.update(k for k in range(end - END_DEPTH, end + END_DEPTH + 1) if 0 <= k < labels3d.shape[2])
    return sorted(keep)


@dataclass
class EndSliceProbabilities:
    """Per frame, the class probabilities (C, X, Y) of the slices near each structure's ends, as float16.

    Kept while the SAX frames are segmented (``segment_view(keep=store.keep)``) so the check after the 4C
    segmentation can re-threshold them; only end slices are stored, so memory stays a few slices per frame."""

    slices: dict[int, dict[int, np.ndarray]] = field(default_factory=dict)

    def keep(self, frame: int, probs: np.ndarray, labels3d: np.ndarray) -> None:
        self.slices[int(frame)] = {k: probs[:, :, :, k].astype(np.float16) for k in _candidate_slices(labels3d)}


def log_probabilities(probs: np.ndarray) -> np.ndarray:
    """Clipped log of stored (float16) class probabilities (C, ...), as float32."""
    return np.log(np.clip(probs.astype(np.float32), 1e-6, 1.0))


def argmax_with_offset(log_p: np.ndarray, label: int, offset: float) -> np.ndarray:
    """Labels (uint8) of ``log_p`` (C, x, y) re-thresholded: ``label``'s log-probability shifted by ``offset``."""
    shifted = log_p.copy()
    shifted[label] += offset
    return np.argmax(shifted, axis=0).astype(np.uint8)


def _chord_for_offset(log_p: np.ndarray, label: int, offset: float, bands: Bands, k: int) -> tuple[float, np.ndarray]:
    plane = argmax_with_offset(log_p, label, offset)
    return bands.sax_chord(k, label, plane), plane


def fit_offset(log_p: np.ndarray, label: int, target_mm: float, bands: Bands, k: int) -> tuple[float, np.ndarray]:
    """The log-probability offset for ``label`` on slice ``k`` whose arg-max chord is nearest ``target_mm``
    (bisection: the chord only grows with the offset), and the slice's labels at that offset."""
    tried = {0.0: _chord_for_offset(log_p, label, 0.0, bands, k)}
    lo, hi = (-MAX_OFFSET, 0.0) if tried[0.0][0] > target_mm else (0.0, MAX_OFFSET)
    tried.update({o: _chord_for_offset(log_p, label, o, bands, k) for o in (lo, hi) if o not in tried})
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        tried[mid] = _chord_for_offset(log_p, label, mid, bands, k)
        if tried[mid][0] > target_mm:
            hi = mid
        else:
            lo = mid
    best = min((0.0, lo, hi), key=lambda o: (abs(tried[o][0] - target_mm), abs(o)))
    return best, tried[best][1]


def calibrate_end_slices(sax_labels: np.ndarray, store: EndSliceProbabilities, sax: CineView,
                         lax_labels: np.ndarray, lax: CineView, frames: Sequence[int],
                         lax_frames: Sequence[int]) -> dict[int, dict[int, list[int]]]:
    """Re-threshold end slices of ``sax_labels`` (x, y, z, t; in place) that grossly disagree with the 4C frame
    matched by cycle position. Returns frame -> label -> changed slice indices."""
    changes: dict[int, dict[int, list[int]]] = {}
    for bands, t, lax_flat in frames_with_4c(sax, lax, lax_labels, frames, lax_frames):
        stored = store.slices.get(t, {})
        if not stored:
            continue
        labels3d = sax_labels[..., t]
        log_ps: dict[int, np.ndarray] = {}  # per slice, with the offsets already applied to earlier labels
        for label in CALIBRATED_LABELS:
            for k in _end_slices(labels3d, label, bands, lax_flat):
                if k not in stored or not bands.sees(k):  # no probabilities kept, or no 4C evidence either way
                    continue
                chord, target = bands.sax_chord(k, label, labels3d[:, :, k]), bands.lax_chord(k, label, lax_flat)
                if max(chord, target) < MIN_CHORD_MM or min(chord, target) * TOLERANCE >= max(chord, target):
                    continue
                if label in RAISE_ONLY and target < chord:
                    continue
                log_p = log_ps.setdefault(k, log_probabilities(stored[k]))
                offset, plane = fit_offset(log_p, label, target, bands, k)
                log_p[label] += offset
                if offset != 0.0 and not np.array_equal(plane, labels3d[:, :, k]):
                    labels3d[:, :, k] = plane
                    changes.setdefault(t, {}).setdefault(label, []).append(int(k))
        if t in changes:
            clean_labels(labels3d)
    return changes


def _end_slices(labels3d: np.ndarray, label: int, bands: Bands, lax_flat: np.ndarray) -> list[int]:
    """``END_DEPTH`` slices at each end of the range where the SAX labels or the 4C band show ``label``."""
    nz = labels3d.shape[2]
    shown = [k for k in range(nz) if (labels3d[:, :, k] == label).any()
             or bands.lax_chord(k, label, lax_flat) >= MIN_CHORD_MM]
    if len(shown) < 3:
        return []
    first, last = shown[0], shown[-1]
    return sorted({first + j for j in range(END_DEPTH)} | {last - j for j in range(END_DEPTH)})
