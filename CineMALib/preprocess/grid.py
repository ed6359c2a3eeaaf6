"""The model grid: where the released CineMA models want their voxels, as an invertible resampling.

Why a grid object and not a resample-then-crop pipeline: every model output (labels, logits, landmarks) must go
back onto the user's original grid, which may be oblique and anisotropic. Keeping one voxel -> RAS affine for the
model grid next to the source affine makes both directions exact point mappings, whatever the geometry.

Convention reproduced from the official preprocessing (``cinema/data/sitk.py`` as described in
``docs/cinema-model.md`` §4):

* Resampled grid: same direction as the source, spacing 1 x 1 x 10 mm (SAX) or 1 x 1 mm in-plane with the
  through-plane spacing kept (LAX), size ``round(size * spacing / target)`` (numpy rounding), origin shifted by
  ``0.5 * (target - source)`` spacing so that the outer voxel corners of the two grids coincide. The official code
  adds that shift to the LPS world components; this is the same along the index axes when the direction is the
  identity (ACDC). ``origin_shift="itk_world"`` reproduces the world-component form exactly; the default
  ``"index"`` applies it along the index axes, which keeps the field of view for oblique stacks.
* The model grid is an integer sub-window of the resampled grid: in-plane 192 x 192 (SAX) or 256 x 256 (LAX) with
  start ``ceil(c - N / 2)`` around the centre's resampled index ``c`` (the official bounding-box crop). With
  ``clamp_to_image`` the window is shifted to stay inside a larger image (as officially) or to contain a smaller
  image whole (officially such an image is padded at the end only). SAX depth: start 0, i.e. padded at the end to
  16; a deeper stack is cropped to 16 slices around the centre with a warning.
* No re-orientation: the model axes are the source index axes, only the spacing changes.
* Sampling matches ``sitk.Resample`` with linear interpolation: a point within half a voxel outside the outer
  voxel centres takes the edge value; beyond that the value is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import ndimage

from CineMALib.study import CineView, spacing_from_affine, voxel_to_world, world_to_voxel

SAX_SPACING_MM: tuple[float, float, float] = (1.0, 1.0, 10.0)
SAX_SHAPE: tuple[int, int, int] = (192, 192, 16)
LAX_INPLANE_SPACING_MM: tuple[float, float] = (1.0, 1.0)
LAX_SHAPE: tuple[int, int] = (256, 256)
OriginShift = Literal["index", "itk_world"]
_EPS = 1e-6


def _as_shape3(shape: tuple[int, ...]) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise ValueError(f"expected a 3-D spatial shape, got {shape}")
    return (int(shape[0]), int(shape[1]), int(shape[2]))


def _inside(coords: np.ndarray, shape: tuple[int, ...], low: np.ndarray | float, high: np.ndarray | float
            ) -> np.ndarray:
    """Points of ``coords`` (3, ...) within [-low, size - 1 + high] on every axis (margins in voxels)."""
    expand = (3, *([1] * (coords.ndim - 1)))
    size = np.asarray(shape, dtype=float).reshape(expand)
    low = np.broadcast_to(np.asarray(low, dtype=float), (3,)).reshape(expand)
    high = np.broadcast_to(np.asarray(high, dtype=float), (3,)).reshape(expand)
    return np.all((coords >= -low - _EPS) & (coords <= size - 1 + high + _EPS), axis=0)


def _sample(volume: np.ndarray, coords: np.ndarray, order: int, low: np.ndarray | float = 0.5,
            high: np.ndarray | float = 0.5) -> np.ndarray:
    """Interpolate ``volume`` at continuous indices ``coords`` (3, ...); points beyond the margins (voxels outside
    the outer voxel centres) get 0, points inside them take the edge value (ITK's convention for 0.5)."""
    inside = _inside(coords, volume.shape, low, high)
    out = ndimage.map_coordinates(np.asarray(volume, dtype=np.float32), coords, order=order, mode="nearest",
                                  prefilter=False)
    out[~inside] = 0
    return out


@dataclass(frozen=True)
class ModelGrid:
    """The model-input grid of one view, with the source grid it was cut from.

    ``affine`` maps a model voxel index (i, j, k) to RAS mm, ``shape`` is the model array shape (x, y, z) with
    z = 1 for long-axis views; ``source_affine``/``source_shape`` are the view's own. ``warning`` says when the
    stack did not fit (depth cropped).
    """

    affine: np.ndarray
    shape: tuple[int, int, int]
    source_affine: np.ndarray
    source_shape: tuple[int, int, int]
    view: str = ""
    warning: str | None = None
    image_extent: tuple[tuple[int, int], ...] | None = None

    @property
    def extent(self) -> tuple[tuple[int, int], ...]:
        """Per axis [start, stop) of the whole resampled image in model indices (may reach past the window)."""
        return self.image_extent if self.image_extent is not None else tuple((0, n) for n in self.shape)

    @property
    def box(self) -> tuple[tuple[int, int], ...]:
        """Per axis [start, stop) of the model voxels that hold resampled image (outside: padding)."""
        return tuple((max(lo, 0), min(hi, n)) for (lo, hi), n in zip(self.extent, self.shape))

    @property
    def spacing(self) -> np.ndarray:
        """Model voxel size (mm) along i, j, k."""
        return spacing_from_affine(self.affine)

    @property
    def is_2d(self) -> bool:
        """True for a long-axis (single-plane) grid, whose model tensor is (B, C, X, Y)."""
        return self.shape[2] == 1

    # ---- point mappings -------------------------------------------------------------------------------------
    def _xyz(self, points: np.ndarray) -> np.ndarray:
        """Long-axis model points may come as (..., 2) (x, y): they lie on the plane, z = 0."""
        points = np.asarray(points, dtype=float)
        if self.is_2d and points.shape[-1] == 2:
            points = np.concatenate([points, np.zeros((*points.shape[:-1], 1))], axis=-1)
        return points

    def _with_depth(self, array: np.ndarray, lead: int) -> np.ndarray:
        """Long-axis model outputs may come without the depth axis ((C,) X, Y): add it back."""
        if self.is_2d and array.ndim == lead + 2 and tuple(array.shape[lead:]) == self.shape[:2]:
            return array[..., np.newaxis]
        return array

    def points_to_world(self, model_voxel_xyz: np.ndarray) -> np.ndarray:
        """(..., 3) model voxel indices (or (..., 2) on a long-axis grid) -> (..., 3) RAS mm."""
        return voxel_to_world(self.affine, self._xyz(model_voxel_xyz))

    def world_to_points(self, world_xyz: np.ndarray) -> np.ndarray:
        """(..., 3) RAS mm -> (..., 3) continuous model voxel indices."""
        return world_to_voxel(self.affine, world_xyz)

    def points_to_source_voxel(self, model_voxel_xyz: np.ndarray) -> np.ndarray:
        """(..., 3) model voxel indices (or (..., 2) on a long-axis grid) -> (..., 3) continuous source indices."""
        return world_to_voxel(self.source_affine, self.points_to_world(model_voxel_xyz))

    def source_voxel_to_points(self, source_voxel_xyz: np.ndarray) -> np.ndarray:
        """(..., 3) indices in the view's own grid -> (..., 3) continuous model voxel indices."""
        return self.world_to_points(voxel_to_world(self.source_affine, source_voxel_xyz))

    # ---- coordinate fields ----------------------------------------------------------------------------------
    def _source_coords(self) -> np.ndarray:
        """(3, X, Y, Z) source indices of every model voxel centre."""
        m = np.linalg.inv(self.source_affine) @ self.affine
        grid = np.indices(self.shape, dtype=float)
        return np.einsum("ab,b...->a...", m[:3, :3], grid) + m[:3, 3].reshape(3, 1, 1, 1)

    def _model_coords(self) -> np.ndarray:
        """(3, *source_shape) model indices of every source voxel centre."""
        m = np.linalg.inv(self.affine) @ self.source_affine
        grid = np.indices(self.source_shape, dtype=float)
        return np.einsum("ab,b...->a...", m[:3, :3], grid) + m[:3, 3].reshape(3, 1, 1, 1)

    def _pull_back(self, channels: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
        """Sample (C, X, Y, Z) model channels at the source voxel centres, from the valid box only.

        Returns (C, *source_shape) values and the bool mask of source voxels covered. At an edge of the image a
        source voxel up to one model voxel beyond the outer centres takes the edge value, so the last thin source
        slice that the 10 mm grid rounds off is not dropped; where the window cut the image only the half voxel
        the edge voxel covers counts. Padding is never read.
        """
        box = self.box
        if any(hi <= lo for lo, hi in box):  # the window holds no image at all
            return (np.zeros((channels.shape[0], *self.source_shape), dtype=np.float32),
                    np.zeros(self.source_shape, dtype=bool))
        sub = channels[(slice(None), *(slice(lo, hi) for lo, hi in box))]
        coords = self._model_coords() - np.array([lo for lo, _ in box], dtype=float).reshape(3, 1, 1, 1)
        # a full model voxel of slack at an image edge, half a voxel (the voxel itself) where the window cut
        low = np.array([1.0 if e_lo >= 0 else 0.5 for e_lo, _ in self.extent])
        high = np.array([1.0 if e_hi <= n else 0.5 for (_, e_hi), n in zip(self.extent, self.shape)])
        inside = _inside(coords, sub.shape[1:], low, high)
        out = np.stack([_sample(c, coords, order, low, high) for c in sub])
        return out, inside

    def box_mask(self) -> np.ndarray:
        """(X, Y, Z) bool: the valid box (resampled image inside the window; outside is the official padding)."""
        mask = np.zeros(self.shape, dtype=bool)
        mask[tuple(slice(lo, hi) for lo, hi in self.box)] = True
        return mask

    def fov_mask(self) -> np.ndarray:
        """(X, Y, Z) bool: model voxels inside the valid box whose centre lies inside the source image."""
        coords = self._source_coords()
        shape = np.asarray(self.source_shape, dtype=float).reshape(3, 1, 1, 1)
        return self.box_mask() & np.all((coords >= -0.5 - _EPS) & (coords <= shape - 0.5 + _EPS), axis=0)

    # ---- resampling -----------------------------------------------------------------------------------------
    def to_model(self, frame3d: np.ndarray, order: int = 1) -> np.ndarray:
        """Resample one (x, y, z) source frame onto the model grid (linear by default; 0 = nearest for labels).

        Voxels outside the source field of view or outside the valid box (padding) are 0.
        """
        if tuple(frame3d.shape) != self.source_shape:
            raise ValueError(f"frame shape {frame3d.shape} does not match the source grid {self.source_shape}")
        out = _sample(frame3d, self._source_coords(), order).astype(np.float32)
        out[~self.box_mask()] = 0
        return out

    def probabilities_to_source(self, channels: np.ndarray) -> np.ndarray:
        """Linearly resample (C, X, Y, Z) model-grid channels ((C, X, Y) on a long-axis grid) onto the source
        grid -> (C, *source_shape). Source voxels outside the model grid's image box get channel 0 = 1 and the
        others 0 (background).
        """
        channels = self._with_depth(np.asarray(channels, dtype=np.float32), lead=1)
        if channels.ndim != 4 or tuple(channels.shape[1:]) != self.shape:
            raise ValueError(f"expected (C, {', '.join(map(str, self.shape))}) channels, got {channels.shape}")
        out, inside = self._pull_back(channels, order=1)
        out[:, ~inside] = 0
        out[0, ~inside] = 1
        return out

    def logits_to_source(self, logits: np.ndarray) -> np.ndarray:
        """(C, X, Y, Z) model logits ((C, X, Y) on a long-axis grid) -> uint8 labels on the source grid.

        Softmax first, then linear resampling of the probabilities, then argmax: smoother and more faithful
        than nearest-neighbour label pull-back when the source is finer than 10 mm through-plane. (For
        probabilities, call :meth:`probabilities_to_source` and take the argmax.)
        """
        logits = self._with_depth(np.asarray(logits, dtype=np.float64), lead=1)
        probs = np.exp(logits - logits.max(axis=0, keepdims=True))
        probs /= probs.sum(axis=0, keepdims=True)
        return np.argmax(self.probabilities_to_source(probs.astype(np.float32)), axis=0).astype(np.uint8)

    def labels_to_source(self, labels_model: np.ndarray) -> np.ndarray:
        """Nearest-neighbour pull-back of (X, Y, Z) model labels ((X, Y) on a long-axis grid) onto the source
        grid (uint8)."""
        labels_model = self._with_depth(np.asarray(labels_model), lead=0)
        if tuple(labels_model.shape) != self.shape:
            raise ValueError(f"label shape {labels_model.shape} does not match the model grid {self.shape}")
        out, inside = self._pull_back(labels_model[np.newaxis].astype(np.float32), order=0)
        return np.where(inside, np.rint(out[0]), 0).astype(np.uint8)


def resampled_geometry(source_affine: np.ndarray, source_shape: tuple[int, int, int],
                       target_spacing: tuple[float, float, float],
                       origin_shift: OriginShift = "index") -> tuple[np.ndarray, tuple[int, int, int]]:
    """Affine and shape of the whole source resampled to ``target_spacing`` (official convention, see module)."""
    source_affine = np.asarray(source_affine, dtype=float)
    spacing = spacing_from_affine(source_affine)
    target = np.asarray(target_spacing, dtype=float)
    direction = source_affine[:3, :3] / spacing
    size = tuple(max(1, int(np.round(n * s / t))) for n, s, t in zip(source_shape, spacing, target))
    shift = 0.5 * (target - spacing)
    affine = np.eye(4)
    affine[:3, :3] = direction * target
    if origin_shift == "index":
        affine[:3, 3] = source_affine[:3, 3] + direction @ shift
    elif origin_shift == "itk_world":
        affine[:3, 3] = source_affine[:3, 3] + np.array([-1.0, -1.0, 1.0]) * shift  # LPS components, in RAS
    else:
        raise ValueError(f"origin_shift must be 'index' or 'itk_world', got {origin_shift!r}")
    return affine, size  # type: ignore[return-value]


def _window_start(center: float, size: int, target: int, clamp: bool) -> int:
    """Start of a ``target``-long window around ``center`` (official ``ceil(c - N/2)``), optionally clamped."""
    start = int(math.ceil(center - target / 2.0 - 1e-9))
    if clamp:
        lo, hi = min(0, size - target), max(0, size - target)
        start = min(max(start, lo), hi)
    return start


def _model_grid(view: CineView, center_world: np.ndarray, target_spacing: tuple[float, float, float],
                inplane: tuple[int, int], depth: int | None, clamp_to_image: bool,
                origin_shift: OriginShift) -> ModelGrid:
    res_affine, res_shape = resampled_geometry(view.affine, view.shape, target_spacing, origin_shift)
    center = world_to_voxel(res_affine, np.asarray(center_world, dtype=float).reshape(3))
    starts = [_window_start(center[a], res_shape[a], inplane[a], clamp_to_image) for a in range(2)]
    warning = None
    if depth is None:  # long axis: the single plane
        n_z, start_z = 1, 0
    else:
        n_z = depth
        if res_shape[2] <= depth:
            start_z = 0
        else:
            start_z = _window_start(center[2], res_shape[2], depth, clamp=True)
            warning = (f"view {view.name!r}: {res_shape[2]} slices at {target_spacing[2]:g} mm exceed the model "
                       f"depth {depth}; kept slices {start_z}-{start_z + depth - 1} around the LV centre")
    affine = res_affine.copy()
    start = (starts[0], starts[1], start_z)
    shape = (inplane[0], inplane[1], n_z)
    affine[:3, 3] = voxel_to_world(res_affine, np.array(start, dtype=float))
    extent = tuple((-s, r - s) for s, r in zip(start, res_shape))
    return ModelGrid(affine=affine, shape=shape, source_affine=view.affine.copy(),
                     source_shape=_as_shape3(view.shape), view=view.name, warning=warning, image_extent=extent)


def sax_model_grid(view: CineView, center_world: np.ndarray, *, clamp_to_image: bool = True,
                   origin_shift: OriginShift = "index") -> ModelGrid:
    """Model grid of a short-axis stack: 1 x 1 x 10 mm, 192 x 192 x 16 around the LV centre (RAS mm)."""
    return _model_grid(view, center_world, SAX_SPACING_MM, SAX_SHAPE[:2], SAX_SHAPE[2], clamp_to_image,
                       origin_shift)


def lax_model_grid(view: CineView, center_world: np.ndarray, *, clamp_to_image: bool = True,
                   origin_shift: OriginShift = "index") -> ModelGrid:
    """Model grid of a long-axis plane: 1 x 1 mm in-plane, 256 x 256 around the LV centre projected on it."""
    if not view.is_2d:
        raise ValueError(f"view {view.name!r} has {view.shape[2]} slices; a long-axis view must be one plane")
    through = float(view.spacing[2])
    return _model_grid(view, center_world, (*LAX_INPLANE_SPACING_MM, through), LAX_SHAPE, None, clamp_to_image,
                       origin_shift)
