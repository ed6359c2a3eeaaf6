"""ED/ES selection: the volume-curve rule with NaN frames, ties and overrides; the intensity fallback."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.phases import estimate_ed_es_from_intensity, find_ed_es
from CineMALib.study import CineView
from conftest import shared_path


def cyclic_distance(a: int, b: int, n: int) -> int:
    """Frames of a cine wrap around: the last frame is next to the first."""
    d = abs(int(a) - int(b)) % n
    return min(d, n - d)


def test_curve_rule_is_argmax_argmin() -> None:
    rng = np.random.default_rng(0)
    curve = rng.uniform(40, 160, 30)
    sel = find_ed_es(curve)
    assert (sel.ed, sel.es) == (int(np.argmax(curve)), int(np.argmin(curve)))
    assert sel.method == "ed:volume-max,es:volume-min" and sel.warning is None
    assert sel.curve == tuple(curve)


def test_unanalysed_frames_and_ties() -> None:
    sel = find_ed_es([np.nan, 120.0, 150.0, np.nan, 60.0, 150.0, 60.0, np.nan])
    assert (sel.ed, sel.es) == (2, 4)  # NaN frames skipped; ties go to the first frame
    with pytest.raises(CineMAInputError, match="no analysed frame"):
        find_ed_es([np.nan, np.nan])
    with pytest.raises(CineMAInputError, match="no LV volumes"):
        find_ed_es([])


def test_user_beats_metadata_beats_curve() -> None:
    curve = [100.0, 140.0, 90.0, 60.0, 80.0]
    by_metadata = find_ed_es(curve, metadata_ed=0)
    assert (by_metadata.ed, by_metadata.es) == (0, 3) and by_metadata.method == "ed:metadata,es:volume-min"
    by_user = find_ed_es(curve, ed_override=4, metadata_ed=0, es_override=2, metadata_es=3)
    assert (by_user.ed, by_user.es) == (4, 2) and by_user.method == "ed:user,es:user"
    assert by_user.warning is not None and "exceeds" in by_user.warning  # ES 90 mL > ED 80 mL
    same = find_ed_es(curve, ed_override=3, es_override=3)
    assert same.warning is not None and "same frame" in same.warning
    both = find_ed_es([np.nan] * 4, ed_override=0, es_override=2)  # overrides need no analysed volume
    assert (both.ed, both.es) == (0, 2)
    with pytest.raises(CineMAInputError, match="out of range"):
        find_ed_es(curve, ed_override=5)
    with pytest.raises(CineMAInputError, match="out of range"):
        find_ed_es(curve, metadata_es=-1)


def beating_disk(n_frames: int, ed: int, es: int, seed: int) -> CineView:
    """A bright disk whose radius falls linearly from 25 mm at ``ed`` to 15 mm at ``es`` and rises back, in noise."""
    rng = np.random.default_rng(seed)
    ii, jj = np.indices((90, 90), dtype=float)
    systole, diastole = (es - ed) % n_frames, (ed - es) % n_frames
    radius = [25.0 - 10.0 * ((t - ed) % n_frames) / systole if (t - ed) % n_frames <= systole
              else 15.0 + 10.0 * ((t - es) % n_frames) / diastole for t in range(n_frames)]
    data = np.empty((90, 90, 5, n_frames), np.float32)
    for k in range(n_frames):
        dist = np.hypot(ii * 2.0 - 90.0, jj * 2.0 - 90.0)
        frame = np.where(dist <= radius[k], 200.0, np.where(dist <= radius[k] + 9.0, 30.0, 70.0))
        data[..., k] = (frame[..., None] + rng.normal(0, 10, (90, 90, 5))).astype(np.float32)
    return CineView("sax", data, np.diag([2.0, 2.0, 8.0, 1.0]))


@pytest.mark.parametrize(("ed", "es"), [(0, 8), (3, 11), (17, 6)])
def test_intensity_fallback_on_a_beating_disk(ed: int, es: int) -> None:
    sel = estimate_ed_es_from_intensity(beating_disk(20, ed, es, seed=ed))
    assert (sel.ed, sel.es) == (ed, es)
    assert sel.method == "ed:intensity-area,es:intensity-area" and sel.warning is None
    assert len(sel.curve) == 20


def test_intensity_fallback_needs_a_cine_and_flags_a_still_one() -> None:
    view = beating_disk(6, 0, 3, seed=1)
    with pytest.raises(CineMAInputError, match="one frame"):
        estimate_ed_es_from_intensity(CineView("sax", view.data[..., :1], view.affine))
    still = CineView("sax", np.repeat(view.data[..., :1], 6, axis=3), view.affine)
    assert estimate_ed_es_from_intensity(still).warning is not None


@pytest.mark.parametrize("seed", [0, 1])
def test_intensity_fallback_on_phantom(seed: int) -> None:
    phantom = pytest.importorskip("CineMALib.phantom", reason="CineMALib.phantom is not available")
    ph = phantom.generate_phantom(seed)
    truth = ph.truth["discretised"]
    n = ph.study["sax"].n_frames
    sel = estimate_ed_es_from_intensity(ph.study["sax"])
    assert cyclic_distance(sel.ed, truth["ED frame"], n) <= 1
    assert cyclic_distance(sel.es, truth["ES frame"], n) <= 1


def test_intensity_fallback_on_acdc_cine() -> None:
    """patient090: 12-frame cine, Info.cfg ED 4 / ES 11 (1-based) -> indices 3 / 10, within one frame."""
    nib = pytest.importorskip("nibabel")
    image = nib.load(str(shared_path("data", "acdc-subset", "patient090", "patient090_4d.nii.gz")))
    zooms = image.header.get_zooms()[:3]
    view = CineView("sax", np.asarray(image.dataobj, dtype=np.float32), np.diag([-zooms[0], -zooms[1], zooms[2], 1]))
    sel = estimate_ed_es_from_intensity(view)
    assert cyclic_distance(sel.ed, 3, 12) <= 1 and cyclic_distance(sel.es, 10, 12) <= 1


def test_intensity_fallback_on_sunnybrook() -> None:
    """Expert contours: ED at phase 18 (with epicardium; 19 adjacent), ES contours at phase 7; the area proxy
    is flat around end-systole, so ES within two frames."""
    root = shared_path("data", "sunnybrook-SCD0000101")
    io = pytest.importorskip("CineMALib.io", reason="CineMALib.io (DICOM reader) is not available")
    view = io.read_study(root / "dicom")["sax"]
    assert np.all(np.diff(view.trigger_times_ms) > 0)  # frame index = phase = (InstanceNumber - 1) mod 20
    sel = estimate_ed_es_from_intensity(view)
    assert cyclic_distance(sel.ed, 18, 20) <= 1
    assert cyclic_distance(sel.es, 7, 20) <= 2
