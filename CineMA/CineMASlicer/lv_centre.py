"""The "LV centre" point the user can move and the box that shows the model window, as markups in the scene.

Why: everything the model sees is a window placed on the left ventricle; when the automatic centre is wrong the
numbers are wrong. Before Analyse the point holds the automatic centre (``CineMALib.locate``) and the ROI the SAX
window around it; a point the user moved becomes the analysis's LV-centre override, an untouched one leaves the
analysis free to locate, verify and retry on its own. After the run the ROI shows the window that was used.

The ROI spans the model window in-plane (192 x 192 mm on the 1 mm grid) and, through-plane, the slices of the
stack the window holds (the rest of the 16 model slices is padding); it is oriented along the stack's axes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from CineMALib.preprocess import ModelGrid

from .context import SceneContext

POINT_NAME = "CineMA LV centre"
POINT_LABEL = "LV centre"
ROI_NAME = "CineMA model window"
#: Attribute of the point: the automatic centre CineMA wrote (JSON [R, A, S]); a different position is the user's.
ATTR_AUTOMATIC = "CineMA.automaticCentre"
#: Attribute marking the nodes as CineMA's (value: "lv_centre" or "model_window").
ATTR_ROLE = "CineMA.role"
MOVED_MM = 0.5  # a point farther than this from the automatic centre was moved by the user
POINT_COLOR = (0.1, 0.9, 0.9)


def _find(ctx: SceneContext, class_name: str, role: str) -> Any | None:
    nodes = ctx.scene.GetNodesByClass(class_name)
    found = [nodes.GetItemAsObject(i) for i in range(nodes.GetNumberOfItems())]
    return next((n for n in found if n.GetAttribute(ATTR_ROLE) == role), None)


def find_centre_point(ctx: SceneContext) -> Any | None:
    """The scene's LV-centre point list, or None (nothing is created)."""
    return _find(ctx, "vtkMRMLMarkupsFiducialNode", "lv_centre")


def centre_point(ctx: SceneContext) -> Any:
    """The scene's LV-centre point list (one control point), created empty when absent."""
    node = find_centre_point(ctx)
    if node is None:
        node = ctx.scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", POINT_NAME)
        node.SetAttribute(ATTR_ROLE, "lv_centre")
        node.SetMaximumNumberOfControlPoints(1)
        node.CreateDefaultDisplayNodes()
        display = node.GetDisplayNode()
        if display is not None:
            display.SetSelectedColor(*POINT_COLOR)
            display.SetColor(*POINT_COLOR)
    return node


def window_roi(ctx: SceneContext) -> Any:
    """The scene's model-window ROI, created when absent (locked: it shows the window, it does not set it)."""
    node = _find(ctx, "vtkMRMLMarkupsROINode", "model_window")
    if node is None:
        node = ctx.scene.AddNewNodeByClass("vtkMRMLMarkupsROINode", ROI_NAME)
        node.SetAttribute(ATTR_ROLE, "model_window")
        node.SetLocked(True)
        node.CreateDefaultDisplayNodes()
    return node


def point_position(node: Any) -> np.ndarray | None:
    """RAS mm of the point (world: a parent transform counts), None when it has no placed point."""
    if node is None or node.GetNumberOfControlPoints() < 1 or \
            node.GetNthControlPointPositionStatus(0) != node.PositionDefined:
        return None
    xyz = [0.0, 0.0, 0.0]
    node.GetNthControlPointPositionWorld(0, xyz)
    return np.asarray(xyz, dtype=float)


def place_automatic(node: Any, centre_ras: np.ndarray, description: str = "") -> None:
    """Put the point at the automatic centre and remember it (so a later move is recognised as the user's)."""
    import vtk

    centre = [float(v) for v in np.asarray(centre_ras, dtype=float).reshape(3)]
    was_modifying = node.StartModify()
    if node.GetNumberOfControlPoints() < 1:
        node.AddControlPointWorld(vtk.vtkVector3d(*centre), POINT_LABEL)
    else:
        node.SetNthControlPointPositionWorld(0, *centre)
        node.SetNthControlPointLabel(0, POINT_LABEL)
    node.SetNthControlPointDescription(0, description)
    node.SetAttribute(ATTR_AUTOMATIC, json.dumps(centre))
    node.EndModify(was_modifying)


def user_centre(node: Any) -> np.ndarray | None:
    """The point's RAS position when the user placed or moved it, None when it is (still) the automatic one."""
    position = point_position(node)
    if position is None:
        return None
    stored = node.GetAttribute(ATTR_AUTOMATIC)
    if stored:
        automatic = np.asarray(json.loads(stored), dtype=float)
        if float(np.linalg.norm(position - automatic)) <= MOVED_MM:
            return None
    return position


def window_box(grid: ModelGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre RAS, size mm, 3x3 rotation) of the model window: in-plane the whole window, through-plane the
    image slices inside it; the rotation is the grid's axes with a reflection folded into the third (a box has
    no handedness)."""
    box = grid.box
    lo = np.array([0.0, 0.0, float(box[2][0])])
    hi = np.array([float(grid.shape[0]), float(grid.shape[1]), float(box[2][1])])
    centre_index = (lo + hi - 1.0) / 2.0
    spacing = grid.spacing
    size = (hi - lo) * spacing
    axes = grid.affine[:3, :3] / spacing
    if np.linalg.det(axes) < 0:
        axes = axes.copy()
        axes[:, 2] *= -1.0
    return grid.points_to_world(centre_index), size, axes


def show_window(roi: Any, grid: ModelGrid) -> None:
    """Set the ROI to the model window of ``grid``."""
    import vtk

    centre, size, axes = window_box(grid)
    matrix = vtk.vtkMatrix4x4()
    for r in range(3):
        for c in range(3):
            matrix.SetElement(r, c, float(axes[r, c]))
    was_modifying = roi.StartModify()
    roi.SetAndObserveObjectToNodeMatrix(matrix)
    roi.SetCenter(*(float(v) for v in centre))
    roi.SetSize(*(float(v) for v in size))
    roi.EndModify(was_modifying)
