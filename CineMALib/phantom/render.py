"""bSSFP-like image formation for one plane stack: tissue intensities averaged over sub-planes through the slice
thickness (through-slice partial volume), a small in-plane point-spread, smooth coil shading and Rician noise.
Labels are taken on the slice-centre plane only, as a human contour on that image would be.

Speed: the static torso is classified once per view; only points inside the heart's bounding box are re-classified
each frame, all in float32 numpy.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from CineMALib.phantom.anatomy import HeartFrame, HeartShapes
from CineMALib.phantom.geometry import PlaneStack
from CineMALib.phantom.params import ImagingParams
from CineMALib.phantom.tissue import AORTA_LENGTH_MM, classify_heart, classify_torso, intensity_lut

MAX_GREY = 4095.0  # 12-bit scanner range; images are integer-valued grey levels stored as float32


def subplane_offsets(thickness: float, n_sub: int) -> np.ndarray:
    """Centres of ``n_sub`` equal bins across the slice profile (odd n_sub includes the centre plane)."""
    return (np.arange(n_sub) - 0.5 * (n_sub - 1)) * thickness / n_sub


def _stratified_jitter(stack: PlaneStack, n_sub: int, rng: np.random.Generator) -> np.ndarray:
    """Per-voxel random shifts (n_sub, nx, ny, nz, 1) within each sub-plane's bin, zero on the centre plane.

    Why: a fixed set of sub-planes cuts thin or slanted structures (valve leaflets, the tricuspid plane) into
    visible bands; stratified jitter turns that aliasing into noise, like a smooth slice profile would."""
    step = stack.thickness / n_sub
    jitter = rng.uniform(-0.5 * step, 0.5 * step, (n_sub, *stack.shape, 1)).astype(np.float32)
    jitter[n_sub // 2] = 0.0  # labels are read on the exact slice-centre plane
    return jitter


def heart_box(shapes: HeartShapes) -> tuple[np.ndarray, np.ndarray]:
    """Heart-frame bounds (lo, hi) holding every cardiac structure in every frame, with a margin."""
    margin = shapes.fat + shapes.rv_wall + 6.0
    x_lo = float(np.min(shapes.rv_x - shapes.rv_ax)) - margin
    x_hi = float(np.max(shapes.epi_ax)) + margin
    y_ext = float(max(np.max(shapes.epi_ay), np.max(np.abs(shapes.rv_y) + shapes.rv_ay))) + margin
    ao_reach = AORTA_LENGTH_MM * float(np.hypot(shapes.aorta_dir[0], shapes.aorta_dir[1])) + shapes.aorta_radius
    x_lo = min(x_lo, shapes.aorta_root_xy[0] - ao_reach - 4.0)
    y_lo = min(-y_ext, shapes.aorta_root_xy[1] - ao_reach - 4.0)
    z_hi = AORTA_LENGTH_MM * float(shapes.aorta_dir[2]) + 6.0
    z_hi = max(z_hi, float(np.max(shapes.la_semi[:, 2])) * 1.75 + 4.0)
    lo = np.array([x_lo, y_lo, shapes.z_apex_epi - margin])
    hi = np.array([x_hi, y_ext, z_hi])
    return lo, hi


def coil_field(world: np.ndarray, centre: np.ndarray, imaging: ImagingParams) -> np.ndarray:
    """Smooth multiplicative receive-coil shading: a linear gradient plus a mild fall-off from the heart."""
    rel = (world - centre) / 200.0
    field = 1.0 + imaging.coil_strength * (rel @ imaging.coil_gradient) - 0.15 * np.sum(rel**2, axis=-1)
    return np.clip(field, 0.4, 1.6).astype(np.float32)


def render_view(stack: PlaneStack, frame: HeartFrame, shapes: HeartShapes, torso: dict[str, float],
                imaging: ImagingParams, n_sub: int, noise_rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(image float32 (x, y, z, t) integer grey levels, labels uint8 (x, y, z, t)) of one view over all frames."""
    nx, ny, nz = stack.shape
    n_vox = nx * ny * nz
    n_frames = shapes.n_frames
    offsets = subplane_offsets(stack.thickness, n_sub)
    jitter = _stratified_jitter(stack, n_sub, noise_rng)
    world = (stack.points(offsets) + jitter * stack.normal.astype(np.float32)).reshape(-1, 3)
    torso_cls = classify_torso(world, torso)
    heart_normal = (frame.rotation.T @ stack.normal).astype(np.float32)
    heart_pts = (stack.points(offsets, frame.rotation, frame.origin) + jitter * heart_normal).reshape(-1, 3)
    lo, hi = heart_box(shapes)
    in_box = np.all((heart_pts >= lo) & (heart_pts <= hi), axis=1)
    idx = np.nonzero(in_box)[0]
    pts = np.ascontiguousarray(heart_pts[idx])
    centre_slab = slice((n_sub // 2) * n_vox, (n_sub // 2 + 1) * n_vox)
    lut = intensity_lut(imaging.contrast)
    image = np.empty((nx, ny, nz, n_frames), dtype=np.float32)
    labels = np.zeros((nx, ny, nz, n_frames), dtype=np.uint8)
    for t in range(n_frames):
        cls = torso_cls.copy()
        heart_cls, heart_lab = classify_heart(pts, shapes, t)
        painted = heart_cls != 0
        cls[idx[painted]] = heart_cls[painted]
        lab = np.zeros(cls.shape, dtype=np.uint8)
        lab[idx] = heart_lab
        image[..., t] = lut[cls].reshape(n_sub, nx, ny, nz).mean(axis=0)
        labels[..., t] = lab[centre_slab].reshape(nx, ny, nz)
    return _acquire(image, stack, world[centre_slab], frame.to_world(np.zeros(3)), imaging, noise_rng), labels


def _acquire(ideal: np.ndarray, stack: PlaneStack, centre_world: np.ndarray, coil_centre: np.ndarray,
             imaging: ImagingParams, rng: np.random.Generator) -> np.ndarray:
    """Point-spread, coil shading, scaling to scanner grey levels, Rician noise, rounding."""
    sigma_px = (imaging.blur_px, imaging.blur_px * stack.spacing[0] / stack.spacing[1], 0.0, 0.0)
    img = gaussian_filter(ideal, sigma=sigma_px, mode="nearest")
    shading = coil_field(centre_world, coil_centre, imaging).reshape(stack.shape)
    img *= shading[..., None] * np.float32(imaging.signal_scale)
    sigma = np.float32(imaging.noise_sigma * imaging.signal_scale)
    real = img + sigma * rng.standard_normal(img.shape, dtype=np.float32)
    imag = sigma * rng.standard_normal(img.shape, dtype=np.float32)
    mag = np.sqrt(real * real + imag * imag)
    return np.clip(np.rint(mag), 0.0, MAX_GREY).astype(np.float32)
