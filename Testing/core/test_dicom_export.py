"""DICOM SEG + SR (TID 1500) export: references to the exact source images, read back identical, dciodvfy-clean,
codes and units, the disease-score note, and the refusal of a NIfTI study."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

from dicom_export_helpers import dciodvfy, errors, fake_results, measured, phantom_dicom

from CineMALib.errors import CineMAInputError
from CineMALib.exchange import codes as C
from CineMALib.exchange.export import export_dicom
from CineMALib.exchange.from_analysis import views_to_export
from CineMALib.exchange.record import algorithm_from
from CineMALib.exchange.seg_read import read_seg
from CineMALib.study import CineStudy, CineView

FRAMES = (0, 3)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("dicom_export")
    phantom, study = phantom_dicom(root / "study")
    results, report = measured(phantom, study, FRAMES)
    written = export_dicom(views_to_export(study, results), report, root / "out", algorithm_from(results.provenance),
                           score_model="classification_cvd/phantom_sax")
    return phantom, study, results, report, written


def test_seg_references_the_exact_source_image_of_every_frame(exported) -> None:
    _, study, _, _, written = exported
    seg = pydicom.dcmread(str(written["seg_sax.dcm"]))
    refs = study["sax"].dicom_refs
    want = {refs.uid(k, t) for k in range(refs.n_slices) for t in FRAMES}
    seen = set()
    for item in seg.PerFrameFunctionalGroupsSequence:
        t = int(item.FrameContentSequence[0].TemporalPositionIndex) - 1
        uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        assert t in FRAMES and uid in {refs.uid(k, t) for k in range(refs.n_slices)}
        seen.add(uid)
    assert seen == want
    assert seg.StudyInstanceUID == refs.study_instance_uid and seg.FrameOfReferenceUID == refs.frame_of_reference_uid
    assert [s.SegmentedPropertyTypeCodeSequence[0].CodeValue for s in seg.SegmentSequence] == \
        [C.SEGMENT_CODES[label].value for label in (1, 2, 3)]
    assert {s.SegmentAlgorithmType for s in seg.SegmentSequence} == {"AUTOMATIC"}


@pytest.mark.parametrize("view", ["sax", "lax_4c"])
def test_seg_read_back_gives_identical_labels_on_every_referenced_frame(exported, view: str) -> None:
    phantom, study, _, _, written = exported
    labels, affine, present = read_seg(written[f"seg_{view}.dcm"])
    assert present == list(FRAMES)
    np.testing.assert_allclose(affine, study[view].affine, atol=1e-4)
    for t in FRAMES:
        assert np.array_equal(labels[..., t], phantom.labels[view][..., t]), f"{view} frame {t}"
    assert set(np.unique(labels[..., FRAMES[0]])) == {0, 1, 2, 3}


def test_sr_is_tid1500_with_coded_numbers_units_and_segment_references(exported) -> None:
    import highdicom as hd

    _, _, _, report, written = exported
    sr = hd.sr.srread(str(written["sr.dcm"]))
    seg = pydicom.dcmread(str(written["seg_sax.dcm"]))
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    groups = sr.content.get_volumetric_roi_measurement_groups()
    assert groups, "no volumetric groups"
    found = {}
    refs = {}
    for group in groups:
        ref = group.referenced_segment
        assert ref.referenced_sop_instance_uid == seg.SOPInstanceUID
        segment = ref.referenced_segment_numbers[0]
        sources = {s.referenced_sop_instance_uid for s in ref.source_images_for_segmentation}
        for m in group.get_measurements():
            found[(m.name.scheme_designator, m.name.value)] = (m.value, m.unit.value, segment)
            refs[m.name.value] = sources
    assert found[("LN", "8821-1")] == pytest.approx((report.value("LVEDV"), "mL", 3))
    assert found[("LN", "8811-2")][:2] == pytest.approx((report.value("LVEF"), "%"))
    assert found[("LN", "18087-7")][2] == 2  # LV mass measured on the myocardium segment
    dicom_refs = exported[1]["sax"].dicom_refs
    ed = {dicom_refs.uid(k, FRAMES[0]) for k in range(dicom_refs.n_slices)}
    es = {dicom_refs.uid(k, FRAMES[1]) for k in range(dicom_refs.n_slices)}
    assert refs["8821-1"] == ed and refs["8823-7"] == es and refs["8811-2"] == ed | es  # the ED/ES source images
    designators = [item.CodingSchemeDesignator for item in sr.CodingSchemeIdentificationSequence]
    assert C.PRIVATE_SCHEME in designators


def test_sr_names_the_disease_model_and_says_it_is_not_diagnostic(exported) -> None:
    texts = []
    pydicom.dcmread(str(exported[4]["sr.dcm"])).walk(lambda ds, el: texts.append(str(el.value)) if el.VR in (
        "UT", "LO", "ST", "SH") else None)
    text = "\n".join(texts)
    assert "classification_cvd/phantom_sax" in text
    assert C.DISEASE_MODEL_NOTE in text
    assert "NOR (most probable class" in text


def test_every_object_passes_dciodvfy(exported) -> None:
    for name, path in exported[4].items():
        out = dciodvfy(path)
        assert not errors(out), f"{name}:\n{out}"


def test_every_report_number_gets_a_code_and_ucum_unit(exported) -> None:
    report = exported[3]
    for row in report.rows:
        if row.available:
            code = C.measurement_code(row.name)
            assert code.value and len(code.value) <= 16 and len(code.meaning) <= 64
            assert code.scheme in ("LN", "SCT", C.PRIVATE_SCHEME)
            C.ucum(row.unit, row.name)  # raises for a unit without a UCUM code


def test_standard_codes_are_in_pydicoms_ps316_dictionary() -> None:
    from pydicom.sr._concepts_dict import concepts

    for code in [*C.STANDARD.values(), *C.SEGMENT_CODES.values(), C.ANATOMICAL_STRUCTURE, C.CARDIAC_MRI]:
        meanings = [m for entry in concepts[code.scheme].values() for v, (m, _) in entry.items() if v == code.value]
        assert code.meaning in meanings, code


def test_a_nifti_study_is_refused_with_one_line(exported) -> None:
    phantom, study, _, _, _ = exported
    nifti = CineStudy({"sax": CineView("sax", study["sax"].data, study["sax"].affine)}, study_id="n",
                      source=Path("study.nii.gz"))
    results = fake_results(phantom, nifti, FRAMES, lax=False)
    with pytest.raises(CineMAInputError, match="DICOM export needs the DICOM source") as info:
        views_to_export(nifti, results)
    assert "\n" not in str(info.value)


def test_a_failed_export_writes_nothing_and_keeps_earlier_files(exported, tmp_path: Path) -> None:
    phantom, study, results, report, _ = exported
    old = tmp_path / "sr.dcm"
    old.write_bytes(b"an earlier export")
    views = views_to_export(study, results)
    views["sax"].labels = views["sax"].labels[:, :, :-1]  # one slice short: refused while building
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CineMAInputError, match="do not match the source series"):
            export_dicom(views, report, tmp_path, algorithm_from(results.provenance))
    assert old.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sr.dcm"]


def test_another_tools_seg_reads_back_onto_the_study_grid(exported, tmp_path: Path) -> None:
    """A single-phase SEG as other tools write it: empty frames omitted, no temporal index, a myocardium named
    only by its label, and an extra segment (left atrium) that is skipped with a warning."""
    import highdicom as hd
    from highdicom.seg import SegmentAlgorithmTypeValues, SegmentDescription, Segmentation, SegmentationTypeValues

    phantom, study, _, _, _ = exported
    refs = study["sax"].dicom_refs
    t = FRAMES[1]
    sources = [pydicom.dcmread(str(refs.files[k][t]), stop_before_pixels=True) for k in range(refs.n_slices)]
    truth = phantom.labels["sax"][..., t]
    pixels = np.transpose(truth, (2, 1, 0)).astype(np.uint8)
    pixels = np.where(pixels == 0, 0, pixels + 1)  # segment 2 RV, 3 MYO, 4 LV; segment 1 left atrium (empty)
    pixels[0, :3, :3] = 1
    cat = hd.sr.CodedConcept("91723000", "SCT", "Anatomical Structure")
    described = [("Left atrium", hd.sr.CodedConcept("82471001", "SCT", "Left atrium")),
                 ("Right ventricle", hd.sr.CodedConcept("53085002", "SCT", "Right ventricle")),
                 ("Myocardium", hd.sr.CodedConcept("74281007", "SCT", "Myocardium")),
                 ("Heart left ventricle", hd.sr.CodedConcept("87878005", "SCT", "Left ventricle"))]
    descriptions = [SegmentDescription(i + 1, label, cat, code, SegmentAlgorithmTypeValues.MANUAL)
                    for i, (label, code) in enumerate(described)]
    seg = Segmentation(sources, pixels, SegmentationTypeValues.BINARY, descriptions, hd.UID(), 5, hd.UID(), 1,
                       "Other", "Viewer", "1", "0")
    seg.save_as(str(tmp_path / "other.dcm"))
    with pytest.warns(UserWarning, match="Left atrium"):
        labels, affine, present = read_seg(tmp_path / "other.dcm")
    assert labels.ndim == 3 and present == [0]
    np.testing.assert_allclose(affine, study["sax"].affine, atol=1e-4)
    last = int(np.flatnonzero(truth.any(axis=(0, 1))).max())  # empty frames omitted: the grid ends at the last
    want = truth[:, :, :last + 1].copy()                        # slice the SEG holds (slice 0 has the atrium)
    want[:3, :3, 0] = 0  # the left atrium is not ours
    assert np.array_equal(labels, want)
