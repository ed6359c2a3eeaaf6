"""Export button, DICOM part: a run on cines that came from Slicer's DICOM database (DICOM.instanceUIDs on every
frame) gives seg_<view>.dcm + sr.dcm referencing those images, added to the database; CSV, DICOM or both; a cine
not loaded from DICOM is refused in one line. Uses the phantom DICOM study and its truth labels (no model)."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split

import warnings

import numpy as np
import pydicom
import pytest

from CineMALib.errors import CineMAError
from CineMALib.io import read_study
from CineMALib.results import AnalysisResults, ViewResult

pytest_plugins = ("slicer_support",)  # the headless-scene fixture 'ctx'
pytestmark = pytest.mark.slicer
pytest.importorskip("highdicom", reason="highdicom is not installed (pip install -e '.[dicom]')")

FRAMES = (0, 2)


@pytest.fixture
def dicom_run(ctx, tmp_path):
    from CineMALib.phantom.dicom_writer import write_dicom_study
    from CineMALib.phantom.generate import generate_phantom
    from CineMASlicer.cine_nodes import add_cine
    from CineMASlicer.scene import SceneAdapter

    phantom = generate_phantom(9, "normal", n_frames=4)
    write_dicom_study(phantom, tmp_path / "dicom")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = read_study(tmp_path / "dicom")
    results = AnalysisResults(study.study_id, ed_frame=FRAMES[0], es_frame=FRAMES[1], phase_method="test")
    labels = np.zeros_like(phantom.labels["sax"])
    for t in FRAMES:
        labels[..., t] = phantom.labels["sax"][..., t]
    results.views["sax"] = ViewResult("sax", study["sax"].affine.copy(), labels, FRAMES)
    sequence, _, proxy = add_cine(ctx, study["sax"], "sax cine")
    files = {}
    refs = study["sax"].dicom_refs
    for t in range(refs.n_frames):  # as Slicer's DICOM plugins tag what they load
        uids = [refs.uid(k, t) for k in range(refs.n_slices)]
        sequence.GetNthDataNode(t).SetAttribute("DICOM.instanceUIDs", " ".join(uids))
        files.update({refs.uid(k, t): str(refs.files[k][t]) for k in range(refs.n_slices)})
    adapter = SceneAdapter(ctx)
    run = adapter.publish(study, {"sax": proxy}, results, "phantom DICOM")
    return adapter, run, study, labels, files


def test_dicom_export_references_the_loaded_images_and_fills_the_database(dicom_run, ctx, tmp_path) -> None:
    from CineMALib.exchange.seg_read import read_seg
    from CineMASlicer.dicom_export import export_dicom_run

    adapter, run, study, labels, files = dicom_run
    database: list = []
    written = export_dicom_run(ctx, run, tmp_path / "out", files.get, database.extend)
    assert sorted(p.name for p in written) == ["seg_sax.dcm", "sr.dcm"] and database == written
    seg = pydicom.dcmread(str(tmp_path / "out" / "seg_sax.dcm"))
    refs = study["sax"].dicom_refs
    want = {refs.uid(k, t) for k in range(refs.n_slices) for t in FRAMES}
    assert {i.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
            for i in seg.PerFrameFunctionalGroupsSequence} == want
    back, affine, present = read_seg(tmp_path / "out" / "seg_sax.dcm")
    assert present == list(FRAMES)
    for t in FRAMES:
        assert np.array_equal(back[..., t], labels[..., t])
    assert {s.SegmentAlgorithmType for s in seg.SegmentSequence} == {"AUTOMATIC"}


def test_export_choice_csv_dicom_or_both(dicom_run, ctx, tmp_path) -> None:
    from CineMASlicer.dicom_export import export_choice

    adapter, run, _, _, files = dicom_run
    names = {c: {p.name for p in export_choice(ctx, run, tmp_path / c, c, files.get)} for c in ("csv", "dicom", "both")}
    assert "report.csv" in names["csv"] and "sr.dcm" not in names["csv"]
    assert names["dicom"] == {"seg_sax.dcm", "sr.dcm"}
    assert names["both"] == names["csv"] | names["dicom"]
    with pytest.raises(ValueError, match="csv, dicom or both"):
        export_choice(ctx, run, tmp_path / "x", "pdf", files.get)


def test_a_cine_not_from_dicom_is_one_line(dicom_run, ctx, tmp_path) -> None:
    from CineMASlicer.dicom_export import export_dicom_run

    adapter, run, _, _, files = dicom_run
    with pytest.raises(CineMAError, match="DICOM export needs the DICOM source") as info:
        export_dicom_run(ctx, run, tmp_path / "out", lambda uid: None)
    assert "\n" not in str(info.value) and not (tmp_path / "out").exists()


def test_module_logic_exports_dicom_through_the_database_hooks(dicom_run, ctx, tmp_path) -> None:
    from CineMASlicer.logic import ModuleLogic

    _, _, _, _, files = dicom_run
    database: list = []
    written = ModuleLogic(ctx).export(str(tmp_path / "out"), "both", files.get, database.extend)
    names = {p.rsplit("/", 1)[-1] for p in written}
    assert {"report.csv", "seg_sax.dcm", "sr.dcm"} <= names
    assert sorted(p.name for p in database) == ["seg_sax.dcm", "sr.dcm"]


def test_export_dialog_answers() -> None:
    from CineMASlicer.dicom_export import CHOICE_LABELS, choice_of

    labels = list(CHOICE_LABELS)
    assert [choice_of(text) for text in labels] == ["csv", "dicom", "both"]  # PythonQt: the text
    assert choice_of((labels[1], True)) == "dicom" and choice_of((labels[1], False)) is None  # PySide6: (text, ok)
    assert choice_of("") is None
