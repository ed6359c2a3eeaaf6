"""A :class:`CineView` as Slicer shows a cine: a volume sequence, its browser and the proxy volume; and a
``.seq.nrrd`` writer. Used to build demo scenes and the phantom sample data, and by tests as the user's input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from CineMALib.study import CineView

from .context import SceneContext
from .geometry import set_array_ijk
from .sequences import new_browser


def frame_index_values(view: CineView) -> tuple[list[str], str]:
    """Index values (trigger times in ms when known, else frame numbers) and their unit."""
    if view.trigger_times_ms is not None:
        return [f"{t:g}" for t in view.trigger_times_ms], "ms"
    return [str(t) for t in range(view.n_frames)], ""


def add_cine(ctx: SceneContext, view: CineView, name: str) -> tuple[Any, Any, Any]:
    """(sequence, browser, proxy volume) for ``view``, added to the scene."""
    import slicer

    values, unit = frame_index_values(view)
    sequence = ctx.scene.AddNewNodeByClass("vtkMRMLSequenceNode", name)
    sequence.SetIndexName("time")
    sequence.SetIndexUnit(unit)
    for t, value in enumerate(values):
        frame = slicer.vtkMRMLScalarVolumeNode()
        set_array_ijk(frame, np.asarray(view.frame(t), dtype=np.float32), view.affine)
        sequence.SetDataNodeAtValue(frame, value)
    browser = new_browser(ctx, sequence, f"{name} browser")
    proxy = browser.GetProxyNode(sequence)
    browser.SetOverwriteProxyName(sequence, False)
    proxy.SetName(name)
    return sequence, browser, proxy


def write_sequence(sequence: Any, path: str | Path) -> Path:
    """Write a volume sequence as ``.seq.nrrd`` (the format Slicer's SequenceFile reader and SampleData load)."""
    import slicer

    path = Path(path)
    storage = slicer.vtkMRMLVolumeSequenceStorageNode()
    storage.SetFileName(str(path))
    if not storage.WriteData(sequence):
        raise OSError(f"could not write {path}")
    return path
