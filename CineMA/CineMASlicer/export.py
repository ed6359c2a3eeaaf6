"""Write a run to a folder: the report CSV (atomically), per-frame segmentations (.seg.nrrd) and landmark lists
(.mrk.json) through Slicer's own storage nodes, so Slicer reads them back with names, colours and codes.

Every file is written under a temporary name in the target folder and renamed into place: an interrupted export
never leaves a truncated file with the final name.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from CineMALib.atomic import atomic_write

from . import result_set as rs
from .context import SceneContext
from .readback import view_labels
from .report_nodes import rows_of_table
from .report_rows import COLUMNS


def write_report_csv(table: Any, path: Path) -> Path:
    """The rows the report table shows, with a header, as UTF-8 CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows_of_table(table):
        writer.writerow(row.cells())
    return atomic_write(path, lambda p: p.write_text(buffer.getvalue(), encoding="utf-8"))


def _write_with(storage_class: str, node: Any, path: Path) -> Path:
    import slicer

    def write(temp: Path) -> None:
        storage = getattr(slicer, storage_class)()
        storage.SetFileName(str(temp))
        if not storage.WriteData(node):
            raise OSError(f"Slicer could not write {path.name}")

    return atomic_write(path, write)


def export_run(ctx: SceneContext, result: rs.ResultSet, folder: str | Path) -> list[Path]:
    """Write the run's report and per-frame results into ``folder``; return the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rs.flush(ctx, result)
    written = [write_report_csv(result.report, folder / "report.csv")]
    for view, nodes in result.views.items():
        _, analysed = view_labels(ctx, nodes)
        frames = nodes.segmentation_frames()
        for t, node in enumerate(frames):
            if node is not None and (t in analysed or len(frames) == 1):
                written.append(_write_with("vtkMRMLSegmentationStorageNode", node,
                                           folder / f"{view}_frame{t:02d}.seg.nrrd"))
        for t, node in enumerate(nodes.landmark_frames()):
            if node is not None and node.GetNumberOfControlPoints() > 0:
                written.append(_write_with("vtkMRMLMarkupsJsonStorageNode", node,
                                           folder / f"{view}_frame{t:02d}_landmarks.mrk.json"))
    return written
