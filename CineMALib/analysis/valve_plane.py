"""Cut the SAX LV labels at the mitral annulus that the 2C and 4C landmarks give, frame by frame.

Why: at end systole the base descends through the basal slice, and a SAX model often keeps labelling that slice as
LV (the atrium above looks the same: bright blood in a ring of tissue), inflating ESV and lowering LVEF. The LV ends
at the mitral annulus, which the long-axis cines show directly (the clinical convention: place the mitral plane from
the long-axis views). The four hinge points tracked on 2C and 4C define, per frame, a plane (least squares, normal
towards the apex) and an ellipse through them. LV blood pool and myocardium whose voxel centres lie beyond that plane
(atrial side) *and over the orifice* (inside the ellipse scaled by ``RIM_SCALE``) are set to background. The RV
(own tricuspid plane, at most one hinge in these views) is left to the 4C check.

The counterpart, ``fill_below_mitral_plane``: a basal slice whose centre lies just below the annulus is LV across
the orifice, though most of its slab may be atrium; the model often labels only part of it (end diastole). There the
LV log-probability is raised, on background voxels only, until the LV covers most of the orifice: the added contour
is the model's own at a lower threshold, never drawn from the landmarks.

Why only over the orifice: the left atrium sits over the mitral orifice, while the LV outflow tract, which counts as
LV volume, reaches above the annular plane beside it (towards the aortic valve); a saddle-shaped real annulus also
rises above the fitted plane at its rim. Every cut is reported in the provenance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from CineMALib.analysis.end_slices import argmax_with_offset, log_probabilities
from CineMALib.analysis.islands import clean_labels
from CineMALib.labels import LV, MYO
from CineMALib.study import CineView, lax_frame

MITRAL_HINGES: dict[str, tuple[str, str]] = {"lax_2c": ("mitral_anterior", "mitral_inferior"),
                                             "lax_4c": ("mitral_lateral", "mitral_septal")}
MARGIN_MM = 0.0  # keep voxels up to this far beyond the fitted plane
RIM_SCALE = 1.0  # cut only over the mitral orifice: within this multiple of the hinge ellipse
#: The fill (``fill_below_mitral_plane``): its region is the inner ``FILL_RIM_SCALE`` of the hinge ellipse, on slice
#: centres between ``FILL_MARGIN_MM`` and ``FILL_DEPTH_MM`` on the ventricular side of the plane; a slice whose LV
#: covers less than ``FILL_BELOW`` of that region is re-thresholded until it covers ``FILL_TO``.
FILL_RIM_SCALE, FILL_MARGIN_MM, FILL_DEPTH_MM, FILL_BELOW, FILL_TO = 0.8, 0.5, 12.0, 0.6, 0.8
FILL_OFFSETS = np.linspace(0.25, 8.0, 32)  # LV log-probability offsets tried, smallest first
MIN_FILL_REGION = 30  # voxels: smaller regions (the plane grazing a slice) are not judged
MAX_CUT_FRACTION = 0.2  # a cut that would remove more of a frame's LV + MYO than this is not made (implausible
#                         landmarks: the atrial overlap of a basal slice is a few per cent)


@dataclass(frozen=True)
class Annulus:
    """The mitral annulus of one frame: plane (centre, unit normal towards the apex) and the ellipse through the
    hinges, as in-plane unit axes with their half-lengths (mm)."""

    centre: np.ndarray
    normal: np.ndarray
    axes: np.ndarray  # (2, 3)
    radii: np.ndarray  # (2,)

    def beyond(self, points: np.ndarray, margin_mm: float, rim_scale: float) -> np.ndarray:
        """Mask of ``points`` (n, 3) more than ``margin_mm`` on the atrial side and over the scaled ellipse."""
        rel = points - self.centre
        over = (((rel @ self.axes.T) / (rim_scale * self.radii)) ** 2).sum(axis=1) <= 1.0
        return over & (rel @ self.normal < -margin_mm)


def annulus_from_hinges(pair_a: tuple[np.ndarray, np.ndarray], pair_b: tuple[np.ndarray, np.ndarray],
                        apex: np.ndarray) -> Annulus:
    """Annulus from the hinge pairs of two LAX views: least-squares plane through the four points, normal towards
    ``apex``; ellipse axes along pair a (projected onto the plane) and at right angles to it, each half the length of
    its pair projected onto that axis."""
    hinges = np.array([*pair_a, *pair_b], dtype=float)
    centre = hinges.mean(axis=0)
    normal = np.linalg.svd(hinges - centre)[2][-1]
    normal = normal if (apex - centre) @ normal >= 0 else -normal
    span_a, span_b = pair_a[1] - pair_a[0], pair_b[1] - pair_b[0]
    first = span_a - (span_a @ normal) * normal
    first /= np.linalg.norm(first)
    second = np.cross(normal, first)
    radii = np.maximum([0.5 * abs(span_a @ first), 0.5 * abs(span_b @ second)], 1.0)
    return Annulus(centre, normal, np.stack([first, second]), radii)


def mitral_annuli(landmarks: Mapping[str, Mapping[str, np.ndarray]], n_frames: Mapping[str, int], n_sax: int,
                  frames: Sequence[int]) -> dict[int, Annulus]:
    """Per SAX frame, the mitral annulus from the hinge points of the 2C and 4C frames at the same cycle position
    (frames where a hinge or both apices are not tracked are left out)."""
    annuli: dict[int, Annulus] = {}
    for t in frames:
        pairs, apices = [], []
        for view, names in MITRAL_HINGES.items():
            tracks = landmarks.get(view)
            if not tracks or view not in n_frames or not all(name in tracks for name in names):
                break
            t_view = lax_frame(int(t), n_sax, n_frames[view])
            pair = tuple(np.asarray(tracks[name][t_view], dtype=float) for name in names)
            if not all(np.isfinite(p).all() for p in pair):
                break
            pairs.append(pair)
            if "apex" in tracks and np.isfinite(tracks["apex"][t_view]).all():
                apices.append(tracks["apex"][t_view])
        if len(pairs) == len(MITRAL_HINGES) and apices:
            annuli[int(t)] = annulus_from_hinges(pairs[0], pairs[1], np.mean(apices, axis=0))
    return annuli


def clip_at_mitral_plane(sax_labels: np.ndarray, sax: CineView,
                         annuli: Mapping[int, Annulus]) -> tuple[dict[int, int], list[int]]:
    """Set LV and MYO voxels of ``sax_labels`` (x, y, z, t; in place) beyond each frame's mitral plane (atrial side,
    by more than ``MARGIN_MM``) and over its annulus (``RIM_SCALE``) to background. Returns frame -> voxels removed
    (frames with none left out) and the frames left unchanged because the cut would have removed more than
    ``MAX_CUT_FRACTION`` of their LV + MYO (landmarks that cannot be right)."""
    world = _world_points(sax)
    removed: dict[int, int] = {}
    refused: list[int] = []
    for t, annulus in annuli.items():
        beyond = annulus.beyond(world, MARGIN_MM, RIM_SCALE).reshape(sax.shape)
        frame = sax_labels[..., t]
        left = (frame == LV) | (frame == MYO)
        cut = beyond & left
        n_cut = int(np.count_nonzero(cut))
        if n_cut > MAX_CUT_FRACTION * np.count_nonzero(left):
            refused.append(int(t))
        elif n_cut:
            frame[cut] = 0
            removed[int(t)] = n_cut
    return removed, refused


def _world_points(sax: CineView) -> np.ndarray:
    idx = np.indices(sax.shape, dtype=np.float32).reshape(3, -1).T
    return idx @ sax.affine[:3, :3].T.astype(np.float32) + sax.affine[:3, 3].astype(np.float32)


def fill_below_mitral_plane(sax_labels: np.ndarray, sax: CineView, annuli: Mapping[int, Annulus],
                            probabilities: Mapping[int, Mapping[int, np.ndarray]]) -> dict[int, list[int]]:
    """Raise the LV on SAX slices just below each frame's mitral annulus where the model left the orifice mostly
    unlabelled (``sax_labels`` (x, y, z, t), in place). ``probabilities``: frame -> slice -> (C, x, y) class
    probabilities (the end slices kept while segmenting). Only background voxels become LV. Returns frame -> slices
    changed."""
    world = _world_points(sax)
    changed: dict[int, list[int]] = {}
    for t, annulus in annuli.items():
        rel = world - annulus.centre
        over = (((rel @ annulus.axes.T) / (FILL_RIM_SCALE * annulus.radii)) ** 2).sum(axis=1) <= 1.0
        depth = rel @ annulus.normal
        region = (over & (depth > FILL_MARGIN_MM) & (depth < FILL_DEPTH_MM)).reshape(sax.shape)
        for k, probs in probabilities.get(t, {}).items():
            inside, plane = region[:, :, k], sax_labels[:, :, k, t]
            if inside.sum() < MIN_FILL_REGION or np.mean(plane[inside] == LV) >= FILL_BELOW:
                continue
            log_p = log_probabilities(probs)
            for offset in FILL_OFFSETS:
                raised = np.where((plane == 0) & (argmax_with_offset(log_p, LV, offset) == LV), LV, plane)
                raised = raised.astype(np.uint8)
                if np.mean(raised[inside] == LV) >= FILL_TO:
                    sax_labels[:, :, k, t] = raised
                    changed.setdefault(int(t), []).append(int(k))
                    break
        if t in changed:
            clean_labels(sax_labels[..., t])
    return changed
