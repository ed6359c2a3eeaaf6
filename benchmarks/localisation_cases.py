"""The real labelled studies in ../shared as localisation cases, each with its LV truth in world (RAS) mm.

Why a separate file: the benchmark (``bench_localisation.py``), its pytest gate and the off-centre generator
(``localisation_offcentre.py``) all need the same cases and the same truth. Truth is the centroid of the LV blood
pool label (ACDC label 3, UK Biobank label 1 (automatic labels), Sunnybrook's expert endocardial contours at ED);
the CineMA example frames carry no labels: they were cropped centred on the LV bounding box of the ED label
(../shared/docs/cinema-model.md), so their truth is the image centre. Distances are measured in the view's plane
(the SAX model window takes 16 slices around the centre, so only the in-plane position matters).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from CineMALib.io import read_view
from CineMALib.study import CineStudy, CineView, voxel_to_world, world_to_voxel

ACDC_CASES = ("patient001", "patient002", "patient003", "patient004", "patient021", "patient022", "patient023",
              "patient024", "patient041", "patient042", "patient043", "patient044", "patient061", "patient062",
              "patient063", "patient064", "patient081", "patient082", "patient083", "patient084", "patient090")
EXAMPLE_SAX = ("acdc_sax_ed", "acdc_sax_es", "mnms_sax_ed", "mnms_sax_es", "mnms2_sax_ed", "mnms2_sax_es")


@dataclass
class Case:
    """One localisation problem: locate ``view`` of ``study``; the LV truth (RAS mm); ``lv_mask`` (optional, on the
    view's grid, for generators that must keep the heart whole); ``real``: unmodified data from ../shared."""

    name: str
    group: str
    study: CineStudy
    view: str
    truth_world: np.ndarray
    real: bool = True
    lv_mask: np.ndarray | None = None
    heart_mask: np.ndarray | None = None
    notes: dict[str, str] = field(default_factory=dict)


def quiet_read(path: Path, view: str | None = None) -> CineView:
    """read_view without the ACDC pixdim warning (the reader handles that trap; the benchmark knows it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_view(path, view)


def labels_on(path: Path, frame: int | None = None) -> np.ndarray:
    """A label file's voxels as an int array on its own grid (3-D; ``frame`` picks one frame of a 4-D file)."""
    import nibabel as nib

    data = np.asarray(nib.load(str(path)).dataobj)
    if data.ndim == 4:
        data = data[..., 0 if frame is None else frame]
    return np.rint(data).astype(np.int16)


def mask_centroid_world(mask: np.ndarray, affine: np.ndarray) -> np.ndarray:
    if not mask.any():
        raise ValueError("empty LV label: no truth")
    return voxel_to_world(affine, np.argwhere(mask).mean(axis=0))


def in_plane_distance_mm(view: CineView, found_world: np.ndarray, truth_world: np.ndarray) -> float:
    """Distance between two world points after dropping the component along the view's slice normal."""
    normal = np.cross(view.affine[:3, 0], view.affine[:3, 1])
    normal = normal / np.linalg.norm(normal)
    delta = np.asarray(found_world, dtype=float) - np.asarray(truth_world, dtype=float)
    return float(np.linalg.norm(delta - (delta @ normal) * normal))


def _single(view: CineView, frame: int) -> CineView:
    return CineView(view.name, view.data[..., frame:frame + 1].copy(), view.affine)


def acdc_cases(root: Path) -> list[Case]:
    """Per case: ED + ES as a 2-frame cine (patient090: its 12-frame cine), and the ED frame alone."""
    out = []
    for case in ACDC_CASES:
        folder = root / case
        info = dict(line.split(": ", 1) for line in (folder / "Info.cfg").read_text().splitlines() if ": " in line)
        ed, es = int(info["ED"]), int(info["ES"])
        ed_view = quiet_read(folder / f"{case}_frame{ed:02d}.nii.gz", "sax")
        labels = labels_on(folder / f"{case}_frame{ed:02d}_gt.nii.gz")
        truth = mask_centroid_world(labels == 3, ed_view.affine)
        if (folder / f"{case}_4d.nii.gz").exists():
            cine = quiet_read(folder / f"{case}_4d.nii.gz", "sax")
        else:
            es_view = quiet_read(folder / f"{case}_frame{es:02d}.nii.gz", "sax")
            cine = CineView("sax", np.concatenate([ed_view.data, es_view.data], axis=3), ed_view.affine)
        ed_frame = ed - 1 if cine.n_frames > 2 else 0
        for group, view in (("acdc-cine", cine), ("acdc-ed-frame", ed_view)):
            out.append(Case(f"{case}/{group}", group, CineStudy({"sax": view}), "sax", truth,
                            lv_mask=labels == 3, heart_mask=labels > 0, notes={"ed_frame": str(ed_frame)}))
    return out


def sunnybrook_cases(root: Path) -> list[Case]:
    """The GE cine (12 slices x 20 phases); truth: area-weighted centroid of the ED endocardial contours (ED = the
    phase with epicardial contours), filled on each contour's own DICOM pixel grid and mapped to RAS."""
    import pydicom
    from matplotlib.path import Path as Polygon

    from CineMALib.io import read_study

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        view = read_study(root / "dicom")["sax"]
    ed_instances = {int(p.name.split("-")[2]) for p in (root / "contours" / "o-contours").glob("*.txt")}
    points, ed_phase = [], None
    for contour in sorted((root / "contours" / "i-contours").glob("*.txt")):
        instance = int(contour.name.split("-")[2])
        if instance not in ed_instances:
            continue
        ed_phase = (instance - 1) % 20
        ds = pydicom.dcmread(root / "dicom" / f"{instance}.dcm", stop_before_pixels=True)
        iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
        row_mm, col_mm = (float(v) for v in ds.PixelSpacing)
        yy, xx = np.mgrid[0:int(ds.Rows), 0:int(ds.Columns)]
        inside = Polygon(np.loadtxt(contour)).contains_points(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
        x, y = xx[inside].astype(float), yy[inside].astype(float)
        lps = np.asarray(ds.ImagePositionPatient, dtype=float) + np.outer(x * col_mm, iop[:3]) \
            + np.outer(y * row_mm, iop[3:])
        points.append(lps * [-1.0, -1.0, 1.0])
    truth = np.concatenate(points).mean(axis=0)
    lv = np.zeros(view.shape, dtype=bool)
    for pts in points:
        idx = np.rint(world_to_voxel(view.affine, pts)).astype(int)
        lv[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    return [Case("SCD0000101/sunnybrook-cine", "sunnybrook-cine", CineStudy({"sax": view}), "sax", truth, lv_mask=lv,
                 notes={"ed_frame": str(ed_phase)}),
            Case("SCD0000101/sunnybrook-ed-frame", "sunnybrook-ed-frame",
                 CineStudy({"sax": _single(view, int(ed_phase))}), "sax", truth, lv_mask=lv)]


def _image_centre_world(view: CineView) -> np.ndarray:
    return voxel_to_world(view.affine, np.array([(view.shape[0] - 1) / 2.0, (view.shape[1] - 1) / 2.0,
                                                 (view.shape[2] - 1) / 2.0]))


def example_cases(root: Path) -> list[Case]:
    """Six SAX frames and the M&Ms2 4C frames (with their SAX stack; alone as a variant); truth = image centre."""
    out = []
    for name in EXAMPLE_SAX:
        view = quiet_read(root / f"{name}.nii.gz", "sax")
        out.append(Case(f"{name}/examples-sax", "examples-sax", CineStudy({"sax": view}), "sax",
                        _image_centre_world(view)))
    for phase in ("ed", "es"):
        lax = quiet_read(root / f"mnms2_lax_4c_{phase}.nii.gz", "lax_4c")
        sax = quiet_read(root / f"mnms2_sax_{phase}.nii.gz", "sax")
        truth = _image_centre_world(lax)
        out.append(Case(f"mnms2_lax_4c_{phase}/examples-lax-with-sax", "examples-lax-with-sax",
                        CineStudy({"sax": sax, "lax_4c": lax}), "lax_4c", truth))
        # A variant, not a case as the data come: the 4C frame with its SAX stack withheld. Every analysis needs the
        # SAX stack (a LAX-only study is refused) and crops the LAX views from the SAX centre, so this measures the
        # LAX cues alone (`cinema info` on a lone 4C file); it counts with the generated variants.
        out.append(Case(f"mnms2_lax_4c_{phase}/examples-lax-alone", "examples-lax-alone",
                        CineStudy({"lax_4c": lax}), "lax_4c", truth, real=False))
    return out


def ukbb_cases(root: Path) -> list[Case]:
    """Per subject: the SAX ED + ES 2-frame stack with the 2C and 4C cines (one world frame) and without them; the
    4C plane (truth: its automatic LV label at frame 0) and the 2C plane (truth: the SAX LV centroid projected on
    it; the 2C labels hold only the atrium)."""
    out = []
    for subject in sorted(p.name for p in root.iterdir() if p.is_dir()):
        folder = root / subject
        ed, es = quiet_read(folder / "sa_ED.nii.gz", "sax"), quiet_read(folder / "sa_ES.nii.gz", "sax")
        sax = CineView("sax", np.concatenate([ed.data, es.data], axis=3), ed.affine)
        labels = labels_on(folder / "seg_sa_ED.nii.gz")
        truth = mask_centroid_world(labels == 1, ed.affine)
        lax2, lax4 = quiet_read(folder / "la_2ch.nii.gz", "lax_2c"), quiet_read(folder / "la_4ch.nii.gz", "lax_4c")
        full = CineStudy({"sax": sax, "lax_2c": lax2, "lax_4c": lax4})
        kw = dict(lv_mask=labels == 1, heart_mask=labels > 0)
        out.append(Case(f"ukbb{subject}/ukbb-sax-with-lax", "ukbb-sax-with-lax", full, "sax", truth, **kw))
        out.append(Case(f"ukbb{subject}/ukbb-sax-alone", "ukbb-sax-alone", CineStudy({"sax": sax}), "sax", truth,
                        **kw))
        truth4 = mask_centroid_world(labels_on(folder / "seg4_la_4ch.nii.gz", 0) == 1, lax4.affine)
        out.append(Case(f"ukbb{subject}/ukbb-lax4c", "ukbb-lax4c", full, "lax_4c", truth4))
        out.append(Case(f"ukbb{subject}/ukbb-lax2c", "ukbb-lax2c", full, "lax_2c", truth))
    return out


def real_cases(shared: Path) -> list[Case]:
    data = shared / "data"
    return (acdc_cases(data / "acdc-subset") + sunnybrook_cases(data / "sunnybrook-SCD0000101")
            + example_cases(data / "cinema-examples") + ukbb_cases(data / "ukbb-demo"))
