"""Volume node <-> numpy in CineMALib's convention: arrays indexed (i, j, k), affine = the node's IJKToRAS.

Why a module of its own: VTK image arrays come out as (k, j, i[, component]) and forgetting the transpose silently
swaps axes; every conversion in the adapter goes through these four functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def affine_of(volume_node: Any) -> np.ndarray:
    """The node's voxel (i, j, k) -> RAS mm matrix as a 4x4 numpy array."""
    import vtk

    matrix = vtk.vtkMatrix4x4()
    volume_node.GetIJKToRASMatrix(matrix)
    return np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)], dtype=float)


def set_affine(volume_node: Any, affine: np.ndarray) -> None:
    """Set spacing, origin and directions of ``volume_node`` from a voxel -> RAS affine."""
    import vtk

    matrix = vtk.vtkMatrix4x4()
    for r in range(4):
        for c in range(4):
            matrix.SetElement(r, c, float(affine[r, c]))
    volume_node.SetIJKToRASMatrix(matrix)


def array_ijk(volume_node: Any) -> np.ndarray:
    """A copy of the voxels as (i, j, k) or, for multi-component images, (i, j, k, component).

    Read from the image data itself: ``slicer.util.arrayFromVolume`` decides by node class, and a scalar volume
    holding one component per frame (how MultiVolume importers fill it) would not reshape there.
    """
    from vtk.util import numpy_support

    image = volume_node.GetImageData()
    components = image.GetNumberOfScalarComponents()
    shape = tuple(reversed(image.GetDimensions())) + ((components,) if components > 1 else ())
    kji = np.array(numpy_support.vtk_to_numpy(image.GetPointData().GetScalars()), copy=True).reshape(shape)
    return kji.transpose(2, 1, 0) if kji.ndim == 3 else kji.transpose(2, 1, 0, 3)


def set_array_ijk(volume_node: Any, data_ijk: np.ndarray, affine: np.ndarray) -> None:
    """Fill ``volume_node`` with an (i, j, k) array and its affine (works for nodes not yet in a scene)."""
    import slicer

    slicer.util.updateVolumeFromArray(volume_node, np.ascontiguousarray(np.asarray(data_ijk).transpose(2, 1, 0)))
    set_affine(volume_node, affine)
