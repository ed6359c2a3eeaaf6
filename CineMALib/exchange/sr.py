"""The report as a DICOM Comprehensive 3D SR, TID 1500 Measurement Report, pointing at the SEG segments it measured.

Groups (each a TID 1411 volumetric group referencing one SEG segment, restricted to the SEG frames of its phase):
LV blood pool at ED (LVEDV, LVEDVi) and at ES (LVESV, LVESVi); LV myocardium at ED (LVM, LVMi); RV blood pool at ED
and ES; LV and RV function over ED+ES (SV, EF, CO, indexed). A TID 1501 group holds the numbers not measured on one
segment (heart rate, BSA, long-axis function from landmarks, the ED/ES frame indices, the LV centre). Disease
scores go in their own TID 1501 group whose algorithm identification names the model, whose tracking identifier says
it is a research model output and not a diagnostic device, with the most probable class as a qualitative evaluation.
Every number carries its UCUM unit and code (see :mod:`CineMALib.exchange.codes`); volumes carry the method code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydicom.dataset import Dataset

from CineMALib.exchange import codes as C
from CineMALib.exchange.seg import Algorithm
from CineMALib.measure.report import Measurement, Report

#: (tracking text, segment label, phase, row names); phase "ED", "ES" or "ED-ES".
SEGMENT_GROUPS: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("LV blood pool at end diastole", 3, "ED", ("LVEDV", "LVEDVi")),
    ("LV blood pool at end systole", 3, "ES", ("LVESV", "LVESVi")),
    ("LV myocardium at end diastole", 2, "ED", ("LVM", "LVMi")),
    ("RV blood pool at end diastole", 1, "ED", ("RVEDV", "RVEDVi")),
    ("RV blood pool at end systole", 1, "ES", ("RVESV", "RVESVi")),
    ("LV function, end diastole to end systole", 3, "ED-ES", ("LVSV", "LVEF", "LVCO", "LVSVi", "LVCI")),
    ("RV function, end diastole to end systole", 1, "ED-ES", ("RVSV", "RVEF", "RVSVi")),
)
VOLUMETRIC = {"LVEDV", "LVESV", "LVM", "RVEDV", "RVESV"}


@dataclass
class SegRef:
    """The SAX SEG the groups reference and, per cine frame, its SEG frame numbers by segment."""

    dataset: Dataset

    def frames(self, segment: int, cine_frames: Sequence[int]) -> list[int]:
        wanted = {t + 1 for t in cine_frames}
        out = []
        for number, item in enumerate(self.dataset.PerFrameFunctionalGroupsSequence, start=1):
            seg = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
            if seg == segment and int(item.FrameContentSequence[0].TemporalPositionIndex) in wanted:
                out.append(number)
        return out

    def sources(self, frame_numbers: Sequence[int]) -> list[tuple[str, str]]:
        items = self.dataset.PerFrameFunctionalGroupsSequence
        refs = {}
        for number in frame_numbers:
            for ref in items[number - 1].DerivationImageSequence[0].SourceImageSequence:
                refs[ref.ReferencedSOPInstanceUID] = ref.ReferencedSOPClassUID
        return [(cls, uid) for uid, cls in refs.items()]


def _concept(code: C.Code):
    import highdicom as hd

    return hd.sr.CodedConcept(code.value, code.scheme, code.meaning)


def _measurement(row: Measurement, algorithm_id) -> object:
    import highdicom as hd

    unit, meaning = C.ucum(row.unit, row.name)
    return hd.sr.Measurement(name=_concept(C.measurement_code(row.name)), value=float(row.value),
                             unit=hd.sr.CodedConcept(unit, "UCUM", meaning),
                             method=_concept(C.DISC_SUMMATION) if row.name in VOLUMETRIC else None,
                             algorithm_id=algorithm_id)


def _phase_frames(report: Report, phase: str) -> list[int]:
    frames = {"ED": [report.ed_frame], "ES": [report.es_frame], "ED-ES": [report.ed_frame, report.es_frame]}[phase]
    return [int(f) for f in frames if f is not None]


def _segment_groups(report: Report, seg: SegRef, algorithm_id, used: set[str]) -> list:
    import highdicom as hd

    groups = []
    for text, segment, phase, names in SEGMENT_GROUPS:
        rows = [report.get(n) for n in names]
        rows = [r for r in rows if r is not None and r.available]
        if not rows:
            continue
        frames = seg.frames(segment, _phase_frames(report, phase))
        if not frames:
            continue
        used.update(r.name for r in rows)
        sources = [hd.sr.SourceImageForSegmentation(cls, uid) for cls, uid in seg.sources(frames)]
        ref = hd.sr.ReferencedSegment(sop_class_uid=seg.dataset.SOPClassUID, sop_instance_uid=seg.dataset.SOPInstanceUID,
                                      segment_number=segment, source_images=sources)  # PS3.3 C.18.3.1: segment
        # number and frame numbers exclude each other; the ED/ES frames are named by their source images
        frames_text = ", ".join(f"{p} frame {f}" for p, f in zip(phase.split("-"), _phase_frames(report, phase)))
        groups.append(hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=f"{text} ({frames_text})"),
            referenced_segment=ref, finding_type=_concept(C.SEGMENT_CODES[segment]),
            time_point_context=hd.sr.TimePointContext(time_point=frames_text),
            measurements=[_measurement(r, algorithm_id) for r in rows]))
    return groups


def _is_score(row: Measurement) -> bool:
    return row.name.startswith("P(") or "regression estimate" in row.method


def _score_group(rows: list[Measurement], model: str, version: str) -> object:
    import highdicom as hd

    algorithm = hd.sr.AlgorithmIdentification(name=model[:64], version=version or "unknown",
                                              parameters=[C.DISEASE_MODEL_NOTE])
    evaluations = []
    probabilities = {r.name[2:r.name.index(")")]: r.value for r in rows if r.name.startswith("P(") and ")" in r.name}
    if probabilities:
        best = max(probabilities, key=lambda k: probabilities[k])
        value = C.Code(f"CLS{best.upper()}"[:16], C.PRIVATE_SCHEME, f"{best} (most probable class of {model})"[:64])
        evaluations.append(hd.sr.QualitativeEvaluation(_concept(C.DISEASE_CLASS), _concept(value)))
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=(
            f"Disease scores of {model}: {C.DISEASE_MODEL_NOTE}")),
        algorithm_id=algorithm, measurements=[_measurement(r, algorithm) for r in rows],
        qualitative_evaluations=evaluations or None)


def build_sr(report: Report, seg: Dataset | None, evidence: Sequence[Dataset], algorithm: Algorithm, *,
             series_uid: str, sop_uid: str, series_number: int, instance_number: int,
             score_model: str = "", institution: str | None = None) -> Dataset:
    """The TID 1500 report of ``report``'s available numbers; ``seg`` is the SAX SEG (None: no segment groups)."""
    import highdicom as hd
    from pydicom.sr.codedict import codes

    algorithm_id = hd.sr.AlgorithmIdentification(name=algorithm.name, version=algorithm.version or "unknown",
                                                 parameters=list(algorithm.parameters) or None)
    used: set[str] = set()
    groups = _segment_groups(report, SegRef(seg), algorithm_id, used) if seg is not None else []
    rows = [r for r in report.rows if r.available and r.name not in used]
    scores = [r for r in rows if _is_score(r)]
    others = [r for r in rows if not _is_score(r)]
    if others:
        groups.append(hd.sr.MeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="Whole-study measurements"),
            measurements=[_measurement(r, algorithm_id) for r in others]))
    if scores:
        groups.append(_score_group(scores, score_model or "CineMA disease model", algorithm.version))
    device = hd.sr.ObserverContext(observer_type=codes.DCM.Device,
                                   observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
                                       uid=hd.UID(), name=algorithm.name, manufacturer_name="CineMA for 3D Slicer",
                                       model_name=(algorithm.version or "unknown")[:64]))
    content = hd.sr.MeasurementReport(observation_context=hd.sr.ObservationContext(observer_device_context=device),
                                      procedure_reported=_concept(C.CARDIAC_MRI), imaging_measurements=groups)
    sr = hd.sr.Comprehensive3DSR(evidence=list(evidence), content=content[0], series_instance_uid=series_uid,
                                 series_number=series_number, sop_instance_uid=sop_uid,
                                 instance_number=instance_number, manufacturer="CineMA", is_complete=True,
                                 institution_name=institution, series_description="CineMA measurement report")
    _declare_private_scheme(sr)
    return sr


def _declare_private_scheme(ds: Dataset) -> None:
    """Coding Scheme Identification Sequence entry for 99CINEMA (PS3.3 C.12.1: needed for private schemes)."""
    item = Dataset()
    item.CodingSchemeDesignator = C.PRIVATE_SCHEME
    item.CodingSchemeName = C.PRIVATE_SCHEME_NAME
    item.CodingSchemeResponsibleOrganization = C.PRIVATE_SCHEME_ORG
    seq = list(ds.get("CodingSchemeIdentificationSequence", []))
    seq.append(item)
    ds.CodingSchemeIdentificationSequence = seq
