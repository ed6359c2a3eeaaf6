"""Write a phantom to disk: images (NIfTI or DICOM), label maps, landmarks.json, truth.json, Info.cfg, README.txt.

Layout (``out_dir``)::

    sax.nii.gz lax_2c.nii.gz lax_3c.nii.gz lax_4c.nii.gz   (fmt="nifti": 4-D, int16 grey levels, RAS affine)
    dicom/<view>/IM_s<slice>_t<frame>.dcm                   (fmt="dicom": one MR Image Storage file per slice/frame)
    labels/<view>_gt.nii.gz                                 (uint8, same grid; "_gt" so folder readers skip them)
    landmarks.json truth.json Info.cfg README.txt

Every file is written to a hidden temporary name beside its target and moved into place with ``os.replace``, so a
reader never sees a half-written file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from CineMALib.atomic import atomic_write
from CineMALib.study import world_to_voxel

FORMATS: tuple[str, ...] = ("nifti", "dicom")
ACDC_GROUP = {"normal": "NOR", "dcm": "DCM", "hcm": "HCM"}


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    text = json.dumps(payload, indent=2, default=_json_default)
    return atomic_write(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))


def write_nifti(path: Path, data: np.ndarray, affine: np.ndarray, frame_ms: float, dtype: type) -> Path:
    """A 4-D NIfTI with sform = qform = the view affine (RAS), units mm / ms and pixdim[4] = frame time."""
    img = nib.Nifti1Image(np.asarray(data).astype(dtype), affine)
    img.set_sform(affine, code=1)
    img.set_qform(affine, code=1)
    img.header.set_xyzt_units("mm", "msec")
    zooms = list(img.header.get_zooms())
    zooms[3] = float(frame_ms)
    img.header.set_zooms(zooms)
    return atomic_write(path, lambda tmp: nib.save(img, str(tmp)))


def landmarks_payload(phantom: Any) -> dict[str, Any]:
    """World (RAS mm) and voxel (i, j, k) coordinates of every landmark per frame."""
    views: dict[str, Any] = {}
    for view, points in phantom.landmarks_world.items():
        affine = phantom.study[view].affine
        views[view] = {name: {"world_ras_mm": pts, "voxel_ijk": world_to_voxel(affine, pts)}
                       for name, pts in points.items()}
    return {"coordinate_system": "RAS mm (NIfTI/nibabel world); voxel_ijk = continuous 0-based (i, j, k) on the "
                                 "view's grid", "n_frames": phantom.study["sax"].n_frames,
            "trigger_times_ms": phantom.study["sax"].trigger_times_ms, "views": views}


def readme_text(phantom: Any, fmt: str) -> str:
    t = phantom.truth
    c, d = t["continuous"], t["discretised"]
    return (
        "CineMA synthetic cine CMR phantom -- NOT patient data.\n"
        f"seed {phantom.seed}, pathology {phantom.pathology}, {t['n_frames']} frames, images as {fmt}.\n"
        "Views: sax (oblique short-axis stack, 8 mm slices every 10 mm), lax_2c, lax_3c, lax_4c (single slices).\n"
        "Labels (labels/<view>_gt.nii.gz): 0 background, 1 RV blood pool, 2 LV myocardium, 3 LV blood pool; taken at "
        "each slice centre; papillary muscles inside the LV label.\n"
        "landmarks.json: RAS mm per frame (mitral hinges, epicardial apex, lateral tricuspid hinge on 4C).\n"
        "truth.json: 'continuous' (the anatomy) and 'discretised' (voxel counts of the SAX labels x dx*dy*pitch) "
        "values; ED/ES = argmax/argmin of LV volume, 0-based frame indices (Info.cfg uses ACDC's 1-based ED/ES).\n"
        f"continuous: LVEDV {c['LVEDV (mL)']:.1f} mL, LVESV {c['LVESV (mL)']:.1f} mL, LVEF {c['LVEF (%)']:.1f} %, "
        f"LVM {c['LVM (g)']:.1f} g, RVEF {c['RVEF (%)']:.1f} %\n"
        f"discretised: LVEDV {d['LVEDV (mL)']:.1f} mL, LVESV {d['LVESV (mL)']:.1f} mL, LVEF {d['LVEF (%)']:.1f} %, "
        f"LVM {d['LVM (g)']:.1f} g, RVEF {d['RVEF (%)']:.1f} %\n"
    )


def info_cfg_text(phantom: Any) -> str:
    """ACDC-style Info.cfg (1-based ED/ES) so folder readers pick up height, weight and group."""
    meta, disc = phantom.study.metadata, phantom.truth["discretised"]
    return (f"ED: {disc['ED frame'] + 1}\nES: {disc['ES frame'] + 1}\nGroup: {ACDC_GROUP[phantom.pathology]}\n"
            f"Height: {meta.height_cm}\nNbFrame: {phantom.study['sax'].n_frames}\nWeight: {meta.weight_kg}\n")


def write_phantom(phantom: Any, out_dir: str | os.PathLike[str], fmt: str = "nifti") -> list[Path]:
    """Write the phantom's images (``fmt`` "nifti" or "dicom"), labels, landmarks, truth; returns the paths written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, view in phantom.study.views.items():
        frame_ms = float(np.diff(view.trigger_times_ms[:2])[0]) if view.n_frames > 1 else 0.0
        if fmt == "nifti":
            written.append(write_nifti(out / f"{name}.nii.gz", view.data, view.affine, frame_ms, np.int16))
        written.append(write_nifti(out / "labels" / f"{name}_gt.nii.gz", phantom.labels[name], view.affine,
                                   frame_ms, np.uint8))
    if fmt == "dicom":
        from CineMALib.phantom.dicom_writer import write_dicom_study

        written.extend(write_dicom_study(phantom, out / "dicom"))
    written.append(write_json(out / "landmarks.json", landmarks_payload(phantom)))
    written.append(write_json(out / "truth.json", phantom.truth))
    written.append(atomic_write(out / "Info.cfg", lambda tmp: tmp.write_text(info_cfg_text(phantom))))
    written.append(atomic_write(out / "README.txt", lambda tmp: tmp.write_text(readme_text(phantom, fmt))))
    return written
