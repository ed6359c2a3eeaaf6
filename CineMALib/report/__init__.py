"""Report writers: report.csv, measurements.csv, volumes.png, landmarks.json, summary.html; every write is atomic."""

from __future__ import annotations

from pathlib import Path

from CineMALib.measure.report import Report
from CineMALib.report.html_summary import write_summary_html
from CineMALib.report.landmarks import read_landmarks_json, write_landmarks_json
from CineMALib.report.plots import has_curve, write_overlay_plot, write_volume_plot
from CineMALib.report.tables import write_measurements_csv, write_report_csv

__all__ = ["write_outputs", "write_report_csv", "write_measurements_csv", "write_volume_plot", "write_overlay_plot",
           "write_landmarks_json", "read_landmarks_json", "write_summary_html"]


def write_outputs(report: Report, out_dir: str | Path, extra_images: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Write one study's files into ``out_dir``; returns name -> path of what was written.

    volumes.png only when at least three frames were measured, landmarks.json only when there are landmarks;
    ``extra_images`` (already written PNGs, e.g. an overlay) are embedded in the HTML too.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"report.csv": write_report_csv(report, out / "report.csv"),
               "measurements.csv": write_measurements_csv(report, out / "measurements.csv")}
    images = list(extra_images)
    if has_curve(report):
        written["volumes.png"] = write_volume_plot(report, out / "volumes.png")
        images.insert(0, written["volumes.png"])
    if report.landmarks_world:
        written["landmarks.json"] = write_landmarks_json(report, out / "landmarks.json")
    written["summary.html"] = write_summary_html(report, out / "summary.html", images)
    return written
