"""A user-given LV centre (``--lv-center R,A,S``, a cohort manifest, the Slicer markup point): checked and turned into
the same :class:`~CineMALib.locate.LVLocation` the automatic search gives, so the rest of the analysis is unchanged.

Kept outside :mod:`CineMALib.analysis` so ``cinema info`` does not import torch for it. Why check it against the
image: a centre typed in the wrong convention (LPS instead of RAS, voxels instead of mm)
lands outside the stack; cropping there would analyse air. The error names the study, the point and the extent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.locate import LVLocation
from CineMALib.provenance import format_ras
from CineMALib.study import CineView, voxel_to_world, world_to_voxel

#: How far (in slices) beyond the first or last SAX slice a given centre may lie.
SLICE_MARGIN = 0.5


def parse_centre(text: str, what: str = "--lv-center") -> tuple[float, float, float]:
    """``"R,A,S"`` (world mm, RAS) as three floats, or a :class:`ValueError` saying what is wrong."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{what} {text!r}: expected three numbers R,A,S in world mm (RAS), e.g. 12.5,-40,33")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(f"{what} {text!r}: R, A and S must be numbers (world mm, RAS)") from None
    if not all(np.isfinite(values)):
        raise ValueError(f"{what} {text!r}: R, A and S must be finite")
    return values  # type: ignore[return-value]


def user_location(view: CineView, centre_world: Sequence[float], source: object = None) -> LVLocation:
    """The LV location of a user-given centre (RAS mm) on ``view``; raises when it lies outside the stack."""
    centre = np.asarray(centre_world, dtype=float).reshape(3)
    voxel = world_to_voxel(view.affine, centre)
    shape = view.shape
    inside = all(-0.5 <= voxel[a] <= shape[a] - 0.5 for a in range(2)) and \
        -0.5 - SLICE_MARGIN <= voxel[2] <= shape[2] - 0.5 + SLICE_MARGIN
    if not inside:
        corners = [voxel_to_world(view.affine, np.array(c, dtype=float)) for c in
                   ((0, 0, 0), (shape[0] - 1, shape[1] - 1, shape[2] - 1))]
        raise CineMAInputError(source, (
            f"the given LV centre RAS ({format_ras(centre)}) mm lies outside the {view.name} images (voxel "
            f"{', '.join(f'{v:.1f}' for v in voxel)} of a {' x '.join(map(str, shape))} grid, corners RAS "
            f"({format_ras(corners[0])}) to ({format_ras(corners[1])}) mm); give it in world mm, RAS (as Slicer "
            "shows), not LPS or voxels"))
    return LVLocation(center_voxel=voxel, center_world=centre, confidence=1.0, method="user-given", cue="user")
