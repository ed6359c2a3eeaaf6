"""Subject-hierarchy placement: a "CineMA results" folder under the study that holds the analysed cine.

Why: the Data module shows patients > studies > series; results filed under the same study stay with their images
when the scene is saved, browsed or exported (DICOM export also expects this layout).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .context import SceneContext

STUDY_LEVEL = "Study"
#: Item attribute marking CineMA folders (holds the run ID).
FOLDER_ATTRIBUTE = "CineMA.runID"


def study_item_of(ctx: SceneContext, node: Any) -> int:
    """The subject-hierarchy study item above ``node``, or 0 when the node is not filed under a study."""
    sh = ctx.subject_hierarchy()
    item = sh.GetItemByDataNode(node)
    if not item:
        return 0
    return sh.GetItemAncestorAtLevel(item, STUDY_LEVEL) or 0


def new_study(ctx: SceneContext, patient_name: str, study_name: str, nodes: Iterable[Any]) -> int:
    """A patient and study item holding ``nodes`` (for scenes built from files that carry no DICOM hierarchy)."""
    sh = ctx.subject_hierarchy()
    patient = sh.CreateSubjectItem(sh.GetSceneItemID(), patient_name)
    study = sh.CreateStudyItem(patient, study_name)
    place(ctx, study, nodes)
    return study


def results_folder(ctx: SceneContext, input_node: Any, name: str, run_id: str) -> int:
    """A folder named ``name`` under the input's study (or beside the input when it has no study)."""
    sh = ctx.subject_hierarchy()
    parent = study_item_of(ctx, input_node)
    if not parent:
        item = sh.GetItemByDataNode(input_node)
        parent = sh.GetItemParent(item) if item else sh.GetSceneItemID()
    folder = sh.CreateFolderItem(parent, name)
    sh.SetItemAttribute(folder, FOLDER_ATTRIBUTE, run_id)
    return folder


def place(ctx: SceneContext, parent_item: int, nodes: Iterable[Any]) -> None:
    """Move each node's item under ``parent_item`` (creating the item for nodes the hierarchy does not list)."""
    sh = ctx.subject_hierarchy()
    for node in nodes:
        if node is None:
            continue
        item = sh.GetItemByDataNode(node)
        if item:
            sh.SetItemParent(item, parent_item)
        else:
            sh.CreateItem(parent_item, node)


def folder_of_run(ctx: SceneContext, run_id: str) -> int:
    """The folder item created for ``run_id``, or 0."""
    import vtk

    sh = ctx.subject_hierarchy()
    children = vtk.vtkIdList()
    sh.GetItemChildren(sh.GetSceneItemID(), children, True)
    for i in range(children.GetNumberOfIds()):
        item = children.GetId(i)
        if sh.GetItemAttribute(item, FOLDER_ATTRIBUTE) == run_id:
            return item
    return 0
