"""Basal (and apical) slice check of the SAX segmentation against the LAX 4-chamber segmentation.

Why: on a short-axis slice alone the atria above the valve planes look like ventricular blood pool (a bright round
blob), and at end systole the base descends through one or two slices, so a slice-wise model labels atrium as LV or
RV and inflates ESV. SCMR recommends using the long-axis cines to place the mitral and tricuspid planes. Here the
4C segmentation (which sees the valve planes) is compared with each SAX slice along their line of intersection: where
a SAX slice claims a structure across that line (chord >= 5 mm) but the matching 4C frame shows less than 30 % of
that chord, the slice is contradicted. Contradicted slices are cleared only in contiguous runs from either end of
the stack (never a slice between two kept ones); a structure that does not cross the 4C line (e.g. the RV outflow
tract, out of the 4C plane) is never judged; at least one slice always keeps the label.
The reverse (an end slice the SAX model left empty or narrow where the 4C shows the ventricle) cannot be repaired
without a contour, so :func:`uncovered_end_slices` only names it for review.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from CineMALib.labels import LV, MYO, RV
from CineMALib.study import CineView, lax_frame

BAND_HALF_WIDTH_MM = 2.5  # pixels this close to the other view's plane form the intersection band
MIN_BAND_PIXELS = 20  # fewer 4C band pixels inside the 4C image: no evidence, leave the slice alone
MIN_CHORD_MM = 5.0  # the SAX structure must cross the 4C line over at least this length to be judged
CHORD_RATIO = 0.4  # contradiction: the 4C shows less than this fraction of the chord the SAX slice claims
SLIVER = 0.1  # an end slice with less than this fraction of the label's largest slice area
MISSED_RATIO = 0.5  # coverage warning: the 4C crosses the next slice over at least this share of its chord on the
#                     last labelled slice


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _distance(affine_from: np.ndarray, shape2d: tuple[int, int], origin: np.ndarray, normal: np.ndarray,
              k: int = 0) -> np.ndarray:
    """(X, Y) signed distance (mm) of the pixel centres of slice ``k`` of a grid to a plane."""
    ii, jj = np.indices(shape2d, dtype=float)
    pix = np.stack([ii, jj, np.full(shape2d, float(k))], axis=-1)
    world = pix @ affine_from[:3, :3].T + affine_from[:3, 3]
    return (world - origin) @ normal


class Bands:
    """The intersection bands of every SAX slice with the 4C plane, seen from both grids."""

    def __init__(self, sax: CineView, lax: CineView) -> None:
        sax_normal, lax_normal = _unit(sax.affine[:3, 2]), _unit(lax.affine[:3, 2])
        depth = _distance(lax.affine, lax.shape[:2], sax.affine[:3, 3], sax_normal).ravel()
        pitch = float(sax.affine[:3, 2] @ sax_normal)
        self.lax = [np.flatnonzero(np.abs(depth - k * pitch) <= BAND_HALF_WIDTH_MM) for k in range(sax.shape[2])]
        self.sax = [np.abs(_distance(sax.affine, sax.shape[:2], lax.affine[:3, 3], lax_normal, k))
                    <= BAND_HALF_WIDTH_MM for k in range(sax.shape[2])]
        width = 2 * BAND_HALF_WIDTH_MM
        self.sax_mm = float(np.prod(sax.spacing[:2])) / width  # band pixel count -> chord length (mm)
        self.lax_mm = float(np.prod(lax.spacing[:2])) / width

    def sax_chord(self, k: int, label: int, sax_plane: np.ndarray) -> float:
        """Length (mm) of ``label`` in SAX slice ``k`` along its intersection line with the 4C plane."""
        return float(np.count_nonzero(sax_plane[self.sax[k]] == label)) * self.sax_mm

    def sees(self, k: int) -> bool:
        """Whether the 4C image covers enough of SAX slice ``k``'s line to say anything about it."""
        return self.lax[k].size >= MIN_BAND_PIXELS

    def lax_chord(self, k: int, label: int, lax_flat: np.ndarray) -> float:
        """Length (mm) of ``label`` in the 4C frame along the line of SAX slice ``k`` (0 if the 4C does not see it)."""
        if not self.sees(k):
            return 0.0
        return float(np.count_nonzero(lax_flat[self.lax[k]] == label)) * self.lax_mm

    def contradicted(self, k: int, label: int, sax_plane: np.ndarray, lax_flat: np.ndarray) -> bool:
        """True when slice ``k`` claims ``label`` across the 4C line but the 4C frame shows (almost) none there."""
        if not self.sees(k):
            return False
        chord_sax = self.sax_chord(k, label, sax_plane)
        return chord_sax >= MIN_CHORD_MM and self.lax_chord(k, label, lax_flat) < CHORD_RATIO * chord_sax


def frames_with_4c(sax: CineView, lax: CineView, lax_labels: np.ndarray, frames: Sequence[int],
                   lax_frames: Sequence[int]) -> Iterator[tuple[Bands, int, np.ndarray]]:
    """(bands, SAX frame, flattened 4C labels of the frame at the same cycle position) for each of ``frames`` whose
    matched 4C frame is among ``lax_frames`` (the analysed ones); nothing when the two views cannot be compared (fewer
    than 3 SAX slices, or a 4C view that is not one plane)."""
    if sax.shape[2] < 3 or not lax.is_2d:
        return
    bands = Bands(sax, lax)
    analysed = set(lax_frames)
    for t in frames:
        t_lax = lax_frame(int(t), sax.n_frames, lax.n_frames)
        if t_lax in analysed:
            yield bands, int(t), lax_labels[..., 0, t_lax].ravel()


def _end_runs(area: np.ndarray, contradicted: np.ndarray) -> list[int]:
    """Slices to clear: from each end of the labelled range inward while the 4C contradicts the slice; a sliver
    (< ``SLIVER`` of the largest slice area) that does not reach the 4C line is cleared with its neighbour."""
    labelled = np.flatnonzero(area > 0)
    if labelled.size < 2:
        return []
    sliver = area < SLIVER * area.max()
    clear: list[int] = []
    for order in (labelled, labelled[::-1]):
        run: list[int] = []
        for k in order:
            if contradicted[k]:
                clear.extend(run + [int(k)])
                run = []
            elif sliver[k]:
                run.append(int(k))
            else:
                break
    clear = sorted(set(clear))
    return [] if len(clear) >= labelled.size else clear


def trim_with_lax_4c(sax_labels: np.ndarray, sax: CineView, lax_labels: np.ndarray, lax: CineView,
                     frames: Sequence[int], lax_frames: Sequence[int]) -> dict[int, dict[int, list[int]]]:
    """Clear end slices of ``sax_labels`` (x, y, z, t; in place) that the 4C segmentation contradicts.

    ``frames`` are the SAX frames to check; each uses the 4C frame matched by cycle position (must be among
    ``lax_frames``, the analysed 4C frames). Returns frame -> label -> cleared slice indices.
    """
    changes: dict[int, dict[int, list[int]]] = {}
    for bands, t, lax_flat in frames_with_4c(sax, lax, lax_labels, frames, lax_frames):
        for label in (RV, MYO, LV):
            area = (sax_labels[..., t] == label).sum(axis=(0, 1))
            absent = np.array([area[k] > 0 and bands.contradicted(k, label, sax_labels[:, :, k, t], lax_flat)
                               for k in range(sax.shape[2])])
            cleared = _end_runs(area, absent)
            for k in cleared:
                plane = sax_labels[:, :, k, t]
                plane[plane == label] = 0
            if cleared:
                changes.setdefault(t, {})[label] = cleared
    return changes


def uncovered_end_slices(sax_labels: np.ndarray, sax: CineView, lax_labels: np.ndarray, lax: CineView,
                         frames: Sequence[int], lax_frames: Sequence[int]) -> list[str]:
    """Warnings for a ventricle's end slices that the 4C segmentation says are under-covered: an end slice whose
    label crosses the 4C line over less than ``MISSED_RATIO`` of the 4C chord, or an empty slice just beyond the
    labelled range that the 4C label crosses.

    The opposite of :func:`trim_with_lax_4c` and never an edit: a slice the SAX model left (nearly) empty has no
    contour to restore, so the user is told which slice to review (typically the basal slice at end diastole, cut
    obliquely by the valve plane). Checked for the LV and RV blood pools on ``frames`` (e.g. ED and ES).
    """
    names = {LV: "LV", RV: "RV"}
    warnings: list[str] = []
    for bands, t, lax_flat in frames_with_4c(sax, lax, lax_labels, frames, lax_frames):
        for label, name in names.items():
            labelled = np.flatnonzero((sax_labels[..., t] == label).any(axis=(0, 1)))
            if labelled.size == 0:
                continue
            for edge, beyond in ((labelled[0], labelled[0] - 1), (labelled[-1], labelled[-1] + 1)):
                inside = bands.lax_chord(edge, label, lax_flat)
                claimed = bands.sax_chord(edge, label, sax_labels[:, :, edge, t])
                if inside >= MIN_CHORD_MM and claimed < MISSED_RATIO * inside:
                    warnings.append(f"{name} frame {int(t)}: SAX slice {int(edge)} crosses the 4-chamber plane over "
                                    f"{claimed:.0f} mm, the 4-chamber segmentation over {inside:.0f} mm; review that "
                                    f"slice")
                if not 0 <= beyond < sax.shape[2]:
                    continue
                chord = bands.lax_chord(beyond, label, lax_flat)
                if chord >= MIN_CHORD_MM and chord >= MISSED_RATIO * inside:
                    warnings.append(f"{name} frame {int(t)}: SAX slice {int(beyond)} has no {name} but the 4-chamber "
                                    f"segmentation crosses it over {chord:.0f} mm (slice {int(edge)}: {inside:.0f} mm);"
                                    f" review that slice")
    return warnings
