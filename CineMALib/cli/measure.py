"""`cinema measure`: clinical measurements from label files (an ED/ES pair or one 4-D cine) into a report folder.

A label file may also be a DICOM SEG (ours or another tool's; :mod:`CineMALib.exchange.seg_read`).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from CineMALib.cli.phases import add_phase_arguments
from CineMALib.errors import CineMAInputError
from CineMALib.labels import LABEL_MAPS, to_cinema_labels
from CineMALib.measure import ED_ES_KEY, Report, measure_labels
from CineMALib.measure.bsa import FORMULAS
from CineMALib.io.labels import read_label_file
from CineMALib.io.reader import read_volume_file
from CineMALib.report import write_outputs, write_overlay_plot
from CineMALib.study import StudyMetadata

HELP = "measure LV/RV volumes, EF, mass, output (and BSA-indexed values) from label files; write report.csv etc."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    src = parser.add_argument_group("labels (either --ed and --es, or --labels)")
    src.add_argument("--ed", type=Path, help="3-D end-diastole SAX label file")
    src.add_argument("--es", type=Path, help="3-D end-systole SAX label file (same grid as --ed)")
    src.add_argument("--labels", type=Path, help="one 4-D (x, y, z, t) SAX label file, or a DICOM SEG of the SAX cine "
                                                 "(seg_sax.dcm, or another tool's; its frames present are measured)")
    add_phase_arguments(src, "empty (unlabelled) frames are never chosen; with --ed/--es the numbers are only the "
                             "cine frames to report")
    parser.add_argument("--label-map", choices=sorted(LABEL_MAPS), default="cinema",
                        help="label values of the files (cinema/acdc: 1 RV 2 MYO 3 LV; mnms/ukbb: 1 LV 2 MYO 3 RV)")
    parser.add_argument("--image", type=Path, nargs="+", metavar="IMAGE",
                        help="the cine image (one 4-D file, or ED and ES 3-D files) for an overlay.png check")
    parser.add_argument("--height", type=float, metavar="CM", help="height in cm (with --weight: BSA, indexed values)")
    parser.add_argument("--weight", type=float, metavar="KG", help="weight in kg")
    parser.add_argument("--sex", choices=["M", "F"], help="sex, for sex-specific reference thresholds")
    parser.add_argument("--heart-rate", type=float, metavar="BPM", help="heart rate for cardiac output")
    parser.add_argument("--bsa-formula", choices=sorted(FORMULAS), default="mosteller")
    parser.add_argument("--study-id", help="study identifier in the reports (default: the label file name)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")


def _study_id(path: Path) -> str:
    return path.name.split(".")[0]


def _read(path: Path, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """A label file, or a DICOM SEG (its frames present kept in ``args.analysed``)."""
    from CineMALib.exchange.seg_read import is_dicom_seg, read_seg

    if path.is_file() and is_dicom_seg(path):
        if args.label_map != "cinema":
            raise CineMAInputError(path, "a DICOM SEG names its segments by code; --label-map does not apply to it")
        labels, affine, present = read_seg(path)
        args.analysed = present if labels.ndim == 4 else None
        return labels, affine
    return read_label_file(path)


def _load(args: argparse.Namespace) -> tuple[np.ndarray | tuple[np.ndarray, np.ndarray], np.ndarray, Path]:
    args.analysed = None
    if args.labels is not None:
        if args.ed is not None or args.es is not None:
            raise CineMAInputError(None, "give either --labels (4-D) or --ed and --es, not both")
        labels, affine = _read(args.labels, args)
        if labels.ndim != 4 or labels.shape[3] < 2:
            raise CineMAInputError(args.labels, f"--labels needs a 4-D cine with >= 2 frames, got shape {labels.shape}")
        return labels, affine, args.labels
    if args.ed is None or args.es is None:
        raise CineMAInputError(None, "give --ed and --es label files, or one 4-D --labels file")
    (ed, ed_aff), (es, es_aff) = _read(args.ed, args), _read(args.es, args)
    args.analysed = None
    ed, es = _squeeze3(ed), _squeeze3(es)
    for path, arr in ((args.ed, ed), (args.es, es)):
        if arr.ndim != 3:
            raise CineMAInputError(path, f"expected a 3-D label map, got shape {arr.shape}")
    if ed.shape != es.shape or not np.allclose(ed_aff, es_aff, atol=1e-3):
        raise CineMAInputError(args.es, f"ES labels {es.shape} are not on the ED grid {ed.shape} (shape or affine)")
    return (ed, es), ed_aff, args.ed


def _squeeze3(arr: np.ndarray) -> np.ndarray:
    return arr[..., 0] if arr.ndim == 4 and arr.shape[3] == 1 else arr


def _overlay(args: argparse.Namespace, labels, report: Report, out: Path) -> Path:
    """Check the image grid against the labels and draw the ED/ES overlay."""
    files = args.image
    if len(files) == 1:
        image = read_volume_file(files[0]).data  # (x, y, z, t) float32, the ACDC spacing trap handled
        if image.shape[3] < 2:
            raise CineMAInputError(files[0], f"a single --image must be a 4-D cine, got shape {image.shape[:3]}")
        ed_img, es_img = image[..., report.ed_frame], image[..., report.es_frame]
    elif len(files) == 2:
        ed_img, es_img = (_squeeze3(read_volume_file(f).data) for f in files)
    else:
        raise CineMAInputError(None, "--image takes one 4-D file or two 3-D files (ED ES)")
    if isinstance(labels, tuple):
        ed_lab, es_lab = labels
    else:
        ed_lab, es_lab = labels[..., report.ed_frame], labels[..., report.es_frame]
    for img, lab, path in ((ed_img, ed_lab, files[0]), (es_img, es_lab, files[-1])):
        if img.shape != lab.shape:
            raise CineMAInputError(path, f"image frame shape {img.shape} differs from the labels {lab.shape}")
    convert = (lambda a: a) if args.label_map == "cinema" else (lambda a: to_cinema_labels(a, args.label_map))
    return write_overlay_plot(ed_img, convert(ed_lab), es_img, convert(es_lab), out / "overlay.png",
                              f"{report.study_id}: labels on the image (CineMA colours: LV red, MYO green, RV blue)")


def run(args: argparse.Namespace) -> int:
    if (args.height is None) != (args.weight is None):
        raise CineMAInputError(None, "give both --height and --weight (or neither)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        labels, affine, source = _load(args)
        metadata = StudyMetadata(height_cm=args.height, weight_kg=args.weight, sex=args.sex,
                                 heart_rate_bpm=args.heart_rate)
        try:
            report = measure_labels(labels, affine, label_map=args.label_map, ed=args.ed_frame, es=args.es_frame,
                                    metadata=metadata, study_id=args.study_id or _study_id(source),
                                    bsa_formula=args.bsa_formula, analysed_frames=args.analysed,
                                    given_by="given by the user (--ed-frame/--es-frame)")
        except CineMAInputError as err:  # name the file when the library could not
            raise (CineMAInputError(source, err.problem) if err.path is None else err) from None
        extra = (_overlay(args, labels, report, args.out),) if args.image else ()
    for warning in caught:
        report.notes.append(str(warning.message))
        print(f"cinema measure: warning: {warning.message}", file=sys.stderr)
    report.provenance["labels"] = str(args.labels or f"ED {args.ed}, ES {args.es}")
    if args.image:
        report.provenance["image"] = " ".join(str(p) for p in args.image)
    written = write_outputs(report, args.out, extra)
    for key in ("LVEDV (mL)", "LVESV (mL)", "LVEF (%)", "LVM (g)", "RVEDV (mL)", "RVESV (mL)", "RVEF (%)"):
        row = report.get(key)
        print(f"{key:12s} {row.formatted() if row else 'n/a'}")
    print(f"ED frame {report.ed_frame}, ES frame {report.es_frame} ({report.provenance.get(ED_ES_KEY, '').partition(':')[0]}); wrote {', '.join(sorted(written))} to {args.out}")
    return 0
