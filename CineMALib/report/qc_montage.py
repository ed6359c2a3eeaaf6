"""``qc_montage.png``: per view, the whole field of view at ED and ES with the model window drawn on it and the label
contours (and landmarks) overlaid, so a window on the wrong structure is obvious without opening a viewer.

Why the whole field of view: the overlay plot shows only the labels' slice, which looks fine even when the model
segmented the aorta; only the full image with the window on it shows where the crop went. The window is rebuilt from
the centre the analysis recorded in its provenance (``model window centre <view> (RAS mm)``), with the same grid
functions the analysis used, so what is drawn is the crop that ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from CineMALib.atomic import atomic_write_bytes
from CineMALib.labels import LV, MYO, RV
from CineMALib.provenance import CENTRE_KEY, parse_ras
from CineMALib.preprocess import lax_model_grid, sax_model_grid
from CineMALib.report.plots import COLOURS, _png
from CineMALib.study import CineStudy, CineView, lax_frame, world_to_voxel

VIEW_ORDER: tuple[str, ...] = ("sax", "lax_2c", "lax_3c", "lax_4c")
WINDOW_COLOUR = "yellow"


def window_key(view: str) -> str:
    return f"model window centre {view} (RAS mm)"


def window_box(view: CineView, centre_world: np.ndarray) -> tuple[float, float, float, float]:
    """(i0, j0, i1, j1): the model window's in-plane outline in the view's own voxel indices (pixel edges)."""
    grid = sax_model_grid(view, centre_world) if view.name == "sax" else lax_model_grid(view, centre_world)
    nx, ny = grid.shape[:2]
    corners = grid.points_to_source_voxel(np.array([[-0.5, -0.5, 0.0], [nx - 0.5, ny - 0.5, 0.0]]))
    (i0, j0), (i1, j1) = corners[0, :2], corners[1, :2]
    return min(i0, i1), min(j0, j1), max(i0, i1), max(j0, j1)


def _frames(view: CineView, sax_frames: int, ed: int, es: int) -> tuple[int, int]:
    if view.name == "sax":
        return ed, es
    return lax_frame(ed, sax_frames, view.n_frames), lax_frame(es, sax_frames, view.n_frames)


def _slice(view: CineView, labels: np.ndarray | None, ed: int, centre: np.ndarray) -> int:
    """SAX: the slice with the most ED LV (mid-ventricular), else the window centre's; LAX: the plane."""
    if labels is not None and (labels[..., ed] == LV).any():
        return int(np.argmax((labels[..., ed] == LV).sum(axis=(0, 1))))
    k = int(np.rint(world_to_voxel(view.affine, centre)[2]))
    return int(np.clip(k, 0, view.shape[2] - 1))


def _panel(ax: Any, view: CineView, result: Any, t: int, z: int, box: tuple[float, ...], centre: np.ndarray,
           title: str) -> None:
    ax.imshow(np.asarray(view.data[:, :, z, t]).T, cmap="gray", origin="lower")
    labels = getattr(result, "labels", None)
    if labels is not None and t in tuple(getattr(result, "analysed_frames", ()) or range(labels.shape[-1])):
        for value, name in ((MYO, "MYO"), (LV, "LV"), (RV, "RV")):
            mask = (labels[:, :, z, t] == value).T.astype(float)
            if mask.any():
                ax.contour(mask, levels=[0.5], colors=COLOURS[name], linewidths=0.8)
    for track in (getattr(result, "landmarks_world", None) or {}).values():
        point = np.asarray(track, dtype=float)[t] if len(track) > t else np.full(3, np.nan)
        if np.all(np.isfinite(point)):
            i, j, _ = world_to_voxel(view.affine, point)
            ax.plot(i, j, "o", ms=3, color="magenta")
    ax.add_patch(Rectangle((box[0], box[1]), box[2] - box[0], box[3] - box[1], fill=False, ec=WINDOW_COLOUR, lw=1))
    ci, cj, _ = world_to_voxel(view.affine, centre)
    ax.plot(ci, cj, "+", ms=8, color=WINDOW_COLOUR)
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def montage_figure(results: Any, study: CineStudy, title: str = "") -> Figure | None:
    """One row per view with a recorded model window (SAX first), ED and ES side by side; None when there is none."""
    provenance = getattr(results, "provenance", {}) or {}
    views = [v for v in VIEW_ORDER if v in study and parse_ras(provenance.get(window_key(v), "")) is not None]
    if not views or "sax" not in study:
        return None
    ed = int(results.ed_frame or 0)
    es = int(results.es_frame if results.es_frame is not None else ed)
    n_sax = study["sax"].n_frames
    fig = Figure(figsize=(7.0, 0.6 + 3.4 * len(views)), layout="constrained")  # room for the two-line title
    for row, name in enumerate(views):
        view, result = study[name], results.views.get(name)
        centre = parse_ras(provenance[window_key(name)])
        box = window_box(view, centre)
        frames = _frames(view, n_sax, ed, es)
        z = _slice(view, getattr(result, "labels", None), frames[0], centre)
        for col, (phase, t) in enumerate(zip(("ED", "ES"), frames)):
            ax = fig.add_subplot(len(views), 2, 2 * row + col + 1)
            _panel(ax, view, result, t, z, box, centre, f"{name} {phase} (frame {t}), slice {z}")
    lv = parse_ras(provenance.get(CENTRE_KEY, ""))
    where = f"; LV centre RAS ({', '.join(f'{v:.1f}' for v in lv)}) mm" if lv is not None else ""
    fig.suptitle(f"{title}\nmodel window (yellow box, + its centre), contours LV red, MYO green, RV blue{where}",
                 fontsize=9)
    return fig


def write_qc_montage(results: Any, study: CineStudy, path: str | Path, title: str = "") -> Path | None:
    """Write ``qc_montage.png`` atomically; None (nothing written) when the analysis recorded no model window."""
    fig = montage_figure(results, study, title)
    return None if fig is None else atomic_write_bytes(path, _png(fig))
