"""Report writers: report.csv, measurements.csv, volumes.png, landmarks.json, report.html; every write is atomic.

:func:`write_outputs` is the one writer of a study's report files, for ``cinema measure`` and ``cinema analyse``
(which adds the segmentations and the QC montage, :func:`CineMALib.report.outputs.write_study_outputs`)."""

from __future__ import annotations

from pathlib import Path

from CineMALib.measure.report import Report
from CineMALib.report.html_report import write_report_html
from CineMALib.report.landmarks import read_landmarks_json, write_landmarks_json
from CineMALib.report.plots import has_curve, write_overlay_plot, write_volume_plot
from CineMALib.report.tables import write_measurements_csv, write_report_csv

__all__ = ["write_outputs", "write_report_csv", "write_measurements_csv", "write_volume_plot", "write_overlay_plot",
           "write_landmarks_json", "read_landmarks_json", "write_report_html"]


def write_outputs(report: Report, out_dir: str | Path, extra_images: tuple[Path, ...] | list[Path] = (), *,
                  report_csv: bool = True) -> dict[str, Path]:
    """Write one study's report files into ``out_dir``; returns name -> path of what was written.

    measurements.csv and report.html always; report.csv with ``report_csv`` (a cohort writes one table for all its
    studies instead); volumes.png only when at least three frames were measured; landmarks.json only when there are
    landmarks. ``extra_images`` (already written PNGs: the QC montage, a label overlay) are embedded in the HTML
    first, then the volume curves.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if report_csv:
        written["report.csv"] = write_report_csv(report, out / "report.csv")
    written["measurements.csv"] = write_measurements_csv(report, out / "measurements.csv")
    images = list(extra_images)
    if has_curve(report):
        written["volumes.png"] = write_volume_plot(report, out / "volumes.png")
        images.append(written["volumes.png"])
    if report.landmarks_world:
        written["landmarks.json"] = write_landmarks_json(report, out / "landmarks.json")
    written["report.html"] = write_report_html(report, out / "report.html", images)
    return written
