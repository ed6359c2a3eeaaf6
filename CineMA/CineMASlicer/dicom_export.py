"""Export a run as DICOM SEG + SR (TID 1500) and add them to Slicer's DICOM database; Qt-free and testable.

Where the source images come from: Slicer's DICOM module sets ``DICOM.instanceUIDs`` (space-separated SOP Instance
UIDs) on the volumes it loads, on each frame of a cine sequence too; the database gives each UID's file
(``slicer.dicomDatabase.fileForInstance``). Their headers are stacked by CineMALib's DICOM reader and the stack
whose grid is the run's is used (labels reordered when Slicer's volume orders the slices the other way). A cine
that did not come from DICOM is refused with one line. ``file_for_instance`` and ``add_to_database`` are passed
in, so tests run without the application.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import numpy as np

from CineMALib.errors import CineMAError

from . import result_set as rs
from .context import SceneContext
from .readback import results_from_scene
from .study_nodes import cine_sequence_of

INSTANCE_UIDS = "DICOM.instanceUIDs"
CHOICES = ("csv", "dicom", "both")
NOT_FROM_DICOM = ("DICOM export needs the DICOM source: this cine was not loaded from Slicer's DICOM database "
                  "(no DICOM.instanceUIDs); load the study with the DICOM module, or export CSV")
FileForInstance = Callable[[str], Optional[str]]


def instance_uids(ctx: SceneContext, node: Any) -> list[str]:
    """SOP Instance UIDs behind a cine node: its own attribute and every frame's of the sequence it shows."""
    nodes = [node]
    sequence, _ = cine_sequence_of(ctx, node)
    if sequence is not None:
        nodes += [sequence.GetNthDataNode(i) for i in range(sequence.GetNumberOfDataNodes())]
    uids: dict[str, None] = {}
    for item in nodes:
        for uid in (item.GetAttribute(INSTANCE_UIDS) or "").split():
            uids[uid] = None
    return list(uids)


def _signed_permutation(matrix: np.ndarray) -> Optional[np.ndarray]:
    perm = np.rint(matrix)
    if not np.allclose(matrix, perm, atol=1e-3) or sorted(np.abs(perm).sum(axis=0)) != [1, 1, 1] or \
            sorted(np.abs(perm).sum(axis=1)) != [1, 1, 1]:
        return None
    return perm.astype(int)


def onto_grid(labels: np.ndarray, affine: np.ndarray, target_affine: np.ndarray,
              target_shape: tuple[int, int, int]) -> Optional[np.ndarray]:
    """``labels`` (x, y, z, t) on ``affine`` re-indexed onto ``target_affine``/``target_shape`` when the two grids
    are the same voxels up to axis order and direction; None otherwise."""
    index = np.linalg.inv(target_affine) @ affine  # our voxel index -> target voxel index
    perm = _signed_permutation(index[:3, :3])
    if perm is None:
        return None
    axes = [int(np.flatnonzero(perm[i])[0]) for i in range(3)]  # target axis i <- our axis axes[i]
    signs = [int(perm[i, axes[i]]) for i in range(3)]
    sizes = [labels.shape[a] for a in axes]
    expected = [0 if sign > 0 else n - 1 for sign, n in zip(signs, sizes)]  # where our voxel 0 lands
    if tuple(sizes) != tuple(target_shape) or not np.allclose(index[:3, 3], expected, atol=1e-2):
        return None
    out = np.transpose(labels, (*axes, 3))
    for i, sign in enumerate(signs):
        if sign < 0:
            out = np.flip(out, axis=i)
    return np.ascontiguousarray(out)


def refs_for(files: list[Path], labels: np.ndarray, affine: np.ndarray):
    """(DicomRefs, labels on the refs' grid) of the stack among ``files`` that holds the run's voxels, else None."""
    from CineMALib.io.dicom import stack_affine, stacks_from_records
    from CineMALib.io.dicom_refs import refs_from_slices
    from CineMALib.io.dicom_scan import scan

    records, _ = scan(files)
    if not records:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stacks = stacks_from_records(records, files[0].parent)
    for stack in stacks:
        if stack.n_phases != labels.shape[3]:
            continue
        shape = (stack.first.cols, stack.first.rows, stack.n_slices)
        moved = onto_grid(labels, affine, stack_affine(stack), shape)
        refs = refs_from_slices(stack.slices)
        if moved is not None and refs is not None:
            return refs, moved
    return None


def export_dicom_run(ctx: SceneContext, run: rs.ResultSet, folder: str | Path, file_for_instance: FileForInstance,
                     add_to_database: Callable[[list[Path]], None] | None = None) -> list[Path]:
    """``seg_<view>.dcm`` + ``sr.dcm`` of the run as the scene shows it now (edits included: SEMIAUTOMATIC)."""
    from CineMALib import __version__
    from CineMALib.exchange.export import ViewLabels, export_dicom
    from CineMALib.exchange.seg import Algorithm

    from .measurement import measure
    from .study_nodes import study_from_nodes

    inputs = rs.inputs_of(run)
    if any(node is None for node in inputs.values()):
        raise CineMAError("a cine this result was computed from is no longer in the scene; run Analyse again")
    study = study_from_nodes(ctx, inputs, None)
    results = results_from_scene(ctx, run, study.study_id)
    views = {}
    for name, result in results.views.items():
        uids = instance_uids(ctx, inputs[name]) if name in inputs else []
        files = [Path(f) for f in (file_for_instance(uid) for uid in uids) if f]
        found = refs_for(files, result.labels, result.affine) if files and result.labels is not None else None
        if found is not None and result.analysed_frames:
            views[name] = ViewLabels(found[0], found[1], tuple(result.analysed_frames))
    if not views:
        raise CineMAError(NOT_FROM_DICOM)
    report = measure(study, results)
    kind = "SEMIAUTOMATIC" if rs.is_edited(ctx, run) else "AUTOMATIC"
    algorithm = Algorithm("CineMA", f"CineMALib {__version__}", (f"run={run.run_id}",), kind)
    written = list(export_dicom(views, report, folder, algorithm).values())
    if add_to_database is not None:
        add_to_database(written)
    return written


def export_choice(ctx: SceneContext, run: rs.ResultSet, folder: str | Path, choice: str,
                  file_for_instance: FileForInstance, add_to_database: Callable[[list[Path]], None] | None = None
                  ) -> list[Path]:
    """What the Export button offers: ``csv`` (report, segmentations, landmarks), ``dicom`` (SEG + SR) or ``both``.
    With ``both`` the DICOM objects are built first, so a study that cannot give them leaves no CSV half-done."""
    from .export import export_run

    if choice not in CHOICES:
        raise ValueError(f"export {choice!r}: choose csv, dicom or both")
    written: list[Path] = []
    if choice in ("dicom", "both"):
        written += export_dicom_run(ctx, run, folder, file_for_instance, add_to_database)
    if choice in ("csv", "both"):
        written = export_run(ctx, run, folder) + written
    return written


#: The Export dialog's items -> choice.
CHOICE_LABELS: dict[str, str] = {"CSV report, segmentations and landmarks": "csv",
                                 "DICOM SEG + SR (added to the DICOM database)": "dicom",
                                 "Both": "both"}


def choice_of(picked: Any) -> str | None:
    """The choice from QInputDialog.getItem's answer: a text (PythonQt) or (text, ok) (PySide); None if cancelled."""
    if isinstance(picked, tuple):
        text, ok = picked
        if not ok:
            return None
    else:
        text = picked
    return CHOICE_LABELS.get(str(text)) if text else None


def application_hooks() -> tuple[FileForInstance, Callable[[list[Path]], None]]:
    """Slicer's DICOM database: the file of a SOP instance, and importing the written objects (app only)."""
    import slicer

    database = getattr(slicer, "dicomDatabase", None)
    if database is None or not database.isOpen:
        raise CineMAError("Slicer's DICOM database is not open: open the DICOM module once, then export again")

    def add(paths: list[Path]) -> None:
        from DICOMLib import DICOMUtils

        DICOMUtils.importDicom(str(Path(paths[0]).parent), database)

    return (lambda uid: database.fileForInstance(uid) or None), add
