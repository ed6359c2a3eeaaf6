"""``cinema info INPUT [--json] [--view VIEW=PATH ...] [--lv-center R,A,S]``: what CineMA reads from a study, and where
it finds the LV (or, with ``--lv-center``, where the user puts it: world mm, RAS, checked against the SAX stack).

Text output lists each view (matrix, spacing, frames, orientation codes, trigger times), the metadata, the located
LV centre with its confidence, and any warnings raised while reading. Bad input exits with status 2 and a
one-line message naming the file and the problem (no traceback).

``--json`` prints one object (stable keys; new keys may be added, none removed or renamed)::

    {
      "study_id": str, "source": str | null,
      "metadata": {"patient_id", "height_cm", "weight_kg", "sex", "heart_rate_bpm": value | null, "extra": {str: str}},
      "views": {
        "<view>": {                       # sax, lax_2c, lax_3c, lax_4c
          "shape": [x, y, z],             # spatial matrix of the view's own grid
          "spacing_mm": [sx, sy, sz],
          "n_frames": int,
          "affine": [[4 floats] x 4],     # voxel (i, j, k, 1) -> RAS mm
          "orientation": "LPS"-style axis codes of i, j, k in RAS terms (nibabel.aff2axcodes), e.g. "LPS"
          "trigger_times_ms": [float] | null,
          "lv_center_voxel": [i, j, k] | null,   # 0-based, continuous, in this view's grid
          "lv_center_world": [x, y, z] | null,   # RAS mm
          "lv_center_confidence": float | null,  # 0-1
          "lv_center_method": str | null,
          "lv_center_warning": str | null,
          "lv_center_source": "automatic" | "user" | null,   # user: --lv-center (SAX; LAX views are steered by it)
          "lv_center_cue": str | null,           # which cues decided
          "lv_center_candidates": [{"center_voxel": [i, j, k], "center_world": [x, y, z], "score": float,
                                    "cues": {str: float}}]   # best first; [0] is the chosen one
        }
      },
      "lv_center_confidence": float | null,   # of the SAX view when present, else of the first view
      "lv_center_world": [x, y, z] | null,    # RAS mm, of the same view
      "lv_center_source": "automatic" | "user" | null,
      "warnings": [str]
    }
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

import nibabel as nib
import numpy as np

from CineMALib.errors import CineMAInputError
from CineMALib.study import CineStudy, CineView

HELP = "show the views, geometry, metadata and located LV centre of a cine study"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", nargs="?", help="DICOM folder, NIfTI/NRRD file, or folder of NIfTI/NRRD files")
    parser.add_argument("--view", action="append", default=[], metavar="VIEW=PATH",
                        help="give a view explicitly (repeatable), e.g. --view sax=sa.nii.gz --view lax_4c=4ch.nii.gz")
    parser.add_argument("--json", action="store_true", help="print one JSON object (keys documented in the module)")
    parser.add_argument("--no-locate", action="store_true", help="skip locating the LV centre (faster)")
    parser.add_argument("--lv-center", metavar="R,A,S",
                        help="give the LV centre in world mm, RAS (as Slicer shows it), e.g. 12.5,-40,33: used for the "
                             "SAX stack (checked to lie inside it) and to steer the long-axis views")


def _inputs(args: argparse.Namespace) -> Any:
    if not args.view:
        if not args.input:
            raise CineMAInputError(None, "no input given: pass a path or --view VIEW=PATH")
        return args.input
    mapping = {}
    for item in args.view:
        name, sep, path = item.partition("=")
        if not sep or not path:
            raise CineMAInputError(None, f"--view expects VIEW=PATH, got {item!r}")
        mapping[name.strip()] = path
    return mapping


def _floats(values: Any) -> list[float] | None:
    return None if values is None else [round(float(v), 6) for v in np.asarray(values).ravel()]


def _candidates(found: Any) -> list[dict[str, Any]]:
    return [{"center_voxel": _floats(c.center_voxel), "center_world": _floats(c.center_world),
             "score": round(float(c.score), 4), "cues": {k: round(float(v), 4) for k, v in dict(c.cues).items()}}
            for c in getattr(found, "candidates", None) or []]


def _locate(view: CineView, study: CineStudy, centre: Any) -> Any:
    """The automatic location; with a user ``centre`` (RAS mm), that point on the SAX stack and LAX views steered
    by it."""
    from CineMALib.locate import locate_lv_center  # lazy: pulls scipy and the image filters

    if centre is None:
        return locate_lv_center(view, study)
    if view.name == "sax":
        from CineMALib.user_centre import user_location

        return user_location(view, centre, study.source)
    return locate_lv_center(view, study, sax_center_world=np.asarray(centre, dtype=float))


def describe_view(view: CineView, study: CineStudy, locate: bool, centre: Any = None) -> dict[str, Any]:
    """The JSON entry of one view (see the module docstring); ``centre``: a user-given LV centre (RAS mm)."""
    entry: dict[str, Any] = {
        "shape": list(view.shape), "spacing_mm": _floats(view.spacing), "n_frames": view.n_frames,
        "affine": [_floats(row) for row in view.affine], "orientation": "".join(nib.aff2axcodes(view.affine)),
        "trigger_times_ms": _floats(view.trigger_times_ms),
        "lv_center_voxel": None, "lv_center_world": None, "lv_center_confidence": None,
        "lv_center_method": None, "lv_center_warning": None, "lv_center_source": None, "lv_center_cue": None,
        "lv_center_candidates": [],
    }
    if locate:
        found = _locate(view, study, centre)
        user = centre is not None and view.name == "sax"
        entry.update(lv_center_voxel=_floats(found.center_voxel), lv_center_world=_floats(found.center_world),
                     lv_center_confidence=None if user else round(float(found.confidence), 4),
                     lv_center_method=found.method, lv_center_warning=found.warning,
                     lv_center_source="user" if user else "automatic",
                     lv_center_cue=getattr(found, "cue", "") or found.method, lv_center_candidates=_candidates(found))
    return entry


def describe_study(study: CineStudy, caught: list[str], locate: bool = True, centre: Any = None) -> dict[str, Any]:
    """The whole ``--json`` object; ``centre``: a user-given LV centre (RAS mm) for the SAX stack."""
    if centre is not None and "sax" not in study:
        raise CineMAInputError(study.source, "--lv-center needs a short-axis (sax) stack, and this study has none "
                                             f"(views: {', '.join(study.views) or 'none'})")
    views = {name: describe_view(view, study, locate, centre) for name, view in study.views.items()}
    main = views.get("sax") or next(iter(views.values()), {})
    meta = study.metadata
    return {
        "study_id": study.study_id, "source": str(study.source) if study.source else None,
        "metadata": {"patient_id": meta.patient_id, "height_cm": meta.height_cm, "weight_kg": meta.weight_kg,
                     "sex": meta.sex, "heart_rate_bpm": meta.heart_rate_bpm, "extra": dict(meta.extra)},
        "views": views, "lv_center_confidence": main.get("lv_center_confidence"),
        "lv_center_world": main.get("lv_center_world"), "lv_center_source": main.get("lv_center_source"),
        "warnings": caught,
    }


def _print_text(info: dict[str, Any]) -> None:
    print(f"study {info['study_id']}  ({info['source']})")
    for name, v in info["views"].items():
        sp = " x ".join(f"{s:.3g}" for s in v["spacing_mm"])
        print(f"  {name:7s} matrix {' x '.join(map(str, v['shape']))}, {v['n_frames']} frames, spacing {sp} mm, "
              f"orientation {v['orientation']}")
        if v["trigger_times_ms"]:
            t = v["trigger_times_ms"]
            print(f"          trigger times {t[0]:.1f}-{t[-1]:.1f} ms")
        if v["lv_center_voxel"] is not None:
            ijk = ", ".join(f"{c:.1f}" for c in v["lv_center_voxel"])
            xyz = ", ".join(f"{c:.1f}" for c in v["lv_center_world"])
            conf = v["lv_center_confidence"]
            how = "given by the user" if conf is None else f"confidence {conf:.2f}"
            print(f"          LV centre voxel ({ijk}) = RAS ({xyz}) mm, {how} [{v['lv_center_method']}]")
            if v["lv_center_warning"]:
                print(f"          note: {v['lv_center_warning']}")
            rivals = v["lv_center_candidates"][1:4]
            if rivals:
                print("          other candidates: " + "; ".join(
                    "RAS (" + ", ".join(f"{c:.1f}" for c in r["center_world"]) + f") score {r['score']:.2f}"
                    for r in rivals))
    meta = info["metadata"]
    facts = [f"{k} {meta[k]}" for k in ("patient_id", "height_cm", "weight_kg", "sex", "heart_rate_bpm")
             if meta[k] is not None] + [f"{k} {v}" for k, v in meta["extra"].items()]
    print("  metadata: " + ("; ".join(facts) if facts else "none"))
    for w in info["warnings"]:
        print(f"warning: {w}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from CineMALib.io import read_study  # lazy: keeps `cinema --help` fast

    centre = None
    if args.lv_center is not None:
        from CineMALib.user_centre import parse_centre

        try:
            centre = parse_centre(args.lv_center)
        except ValueError as err:
            raise CineMAInputError(None, str(err)) from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = read_study(_inputs(args))
        info = describe_study(study, [], locate=not args.no_locate or centre is not None, centre=centre)
    info["warnings"] = list(dict.fromkeys(str(w.message) for w in caught))
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_text(info)
    return 0
