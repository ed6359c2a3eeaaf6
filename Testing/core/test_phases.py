"""ED/ES decision: the volume-curve rule with NaN/empty frames, ties and the user's frames; the intensity proxy."""

from __future__ import annotations

import numpy as np
import pytest

from CineMALib.errors import CineMAInputError
from CineMALib.phases import Phases, decide_ed_es, estimate_ed_es_from_intensity
from CineMALib.study import CineView
from conftest import shared_path


def cyclic_distance(a: int, b: int, n: int) -> int:
    """Frames of a cine wrap around: the last frame is next to the first."""
    d = abs(int(a) - int(b)) % n
    return min(d, n - d)


def test_curve_rule_is_argmax_argmin() -> None:
    rng = np.random.default_rng(0)
    curve = rng.uniform(40, 160, 30)
    sel = decide_ed_es(curve)
    assert (sel.ed, sel.es) == (int(np.argmax(curve)), int(np.argmin(curve)))
    assert sel.choice == "automatic" and not (sel.ed_given or sel.es_given) and sel.warning is None
    assert "largest LV volume over 30 analysed frames (automatic)" in sel.method


def test_unanalysed_and_empty_frames_and_ties() -> None:
    sel = decide_ed_es([np.nan, 120.0, 150.0, np.nan, 60.0, 150.0, 60.0, np.nan])
    assert (sel.ed, sel.es) == (2, 4)  # NaN frames skipped; ties go to the first frame
    empty = decide_ed_es([0.0, 120.0, 150.0, 0.0, 60.0, 0.0])  # empty frames (no LV) are never ES
    assert (empty.ed, empty.es) == (2, 4)
    with pytest.raises(CineMAInputError, match="no analysed frame"):
        decide_ed_es([np.nan, np.nan])
    nothing = decide_ed_es([np.nan, 0.0, 0.0])  # no LV anywhere (a failed segmentation): a pick, with a warning
    assert (nothing.ed, nothing.es) == (1, 1) and "above 0" in (nothing.warning or "")
    with pytest.raises(CineMAInputError, match="no LV volume"):
        decide_ed_es([])


def test_given_frames_win_and_say_so() -> None:
    curve = [100.0, 140.0, 90.0, 60.0, 80.0]
    by_user = decide_ed_es(curve, ed=4, es=2, given_by="given here")
    assert (by_user.ed, by_user.es) == (4, 2) and by_user.choice == "given"
    assert by_user.method == "ED frame 4 = given here; ES frame 2 = given here"
    assert by_user.warning is not None and "exceeds" in by_user.warning  # ES 90 mL > ED 80 mL
    half = decide_ed_es(curve, es=1)  # ES given at the largest volume: ED is the largest of the others
    assert (half.ed, half.es) == (0, 1) and half.choice == "ED automatic, ES given"
    assert Phases.from_dict(half.to_dict()) == half
    with pytest.raises(CineMAInputError, match="must differ"):
        decide_ed_es(curve, ed=3, es=3)
    with pytest.raises(CineMAInputError, match=r"study7: --ed-frame 5 is out of range: the SAX cine has 5 frames"):
        decide_ed_es(curve, ed=5, where="study7")
    with pytest.raises(CineMAInputError, match="--es-frame -1 is out of range"):
        decide_ed_es(curve, es=-1)
    with pytest.raises(CineMAInputError, match=r"--ed-frame 1 is not an analysed frame \(analysed: \[0, 2\]\)"):
        decide_ed_es([100.0, np.nan, 50.0], ed=1)


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
    assert "blood-pool area" in sel.method and sel.choice == "automatic" and sel.warning is None
    given = estimate_ed_es_from_intensity(beating_disk(20, ed, es, seed=ed), ed=(ed + 1) % 20)
    assert (given.ed, given.es) == ((ed + 1) % 20, es) and given.choice == "ED given, ES automatic"


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
