"""``read_study`` / ``read_view``: any supported path (or a view -> path mapping) to a :class:`CineStudy`.

What a path may be:

* a NIfTI file (.nii/.nii.gz; 3-D single frame or 4-D cine), an NRRD file (.nrrd/.nhdr/.seq.nrrd), or a single
  DICOM file (enhanced or legacy multi-frame);
* a DICOM folder (any vendor; see :mod:`CineMALib.io.dicom` for grouping, ordering, merging and ambiguity rules);
* a folder of NIfTI/NRRD files: label files (``_gt``, ``seg``, ``label``, ``mask`` in the name) are skipped; files
  are grouped by the view their name states; in a group one 4-D file is the cine (3-D files beside it are
  skipped), otherwise the 3-D files are the frames, in natural name order, and must share shape and geometry.

View of a NIfTI/NRRD file: from its name (sax/sa/short, 2ch/lax_2c/vla, 3ch/lvot, 4ch/lax_4c/hla...), else ``sax``
for a multi-slice image and ``lax_4c`` for a single slice, both with a warning. A mapping names views explicitly.
Every failure is a :class:`CineMAInputError` naming the path and the problem; recoverable oddities are warnings.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Union

import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.io.detect import NIFTI_SUFFIXES, NRRD_SUFFIXES, full_suffix, list_folder, sniff_file, sniff_folder
from CineMALib.io.dicom import stack_to_volume, stacks_from_records
from CineMALib.io.dicom_scan import scan
from CineMALib.io.dicom_views import assign_views
from CineMALib.io.metadata import dicom_metadata, sidecar_metadata
from CineMALib.io.guards import check_path
from CineMALib.io.nifti import raw_header, read_nifti, spatial_time_shape
from CineMALib.io.nrrd import nrrd_axes, read_nrrd, read_nrrd_header
from CineMALib.io.viewnames import view_from_text
from CineMALib.io.volume import Volume
from CineMALib.study import VIEW_NAMES, CineStudy, CineView, StudyMetadata

PathLike = Union[str, os.PathLike[str]]  # typing.Union: a runtime alias must run on Python 3.9
_LABEL_NAME = re.compile(r"(?:^|[_\-. ])(?:gt|seg|segmentation|label|labels|labelmap|mask|lab)(?:$|[_\-. ])")


def stem(path: Path) -> str:
    """File name without its (double) extension."""
    suffix = full_suffix(path)
    return path.name[: len(path.name) - len(suffix)] if suffix else path.name


def natural_key(path: Path) -> list[object]:
    """Sort key putting frame2 before frame10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def read_volume_file(path: Path, check_values: bool = True) -> Volume:
    """A NIfTI or NRRD file as a :class:`Volume` with its file-name view hint: the one reader of these formats, for
    images and label maps alike (``check_values=False`` for labels: a blank map is valid there)."""
    kind = sniff_file(path)
    if kind == "dicom":
        raise CineMAInputError(path, "is a DICOM file; read it through the DICOM reader")
    vol = read_nifti(path, check_values) if kind == "nifti" else read_nrrd(path, check_values)
    vol.view_hint = view_from_text(stem(path)) or view_from_text(path.parent.name)
    return vol


def default_view(vol: Volume) -> str:
    """The view of an image whose name says none (with a warning saying so)."""
    if vol.data.shape[2] > 1:
        warnings.warn(f"{vol.label}: no view in the name; a multi-slice image is taken as the short-axis (sax) "
                      "stack", stacklevel=3)
        return "sax"
    warnings.warn(f"{vol.label}: no view in the name of this single-slice image; taking it as lax_4c (name the file "
                  "with 2ch/3ch/4ch or pass a view -> path mapping)", stacklevel=3)
    return "lax_4c"


def read_dicom(files: list[Path], where: Path) -> tuple[dict[str, Volume], StudyMetadata]:
    """Named cine volumes and metadata of DICOM files (a folder's content or one file)."""
    records, skipped = scan(files)
    if not records:
        if len(skipped) == 1:
            bad, problem = next(iter(skipped.items()))
            raise CineMAInputError(bad, problem)
        example = next(iter(skipped.items()), None)
        hint = f" (e.g. {example[0].name}: {example[1]})" if example else ""
        raise CineMAInputError(where, f"no readable DICOM image among {len(files)} files{hint}")
    if skipped:
        name, problem = next(iter(skipped.items()))
        warnings.warn(f"{where}: skipped {len(skipped)} file(s) that are not DICOM images (e.g. {name.name}: "
                      f"{problem})", stacklevel=3)
    stacks = assign_views(stacks_from_records(records, where), where)
    volumes = {view: stack_to_volume(stack) for view, stack in stacks.items()}
    return volumes, dicom_metadata(f.header for s in stacks.values() for sl in s.slices for f in sl)


def _stack_frames(paths: list[Path], where: Path) -> Volume:
    """3-D files of one view as the frames of a cine (natural name order; same shape and geometry)."""
    vols = [read_volume_file(p) for p in sorted(paths, key=natural_key)]
    ref = vols[0]
    for vol in vols[1:]:
        if vol.data.shape != ref.data.shape or not np.allclose(vol.affine, ref.affine, atol=1e-3):
            raise CineMAInputError(where, f"{vol.label} and {ref.label} differ in shape or geometry "
                                          f"({vol.data.shape[:3]} vs {ref.data.shape[:3]}); they cannot be frames "
                                          "of one cine: give one file, or a view -> path mapping")
    if len(vols) > 1:
        warnings.warn(f"{where}: {len(vols)} single-frame files taken as the frames of one cine, in name order "
                      f"({', '.join(v.label for v in vols[:4])}{', ...' if len(vols) > 4 else ''})", stacklevel=3)
    data = np.concatenate([v.data for v in vols], axis=3)
    return Volume(data=data, affine=ref.affine, sources=tuple(p for v in vols for p in v.sources),
                  view_hint=ref.view_hint, label=f"{where.name}/{ref.label}")


def _n_frames(path: Path) -> int:
    """Frames a volume file declares, from its header only."""
    kind = sniff_file(path)
    if kind == "nifti":
        return spatial_time_shape(path, raw_header(path).get_data_shape())[3]
    if kind != "nrrd":
        raise CineMAInputError(path, "is not a NIfTI or NRRD file despite its name")
    header, _ = read_nrrd_header(path)
    _, t_axis = nrrd_axes(path, header)
    return int(header["sizes"][t_axis]) if t_axis is not None else 1


def read_volume_folder(folder: Path) -> dict[str, Volume]:
    """Named cine volumes of a folder of NIfTI/NRRD files (rules in the module docstring)."""
    files = [f for f in list_folder(folder) if full_suffix(f) in NIFTI_SUFFIXES + NRRD_SUFFIXES]
    labels = [f for f in files if _LABEL_NAME.search(stem(f).lower())]
    if labels:
        warnings.warn(f"{folder}: skipping {len(labels)} label file(s) ({', '.join(f.name for f in labels[:3])})",
                      stacklevel=3)
    images = [f for f in files if f not in labels]
    if not images:
        raise CineMAInputError(folder, "no image files (only label files) in the folder")
    groups: dict[str | None, list[Path]] = {}
    for f in images:  # the file name, else its sub-folder's name (e.g. sax/frame01.nii.gz), states the view
        hint = view_from_text(stem(f)) or (view_from_text(f.parent.name) if f.parent != folder else None)
        groups.setdefault(hint, []).append(f)
    named: dict[str, Volume] = {}
    for hint, paths in groups.items():
        cines = [p for p in paths if _n_frames(p) > 1]
        if len(cines) > 1:
            raise CineMAInputError(folder, f"ambiguous: {len(cines)} cine files for view {hint or '(unnamed)'} "
                                           f"({', '.join(p.name for p in cines[:4])}); pass a view -> path mapping")
        if cines and len(paths) > 1:
            warnings.warn(f"{folder}: using the cine {cines[0].name}; skipping {len(paths) - 1} single-frame "
                          "file(s) beside it", stacklevel=3)
        vol = read_volume_file(cines[0]) if cines else _stack_frames(paths, folder)
        view = hint or default_view(vol)
        if view in named:
            raise CineMAInputError(folder, f"ambiguous: two sets of files give the {view} view; name the files "
                                           "by view or pass a view -> path mapping")
        named[view] = vol
    return named


def read_named(path: Path, wanted: str | None = None) -> tuple[dict[str, Volume], StudyMetadata]:
    """Every view a checked path holds, with the metadata found with it; ``wanted`` names an unnamed file."""
    if path.is_dir():
        if sniff_folder(path) == "dicom":
            return read_dicom(list_folder(path), path)
        return read_volume_folder(path), sidecar_metadata(path)
    if sniff_file(path) == "dicom":
        return read_dicom([path], path)
    vol = read_volume_file(path)
    return {vol.view_hint or wanted or default_view(vol): vol}, sidecar_metadata(path)


def _pick(named: dict[str, Volume], view: str, path: Path) -> Volume:
    if view in named:
        return named[view]
    if len(named) == 1:
        return next(iter(named.values()))
    raise CineMAInputError(path, f"holds the views {sorted(named)}, not {view!r}")


def _merge_meta(into: StudyMetadata, other: StudyMetadata) -> StudyMetadata:
    for key in ("patient_id", "height_cm", "weight_kg", "sex", "heart_rate_bpm"):
        if getattr(into, key) is None:
            setattr(into, key, getattr(other, key))
    for key, value in other.extra.items():
        into.extra.setdefault(key, value)
    return into


def read_study(inputs: PathLike | Mapping[str, PathLike], study_id: str | None = None) -> CineStudy:
    """A :class:`CineStudy` from a path (file or folder) or a mapping view name -> path."""
    if isinstance(inputs, Mapping):
        if not inputs:
            raise CineMAInputError(None, "no inputs given (empty view -> path mapping)")
        views: dict[str, CineView] = {}
        meta = StudyMetadata()
        for view, raw in inputs.items():
            if view not in VIEW_NAMES:
                raise CineMAInputError(raw, f"unknown view name {view!r}; expected one of {', '.join(VIEW_NAMES)}")
            path = check_path(raw)
            named, found = read_named(path, wanted=view)
            views[view] = _pick(named, view, path).to_view(view)
            meta = _merge_meta(meta, found)
        first = check_path(next(iter(inputs.values())))
        source = first.parent if len(inputs) > 1 else first
    else:
        source = check_path(inputs)
        named, meta = read_named(source)
        views = {view: vol.to_view(view) for view, vol in named.items()}
    views = {v: views[v] for v in VIEW_NAMES if v in views}
    sid = study_id or meta.patient_id or (stem(source) if source.is_file() else source.name) or "study"
    return CineStudy(views=views, metadata=meta, study_id=sid, source=source)


def read_view(path: PathLike, view: str | None = None) -> CineView:
    """One view from a path: the named ``view`` if given, else the only view the path holds."""
    checked = check_path(path)
    if view is not None and view not in VIEW_NAMES:
        raise CineMAInputError(checked, f"unknown view name {view!r}; expected one of {', '.join(VIEW_NAMES)}")
    named, _ = read_named(checked, wanted=view)
    if view is None:
        if len(named) > 1:
            raise CineMAInputError(checked, f"holds several views ({', '.join(sorted(named))}); choose one")
        view = next(iter(named))
    return _pick(named, view, checked).to_view(view)
