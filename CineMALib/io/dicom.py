"""DICOM folders from any vendor -> named cine volumes: group, stack, order, merge, then build the voxel->RAS grid.

Rules (each chosen so the result does not depend on file names or file order):

* Images are grouped by SeriesInstanceUID, then by orientation (ImageOrientationPatient) inside a series, so a
  series holding several planes gives several stacks. Inside one orientation the matrix (Rows, Columns) and the
  PixelSpacing must agree; otherwise the series is refused ("inconsistent matrix sizes").
* Slices are ordered by their position along the plane normal (ImagePositionPatient . (row x column direction)),
  ascending, so z grows along the normal; phases inside a slice by TriggerTime, then InstanceNumber. Every slice
  must have the same number of phases.
* Single-frame stacks (no cine) and localisers are skipped with a warning, not an error.
* SAX stacks stored as one series per slice are merged into one stack when two or more single-slice cine series
  share orientation, matrix, spacing, frame count and FrameOfReferenceUID, lie at distinct positions, and are not
  described as long-axis views.
* Two series of *different* views in one folder give two views. Two series that both look like the *same* view
  (e.g. two SAX stacks) are ambiguous: that is an error asking for a view->path mapping or separate folders.
* A series that cannot be used (no position tags, inconsistent matrices, unequal phase counts) is skipped with a
  warning when other cine series remain, and is the error otherwise.

Geometry: array x = DICOM column index, y = row index (data[i, j] = pixel_array[j, i]), z = slice order; the LPS
affine has columns row-direction * column spacing, column-direction * row spacing, and the mean slice step vector,
and is converted to RAS with :func:`CineMALib.study.lps_to_ras`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.io.dicom_refs import refs_from_slices
from CineMALib.io.dicom_scan import FrameRecord, iter_pixels
from CineMALib.io.guards import check_affine, check_spacing, check_voxels
from CineMALib.io.viewnames import says_localiser, view_from_text
from CineMALib.io.volume import Volume
from CineMALib.study import lps_to_ras

POSITION_TOL_MM = 0.05


@dataclass(eq=False)
class Stack:
    """Frames of one cine plane set: ``slices[k][t]`` ordered along the normal and in time."""

    slices: list[list[FrameRecord]]
    positions: np.ndarray  # (z,) mm along the normal
    label: str

    @property
    def first(self) -> FrameRecord:
        return self.slices[0][0]

    @property
    def n_slices(self) -> int:
        return len(self.slices)

    @property
    def n_phases(self) -> int:
        return len(self.slices[0])

    @property
    def normal(self) -> np.ndarray:
        return self.first.normal

    @property
    def description(self) -> str:
        return self.first.description


def series_label(rec: FrameRecord) -> str:
    number = f"series {rec.series_number}" if rec.series_number is not None else f"series {rec.series_uid[-12:]}"
    return f"{number} {rec.description!r}" if rec.description else number


def group_by_series(records: list[FrameRecord]) -> dict[str, list[FrameRecord]]:
    """Records per SeriesInstanceUID, duplicates (same SOPInstanceUID and frame) dropped."""
    seen: set[tuple[str, int | None]] = set()
    groups: dict[str, list[FrameRecord]] = {}
    for rec in records:
        sop = str(rec.header.get("SOPInstanceUID", "") or rec.path)
        if (sop, rec.frame) in seen:
            continue
        seen.add((sop, rec.frame))
        groups.setdefault(rec.series_uid, []).append(rec)
    return groups


def split_by_orientation(records: list[FrameRecord]) -> list[list[FrameRecord]]:
    """Records of one series split by ImageOrientationPatient (1e-3 tolerance); refuses missing geometry."""
    groups: list[tuple[np.ndarray, list[FrameRecord]]] = []
    for rec in records:
        if rec.iop is None or rec.ipp is None:
            raise CineMAInputError(rec.path, "DICOM image without ImagePositionPatient/ImageOrientationPatient: "
                                             "it cannot be placed in space")
        if np.linalg.norm(np.cross(rec.iop[:3], rec.iop[3:])) < 0.5:
            raise CineMAInputError(rec.path, f"ImageOrientationPatient {tuple(rec.iop)} is degenerate")
        for iop, members in groups:
            if np.allclose(iop, rec.iop, atol=1e-3):
                members.append(rec)
                break
        else:
            groups.append((rec.iop, [rec]))
    return [members for _, members in groups]


def build_stack(records: list[FrameRecord]) -> Stack:
    """One orientation group -> a stack ordered by position along the normal, then by trigger time."""
    first = records[0]
    for rec in records:
        if (rec.rows, rec.cols) != (first.rows, first.cols):
            raise CineMAInputError(rec.path, f"inconsistent matrix sizes within {series_label(first)}: "
                                             f"{rec.rows}x{rec.cols} here, {first.rows}x{first.cols} in "
                                             f"{first.where}")
        if rec.pixel_spacing is None:
            raise CineMAInputError(rec.path, "DICOM image without PixelSpacing: its size in mm is unknown")
        if not np.allclose(rec.pixel_spacing, first.pixel_spacing, rtol=1e-3):
            raise CineMAInputError(rec.path, f"inconsistent PixelSpacing within {series_label(first)}: "
                                             f"{tuple(rec.pixel_spacing)} here, {tuple(first.pixel_spacing)} in "
                                             f"{first.where}")
    check_spacing(first.path, first.pixel_spacing)
    normal = first.normal
    dist = np.array([float(rec.ipp @ normal) for rec in records])
    order = np.argsort(dist, kind="stable")
    slices: list[list[FrameRecord]] = []
    positions: list[float] = []
    for idx in order:
        if not positions or dist[idx] - positions[-1] > POSITION_TOL_MM:
            slices.append([])
            positions.append(float(dist[idx]))
        slices[-1].append(records[idx])
    for frames in slices:
        timed = all(f.trigger_time is not None for f in frames)
        frames.sort(key=lambda f: ((f.trigger_time if timed else 0.0), f.instance_number, f.frame or 0))
    counts = sorted({len(s) for s in slices})
    if len(counts) > 1:
        raise CineMAInputError(first.path.parent, f"{series_label(first)}: slices have different numbers of "
                                                  f"phases ({', '.join(map(str, counts))})")
    return Stack(slices=slices, positions=np.asarray(positions), label=series_label(first))


def is_localiser(stack: Stack) -> bool:
    return "LOCALIZER" in stack.first.image_type or says_localiser(stack.description)


def merge_single_slice_series(stacks: list[Stack]) -> list[Stack]:
    """Merge parallel single-slice cine series (one series per SAX slice) into stacks; others pass through."""
    singles = [s for s in stacks if s.n_slices == 1 and view_from_text(s.description) in (None, "sax")]
    rest = [s for s in stacks if s not in singles]
    groups: list[list[Stack]] = []
    for s in singles:
        for group in groups:
            ref = group[0].first
            rec = s.first
            same_frame = not (ref.frame_of_reference and rec.frame_of_reference) or \
                ref.frame_of_reference == rec.frame_of_reference
            if (np.allclose(ref.iop, rec.iop, atol=1e-3) and (ref.rows, ref.cols) == (rec.rows, rec.cols)
                    and np.allclose(ref.pixel_spacing, rec.pixel_spacing, rtol=1e-3)
                    and group[0].n_phases == s.n_phases and same_frame
                    and all(abs(float(rec.ipp @ ref.normal) - float(g.first.ipp @ ref.normal)) > POSITION_TOL_MM
                            for g in group)):
                group.append(s)
                break
        else:
            groups.append([s])
    merged = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        normal = group[0].normal
        group.sort(key=lambda g: float(g.first.ipp @ normal))
        names = ", ".join(g.label for g in group[:3]) + (", ..." if len(group) > 3 else "")
        label = f"{len(group)} single-slice series merged ({names})"
        merged.append(Stack(slices=[g.slices[0] for g in group],
                            positions=np.array([float(g.first.ipp @ normal) for g in group]), label=label))
    return rest + merged


def stacks_from_records(records: list[FrameRecord], where: Path) -> list[Stack]:
    """Usable cine stacks of a folder; skipped series are warned about, an error only when nothing is left."""
    stacks: list[Stack] = []
    problems: list[CineMAInputError] = []
    for series in group_by_series(records).values():
        try:
            groups = split_by_orientation(series)
            built = [build_stack(g) for g in groups]
        except CineMAInputError as err:
            problems.append(err)
            continue
        for stack in built:
            if is_localiser(stack):
                warnings.warn(f"{where}: skipping {stack.label}: a localiser, not a cine", stacklevel=3)
            elif stack.n_phases < 2:
                warnings.warn(f"{where}: skipping {stack.label}: one frame per slice, not a cine", stacklevel=3)
            else:
                stacks.append(stack)
    if not stacks:
        if problems:
            raise problems[0]
        raise CineMAInputError(where, "no cine series found (only single-frame images or localisers)")
    for err in problems:
        warnings.warn(f"skipping an unusable series: {err}", stacklevel=3)
    merged = merge_single_slice_series(stacks)
    return sorted(merged, key=lambda s: (s.first.series_number is None, s.first.series_number or 0, s.label))


def stack_affine(stack: Stack) -> np.ndarray:
    """Voxel->RAS affine of a stack (see the module docstring)."""
    first = stack.first
    row_dir, col_dir = first.iop[:3], first.iop[3:]
    row_spacing, col_spacing = first.pixel_spacing
    if stack.n_slices > 1:
        ipps = np.array([s[0].ipp for s in stack.slices])
        step = (ipps[-1] - ipps[0]) / (stack.n_slices - 1)
        gaps = np.diff(stack.positions)
        if gaps.max() - gaps.min() > max(0.5, 0.1 * gaps.mean()):
            warnings.warn(f"{stack.label}: uneven slice spacing ({gaps.min():.2f}-{gaps.max():.2f} mm); "
                          f"using the mean {gaps.mean():.2f} mm", stacklevel=3)
    else:
        thickness = first.slice_thickness or _float_tag(first, "SpacingBetweenSlices") or 1.0
        step = first.normal * thickness
    aff = np.eye(4)
    aff[:3, 0] = row_dir * col_spacing
    aff[:3, 1] = col_dir * row_spacing
    aff[:3, 2] = step
    aff[:3, 3] = stack.slices[0][0].ipp
    ras = lps_to_ras(aff)
    check_affine(first.path, ras)
    return ras


def _float_tag(rec: FrameRecord, key: str) -> float | None:
    try:
        value = float(rec.header.get(key))
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) and value > 0 else None


def stack_times(stack: Stack) -> np.ndarray | None:
    """Per-phase trigger time (ms): the median over slices; None when missing or not increasing."""
    if any(f.trigger_time is None for s in stack.slices for f in s):
        return None
    times = np.median(np.array([[f.trigger_time for f in s] for s in stack.slices], dtype=float), axis=0)
    if np.any(np.diff(times) <= 0):
        warnings.warn(f"{stack.label}: trigger times do not increase; ignoring them", stacklevel=3)
        return None
    return times


def stack_to_volume(stack: Stack) -> Volume:
    """Pixels of a stack as an (x, y, z, t) float32 :class:`Volume`."""
    first = stack.first
    where = {id(rec): (k, t) for k, frames in enumerate(stack.slices) for t, rec in enumerate(frames)}
    data = np.empty((first.cols, first.rows, stack.n_slices, stack.n_phases), dtype=np.float32)
    flat = [f for s in stack.slices for f in s]
    for rec, img in iter_pixels(flat):
        k, t = where[id(rec)]
        data[:, :, k, t] = img.T
    check_voxels(first.path.parent, data)
    sources = tuple(dict.fromkeys(f.path for f in flat))
    return Volume(data=data, affine=stack_affine(stack), trigger_times_ms=stack_times(stack), sources=sources,
                  view_hint=view_from_text(stack.description), label=stack.label,
                  dicom_refs=refs_from_slices(stack.slices))
