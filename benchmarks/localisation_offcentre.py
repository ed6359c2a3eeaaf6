"""Off-centre variants of the real cases: the heart near the image edge, or inside another subject's large body.

Why: the real cases have the heart near the middle of the field of view, so a centre prior alone looks good on them.
Clinics use large fields of view (chest wall, arms, back, upper abdomen) with the heart anywhere. Every generated
image is built from real content only (a flat pad would make the task easier than the clinic):

- ``edge``: crop the study so the LV centre lies 40-60 mm from one border, and widen the other sides with the
  study's own tissue mirrored at the far borders (the mirrored band is kept 60 mm clear of the LV, so no mirrored
  heart appears);
- ``body``: paste the study into a UK Biobank subject's 430 mm field of view (resampled to the study's pixels,
  intensities matched by percentiles, seams feathered over 8 mm), placed so the donor's own heart is covered with a
  20 mm margin and the recipient's LV is as far from the new image centre as that allows.

The world frame is kept: only the index origin moves (the affine absorbs the shift), so LAX planes still intersect
the SAX stack where they did, and the truth (RAS mm) is unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import ndimage

from CineMALib.study import CineStudy, CineView, world_to_voxel

from localisation_cases import Case

LV_CLEARANCE_MM = 60.0  # mirrored bands stay this far from the LV centre
SEAM_MM = 8.0
COVER_MARGIN_MM = 20.0


def shifted(affine: np.ndarray, offset_ij: np.ndarray) -> np.ndarray:
    """Affine of a grid whose index 0 is the old index ``offset_ij`` (in-plane)."""
    shift = np.eye(4)
    shift[:2, 3] = offset_ij
    return np.asarray(affine, dtype=float) @ shift


def _with_sax(case: Case, view: CineView, name: str, group: str) -> Case:
    views = dict(case.study.views)
    views[case.view] = view
    return replace(case, name=name, group=group, study=CineStudy(views, metadata=case.study.metadata), real=False,
                   lv_mask=None, heart_mask=None)


def edge_variant(case: Case, axis: int, sign: int, rng: np.random.Generator) -> CineView:
    """Crop so the LV is 40-60 mm from the border on ``sign`` side of ``axis``; mirror tissue on the other sides."""
    view = case.study[case.view]
    sp = view.spacing[:2]
    centre = world_to_voxel(view.affine, case.truth_world)[:2]
    data = view.data
    lo = np.zeros(2, dtype=int)
    hi = np.array(view.shape[:2], dtype=int)
    near_mm = rng.uniform(40.0, 60.0)
    if sign > 0:
        hi[axis] = min(hi[axis], int(np.ceil(centre[axis] + near_mm / sp[axis])))
    else:
        lo[axis] = max(0, int(np.floor(centre[axis] - near_mm / sp[axis])))
    data = data[lo[0]:hi[0], lo[1]:hi[1]]
    centre = centre - lo
    pads = [[0, 0], [0, 0]]
    for a in range(2):
        n = data.shape[a]
        target = max(float(n), 420.0 / sp[a])  # a clinical field of view
        for side in (0, 1):
            if a == axis and side == (1 if sign > 0 else 0):
                continue  # the heart's side stays cut
            room = (centre[a] if side == 0 else n - 1 - centre[a]) - LV_CLEARANCE_MM / sp[a]
            want = (target - n) / (1 if a == axis else 2)
            pads[a][side] = int(max(0.0, min(room, want, n - 1)))
    data = np.pad(data, (pads[0], pads[1], (0, 0), (0, 0)), mode="symmetric")
    offset = lo - np.array([pads[0][0], pads[1][0]])
    return CineView(view.name, np.ascontiguousarray(data), shifted(view.affine, offset))


def _percentile_match(donor: np.ndarray, recipient: np.ndarray) -> np.ndarray:
    d_lo, d_hi = np.percentile(donor, [1, 99])
    r_lo, r_hi = np.percentile(recipient, [1, 99])
    return ((donor - d_lo) / max(d_hi - d_lo, 1e-6) * (r_hi - r_lo) + r_lo).astype(np.float32)


def body_variant(case: Case, donor: Case) -> CineView:
    """Paste ``case``'s view into ``donor``'s body (SAX ED frame, static), covering the donor's heart."""
    view, dview = case.study[case.view], donor.study[donor.view]
    sp = view.spacing[:2]
    zoom = dview.spacing[:2] / sp
    n_slices = view.shape[2]
    pick = np.rint(np.arange(n_slices) * (dview.shape[2] - 1) / max(n_slices - 1, 1)).astype(int)
    body = ndimage.zoom(dview.data[:, :, pick, 0], (*zoom, 1), order=1, grid_mode=True, mode="nearest")
    heart = ndimage.zoom(donor.heart_mask.astype(np.uint8), (*zoom, 1), order=0, grid_mode=True, mode="nearest") > 0
    body = _percentile_match(body, view.data)
    canvas_shape = np.maximum(np.array(body.shape[:2]), np.ceil(1.3 * np.array(view.shape[:2])).astype(int))
    extra = canvas_shape - np.array(body.shape[:2])
    pad = [(int(e // 2), int(e - e // 2)) for e in extra]
    body = np.pad(body, (*pad, (0, 0)), mode="symmetric")
    heart = np.pad(heart, (*pad, (0, 0)), mode="constant")
    hb = np.argwhere(heart.any(axis=2))
    h_lo, h_hi = hb.min(axis=0), hb.max(axis=0)
    margin = np.ceil(COVER_MARGIN_MM / sp).astype(int)
    size = np.array(view.shape[:2])
    lv = world_to_voxel(view.affine, case.truth_world)[:2]
    offset = np.zeros(2, dtype=int)
    for a in range(2):
        first = max(0, int(h_hi[a] + margin[a] - size[a] + 1))
        last = min(int(canvas_shape[a] - size[a]), int(h_lo[a] - margin[a]))
        if first > last:  # cannot cover the donor heart with a margin: centre the paste on it
            first = last = int(np.clip((h_lo[a] + h_hi[a]) / 2 - size[a] / 2, 0, canvas_shape[a] - size[a]))
        # as far from the canvas centre as allowed (the LV lands at offset + lv)
        centre = (canvas_shape[a] - 1) / 2.0
        offset[a] = max((first, last), key=lambda o: abs(o + lv[a] - centre))
    ii = np.minimum(np.arange(size[0]), size[0] - 1 - np.arange(size[0])) * sp[0]
    jj = np.minimum(np.arange(size[1]), size[1] - 1 - np.arange(size[1])) * sp[1]
    weight = np.clip(np.minimum(ii[:, None], jj[None, :]) / SEAM_MM, 0.0, 1.0)[:, :, None, None]
    out = np.repeat(body[:, :, :, None], view.n_frames, axis=3)
    window = out[offset[0]:offset[0] + size[0], offset[1]:offset[1] + size[1]]
    window[:] = weight * view.data + (1.0 - weight) * window
    return CineView(view.name, out, shifted(view.affine, -offset))


def _frame(view: CineView, t: int) -> CineView:
    return CineView(view.name, view.data[..., t:t + 1].copy(), view.affine)


def offcentre_cases(cases: list[Case], donors: list[Case], seed: int = 16) -> list[Case]:
    """Two edge variants (random sides) and one in-body variant of every SAX case with a cine or a single example
    frame; cines also as their first frame alone (ED for ACDC and UK Biobank; Sunnybrook: its ED phase)."""
    out = []
    for index, case in enumerate(cases):
        if case.view != "sax" or case.group in ("acdc-ed-frame", "sunnybrook-ed-frame", "ukbb-sax-alone"):
            continue
        rng = np.random.default_rng([seed, index])
        base = case.name.split("/")[0]
        pool = [d for d in donors if d.name.split("/")[0] != base] or donors
        donor = pool[index % len(pool)]
        sides = rng.permutation([(0, 1), (0, -1), (1, 1), (1, -1)])[:2]
        variants = [(f"edge{'ij'[a]}{'+' if s > 0 else '-'}", "edge", edge_variant(case, int(a), int(s), rng))
                    for a, s in sides]
        variants.append((f"body-{donor.name.split('/')[0]}", "body", body_variant(case, donor)))
        lax = len(case.study.views) > 1
        for label, kind, view in variants:
            if lax:
                out.append(_with_sax(case, view, f"{base}/{label}+lax", f"gen-{kind}-lax"))
                solo = replace(case, study=CineStudy({"sax": case.study["sax"]}))
                out.append(_with_sax(solo, view, f"{base}/{label}", f"gen-{kind}-cine"))
            elif view.n_frames > 1:
                out.append(_with_sax(case, view, f"{base}/{label}", f"gen-{kind}-cine"))
                ed = _frame(view, int(case.notes.get("ed_frame", "0")))
                out.append(_with_sax(case, ed, f"{base}/{label}/1frame", f"gen-{kind}-1frame"))
            else:
                out.append(_with_sax(case, view, f"{base}/{label}", f"gen-{kind}-1frame"))
    return out
