"""Automatic LV centre: synthetic cues, the official example frames, 21 ACDC cases, Sunnybrook, the phantom."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from CineMALib.locate import LVLocation, locate_lv_center, locate_study
from CineMALib.study import CineStudy, CineView, voxel_to_world
from conftest import shared_path

ACDC_CASES = ["patient001", "patient002", "patient003", "patient004", "patient021", "patient022", "patient023",
              "patient024", "patient041", "patient042", "patient043", "patient044", "patient061", "patient062",
              "patient063", "patient064", "patient081", "patient082", "patient083", "patient084", "patient090"]
SAX_EXAMPLES = ["acdc_sax_ed", "acdc_sax_es", "mnms_sax_ed", "mnms_sax_es", "mnms2_sax_ed", "mnms2_sax_es"]


def disks(shape: tuple[int, int, int], spacing: tuple[float, float, float], centres_mm: list[tuple[float, float]],
          radii_mm: list[float], rng: np.random.Generator) -> np.ndarray:
    """Bright disks (blood) inside a dark 10 mm ring (myocardium) on a noisy grey background, every slice."""
    ii, jj = np.indices(shape[:2], dtype=float)
    image = 60.0 + rng.normal(0.0, 8.0, shape)
    for (ci, cj), radius in zip(centres_mm, radii_mm, strict=True):
        dist = np.hypot(ii * spacing[0] - ci, jj * spacing[1] - cj)
        image[(dist > radius) & (dist <= radius + 10)] = 20.0
        image[dist <= radius] = 200.0
    return image


def test_single_frame_finds_the_round_bright_blob() -> None:
    rng = np.random.default_rng(0)
    spacing = (1.5, 1.5, 10.0)
    image = disks((160, 160, 8), spacing, [(105.0, 140.0)], [24.0], rng)
    image[:, :8] = 250.0  # a bright band at the edge (subcutaneous fat): a ridge, not a blob
    loc = locate_lv_center(CineView("sax", image.astype(np.float32), np.diag([*spacing, 1.0])))
    assert np.hypot(*(loc.center_voxel[:2] * 1.5 - [105.0, 140.0])) < 3.0
    assert 0.0 <= loc.confidence <= 1.0 and loc.confidence >= 0.5 and loc.warning is None
    assert "harmonic" not in loc.method
    np.testing.assert_allclose(loc.center_world, voxel_to_world(np.diag([*spacing, 1.0]), loc.center_voxel))


def test_motion_picks_the_beating_blob_over_a_static_twin() -> None:
    """Two identical blobs at frame 0; only the right one changes size over the cycle. The (weak) centre prior
    favours the left one (25 mm from the middle, the other 55 mm) and a single frame picks it — motion must
    overrule that."""
    rng = np.random.default_rng(1)
    spacing = (1.5, 1.5, 10.0)
    frames = [disks((160, 160, 8), spacing, [(95.0, 120.0), (175.0, 120.0)],
                    [25.0, 25.0 - 10.0 * np.sin(np.pi * t / 10)], rng) for t in range(10)]
    view = CineView("sax", np.stack(frames, axis=-1).astype(np.float32), np.diag([*spacing, 1.0]))
    moving = locate_lv_center(view)
    assert "harmonic" in moving.method
    assert abs(moving.center_voxel[0] * 1.5 - 175.0) < 3.0
    still = locate_lv_center(CineView("sax", view.data[..., :1], view.affine))
    assert abs(still.center_voxel[0] * 1.5 - 95.0) < 3.0


def test_refine_hook_replaces_the_estimate_and_low_confidence_warns() -> None:
    rng = np.random.default_rng(2)
    view = CineView("sax", disks((100, 100, 6), (2.0, 2.0, 10.0), [(100.0, 100.0)], [20.0], rng).astype(np.float32),
                    np.diag([2.0, 2.0, 10.0, 1.0]))
    seen: list[LVLocation] = []

    def refine(v: CineView, first: LVLocation) -> LVLocation:
        seen.append(first)
        voxel = first.center_voxel + [3.0, 0.0, 0.0]
        return replace(first, center_voxel=voxel, center_world=voxel_to_world(v.affine, voxel), confidence=0.2,
                       method=first.method + "+refined")

    loc = locate_lv_center(view, refine=refine)
    assert len(seen) == 1
    np.testing.assert_allclose(loc.center_voxel, seen[0].center_voxel + [3.0, 0.0, 0.0])
    assert loc.method.endswith("+refined")
    assert loc.warning is not None and "low confidence" in loc.warning


def test_blank_view_gives_zero_confidence_and_a_warning() -> None:
    loc = locate_lv_center(CineView("sax", np.zeros((40, 50, 4, 3), np.float32), np.diag([2.0, 2.0, 8.0, 1.0])))
    assert loc.confidence == 0.0 and loc.warning is not None
    np.testing.assert_allclose(loc.center_voxel[:2], [20, 25])


def nifti_view(path: Path, name: str) -> CineView:
    """A NIfTI file as a view with the header zooms as spacing (ACDC's sform has unit scaling; see README)."""
    nib = pytest.importorskip("nibabel")
    image = nib.load(str(path))
    zooms = np.asarray(image.header.get_zooms()[:3], dtype=float)
    affine = image.affine.copy()
    affine[:3, :3] = affine[:3, :3] / np.linalg.norm(affine[:3, :3], axis=0) * zooms
    return CineView(name, np.asarray(image.dataobj, dtype=np.float32), affine)


@pytest.mark.parametrize("name", SAX_EXAMPLES)
def test_example_sax_frames_centre_near_image_centre(name: str) -> None:
    """These frames were cropped in-plane around the LV: the centre must be within 20 mm of the image centre."""
    view = nifti_view(shared_path("data", "cinema-examples", f"{name}.nii.gz"), "sax")
    loc = locate_lv_center(view)
    offset = (loc.center_voxel[:2] - (np.array(view.shape[:2]) - 1) / 2.0) * view.spacing[:2]
    assert np.hypot(*offset) < 20.0


@pytest.mark.parametrize("phase", ["ed", "es"])
def test_example_lax_centre_with_and_without_its_sax_stack(phase: str) -> None:
    """The M&Ms2 LAX-4C and SAX examples share scanner space: with the SAX stack the 4C centre lands within 20 mm
    of the (LV-centred) image centre. A long-axis plane alone competes with the atria and aortic root, so alone
    the answer must be within 20 mm or carry a low-confidence warning — never silently wrong."""
    lax = nifti_view(shared_path("data", "cinema-examples", f"mnms2_lax_4c_{phase}.nii.gz"), "lax_4c")
    sax = nifti_view(shared_path("data", "cinema-examples", f"mnms2_sax_{phase}.nii.gz"), "sax")
    centre = (np.array(lax.shape[:2]) - 1) / 2.0
    with_sax = locate_lv_center(lax, CineStudy({"sax": sax, "lax_4c": lax}))
    assert "sax-prior" in with_sax.method
    assert np.hypot(*((with_sax.center_voxel[:2] - centre) * lax.spacing[:2])) < 20.0
    alone = locate_lv_center(lax)
    near = np.hypot(*((alone.center_voxel[:2] - centre) * lax.spacing[:2])) < 20.0
    assert near or (alone.confidence < 0.5 and alone.warning is not None)


def acdc_info(case_dir: Path) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in (case_dir / "Info.cfg").read_text().splitlines() if ": " in line)


@pytest.mark.parametrize("case", ACDC_CASES)
def test_acdc_centre_inside_labelled_lv(case: str) -> None:
    """ED + ES frames as a 2-frame cine: the centre voxel must be strictly inside the ED LV label (label 3, no
    dilation); the ED frame alone (no motion) too."""
    case_dir = shared_path("data", "acdc-subset", case)
    info = acdc_info(case_dir)
    ed, es = int(info["ED"]), int(info["ES"])
    ed_view = nifti_view(case_dir / f"{case}_frame{ed:02d}.nii.gz", "sax")
    es_view = nifti_view(case_dir / f"{case}_frame{es:02d}.nii.gz", "sax")
    lv = nifti_view(case_dir / f"{case}_frame{ed:02d}_gt.nii.gz", "sax").frame(0) == 3
    cine = CineView("sax", np.concatenate([ed_view.data, es_view.data], axis=3), ed_view.affine)
    for view in (cine, ed_view):
        loc = locate_lv_center(view)
        assert lv[tuple(np.rint(loc.center_voxel).astype(int))], (case, view.n_frames, loc)


def test_acdc_full_cine_centre_inside_lv() -> None:
    case_dir = shared_path("data", "acdc-subset", "patient090")
    view = nifti_view(case_dir / "patient090_4d.nii.gz", "sax")
    lv = nifti_view(case_dir / "patient090_frame04_gt.nii.gz", "sax").frame(0) == 3
    loc = locate_lv_center(view)
    assert view.n_frames == 12 and "harmonic" in loc.method
    assert lv[tuple(np.rint(loc.center_voxel).astype(int))]


def test_sunnybrook_centre_inside_expert_contours() -> None:
    """Real oblique GE DICOM: the centre, projected on the nearest contoured slice (in DICOM pixel coordinates,
    x = column, y = row), lies inside the expert endocardial contours at ED and at ES."""
    root = shared_path("data", "sunnybrook-SCD0000101")
    io = pytest.importorskip("CineMALib.io", reason="CineMALib.io (DICOM reader) is not available")
    pydicom = pytest.importorskip("pydicom")
    from matplotlib.path import Path as Polygon

    view = io.read_study(root / "dicom")["sax"]
    loc = locate_lv_center(view)
    p_lps = loc.center_world * np.array([-1.0, -1.0, 1.0])
    checked = 0
    for contour in sorted((root / "contours" / "i-contours").glob("IM-0001-*-icontour-manual.txt")):
        instance = int(contour.name.split("-")[2])
        ds = pydicom.dcmread(root / "dicom" / f"{instance}.dcm", stop_before_pixels=True)
        iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
        rel = p_lps - np.asarray(ds.ImagePositionPatient, dtype=float)
        row_mm, col_mm = (float(v) for v in ds.PixelSpacing)
        if abs(rel @ np.cross(iop[:3], iop[3:])) > 5.0:  # not the centre's slice
            continue
        x, y = rel @ iop[:3] / col_mm, rel @ iop[3:] / row_mm
        assert Polygon(np.loadtxt(contour)).contains_point((x, y)), (contour.name, x, y)
        checked += 1
    assert checked == 2  # the ED and the ES contour of the centre's slice


@pytest.fixture(scope="module")
def phantoms() -> dict[int, object]:
    phantom = pytest.importorskip("CineMALib.phantom", reason="CineMALib.phantom is not available")
    return {seed: phantom.generate_phantom(seed) for seed in (0, 2)}


@pytest.mark.parametrize("seed", [0, 2])
def test_phantom_centre_within_10mm_of_true_lv_centre(phantoms: dict, seed: int) -> None:
    ph = phantoms[seed]
    view = ph.study["sax"]
    ed = int(ph.truth["discretised"]["ED frame"])
    truth = voxel_to_world(view.affine, np.argwhere(ph.labels["sax"][..., ed] == 3).mean(axis=0))
    loc = locate_lv_center(view)
    assert np.linalg.norm(loc.center_world - truth) < 10.0
    assert loc.confidence >= 0.5 and loc.warning is None


@pytest.mark.parametrize("seed", [0, 2])
def test_phantom_lax_centres_inside_lv_with_sax_prior(phantoms: dict, seed: int) -> None:
    ph = phantoms[seed]
    ed = int(ph.truth["discretised"]["ED frame"])
    located = locate_study(ph.study)
    assert set(located) == set(ph.study.views)
    for name in ("lax_2c", "lax_3c", "lax_4c"):
        loc = located[name]
        assert "sax-prior" in loc.method
        assert ph.labels[name][(*np.rint(loc.center_voxel).astype(int), ed)] == 3, name
