"""PNG figures for the report: volume-time curves with ED/ES marked, and a mid-ventricular ED/ES label overlay.

Uses matplotlib's Agg canvas directly (no pyplot, no global backend switch) so it is safe inside Slicer.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from CineMALib.labels import LV, MYO, RV
from CineMALib.measure.report import Report
from CineMALib.atomic import atomic_write_bytes

COLOURS = {"LV": "tab:red", "RV": "tab:blue", "MYO": "tab:green"}


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def has_curve(report: Report, min_frames: int = 3) -> bool:
    """A curve is worth drawing when at least ``min_frames`` frames were measured (not for an ED/ES pair)."""
    lv = report.curves_ml.get("LV")
    return lv is not None and int(np.isfinite(lv).sum()) >= min_frames


def volume_figure(report: Report) -> Figure:
    """LV/RV (and myocardium, dashed) volume against frame index or trigger time, ED/ES as vertical lines."""
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    n = len(report.curves_ml["LV"])
    times = report.frame_times_ms
    use_time = times is not None and len(times) == n and np.all(np.isfinite(times))
    x = np.asarray(times, dtype=float) if use_time else np.arange(n)
    for name, curve in report.curves_ml.items():
        ok = np.isfinite(curve)
        ax.plot(x[ok], curve[ok], "o-" if name != "MYO" else "o--", ms=3, color=COLOURS.get(name), label=f"{name} (mL)")
    for name, frame, style in (("ED", report.ed_frame, "-"), ("ES", report.es_frame, ":")):
        if frame is not None and frame < n:
            given = report.phases is not None and (report.phases.ed_given if name == "ED" else report.phases.es_given)
            how = "" if report.phases is None else " (given)" if given else " (automatic)"
            ax.axvline(x[frame], color="k", ls=style, lw=1, label=f"{name} frame {frame}{how}")
    ax.set_xlabel("trigger time (ms)" if use_time else "frame (0-based)")
    ax.set_ylabel("volume (mL)")
    ax.set_title(f"{report.study_id}: volumes by disc summation")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return fig


def write_volume_plot(report: Report, path: str | Path) -> Path:
    """Write ``volumes.png`` atomically; raises ValueError when there is no curve (see :func:`has_curve`)."""
    if not has_curve(report, 1):
        raise ValueError(f"{report.study_id}: no volume curve to plot")
    return atomic_write_bytes(path, _png(volume_figure(report)))


def overlay_figure(image_ed: np.ndarray, labels_ed: np.ndarray, image_es: np.ndarray, labels_es: np.ndarray,
                   title: str) -> Figure:
    """ED and ES at the SAX slice with the most ED LV voxels, contours of LV, MYO and RV (CineMA labels)."""
    z = int(np.argmax((labels_ed == LV).sum(axis=(0, 1))))
    fig = Figure(figsize=(7.0, 3.6))
    for i, (name, image, labels) in enumerate((("ED", image_ed, labels_ed), ("ES", image_es, labels_es))):
        ax = fig.add_subplot(1, 2, i + 1)
        ax.imshow(np.asarray(image)[:, :, z].T, cmap="gray", origin="lower")
        for value, colour in ((MYO, COLOURS["MYO"]), (LV, COLOURS["LV"]), (RV, COLOURS["RV"])):  # LV over MYO
            mask = (np.asarray(labels)[:, :, z] == value).T.astype(float)
            if mask.any():
                ax.contour(mask, levels=[0.5], colors=colour, linewidths=1)
        ax.set_title(f"{name}, slice {z}")
        ax.axis("off")
    fig.suptitle(title)
    return fig


def write_overlay_plot(image_ed: np.ndarray, labels_ed: np.ndarray, image_es: np.ndarray, labels_es: np.ndarray,
                       path: str | Path, title: str = "") -> Path:
    """Write ``overlay.png`` (label contours on the image, mid-ventricular slice) atomically."""
    return atomic_write_bytes(path, _png(overlay_figure(image_ed, labels_ed, image_es, labels_es, title)))
