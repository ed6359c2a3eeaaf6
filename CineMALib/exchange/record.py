"""``dicom_source.json`` in a study's result folder: what ``cinema export-dicom`` needs later, without re-reading.

It keeps, per labelled view, the source SOP instances of every (slice, frame), the analysed frames, the labels
file and its SHA-256 when written (a different hash later means the labels were edited by hand: the SEG then says
SEMIAUTOMATIC), the ED/ES frames, and the algorithm identification (CineMA version, weights, seeds, mode, checksums).
Only a study read from DICOM gets one; its absence is how a NIfTI result is recognised.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from CineMALib.atomic import atomic_write_text
from CineMALib.errors import CineMAInputError
from CineMALib.exchange.seg import Algorithm
from CineMALib.io.dicom_refs import DicomRefs
from CineMALib.results import AnalysisResults
from CineMALib.study import CineStudy

RECORD = "dicom_source.json"
FORMAT = "cinema-dicom-source/1"
PROVENANCE_KEYS = ("weights", "seeds", "mode", "device")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def algorithm_from(provenance: dict[str, str], checksums: dict[str, str] | None = None) -> Algorithm:
    """CineMA's identification from an analysis' provenance (model, weights, seeds, mode) and weight checksums."""
    from CineMALib import __version__

    params = [f"{k}={provenance[k]}" for k in PROVENANCE_KEYS if provenance.get(k)]
    params += [f"sha256 {name}={digest[:16]}" for name, digest in sorted((checksums or {}).items())]
    params += [f"{k}={v}" for k, v in provenance.items() if "sha256" in k.lower() and k not in PROVENANCE_KEYS]
    return Algorithm(name="CineMA", version=f"CineMALib {__version__}", parameters=tuple(params))


def score_model_name(results: AnalysisResults) -> str:
    names = [s.checkpoint for s in results.scores if s.probabilities]
    return ", ".join(names)


def write_record(folder: Path, study: CineStudy, results: AnalysisResults, algorithm: Algorithm) -> Path | None:
    """Write the record for a DICOM study (None, nothing written, for NIfTI/NRRD input)."""
    views: dict[str, Any] = {}
    for name, result in results.views.items():
        refs = study.views[name].dicom_refs if name in study.views else None
        labels_file = folder / f"segmentation_{name}.nii.gz"
        if refs is None or result.labels is None or not labels_file.is_file():
            continue
        views[name] = {"refs": refs.to_json(), "analysed_frames": [int(t) for t in result.analysed_frames],
                       "labels_file": labels_file.name, "labels_sha256": sha256_file(labels_file)}
    if not views:
        return None
    data = {"format": FORMAT, "study_id": results.study_id, "source": str(study.source.resolve()) if study.source
            else "", "ed_frame": results.ed_frame, "es_frame": results.es_frame, "views": views,
            "algorithm": {"name": algorithm.name, "version": algorithm.version, "parameters": list(algorithm.parameters)},
            "score_model": score_model_name(results)}
    return atomic_write_text(folder / RECORD, json.dumps(data, indent=1) + "\n")


def read_record(folder: Path) -> dict[str, Any]:
    """The record of a study result folder; one clear error when it is missing or not ours."""
    path = folder / RECORD
    if not path.is_file():
        raise CineMAInputError(folder, f"no {RECORD}: this result was not analysed from a DICOM study (NIfTI/NRRD "
                                       "input, or an older CineMA), so there are no source images to reference; "
                                       "DICOM export needs the DICOM source")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CineMAInputError(path, f"unreadable ({err})") from None
    if data.get("format") != FORMAT:
        raise CineMAInputError(path, f"format {data.get('format')!r} is not {FORMAT!r}")
    return data


def refs_of(data: dict[str, Any], view: str) -> DicomRefs:
    return DicomRefs.from_json(data["views"][view]["refs"])


def algorithm_of(data: dict[str, Any], edited: bool) -> Algorithm:
    alg = data.get("algorithm") or {}
    return Algorithm(name=alg.get("name", "CineMA"), version=alg.get("version", ""),
                     parameters=tuple(alg.get("parameters", ())), kind="SEMIAUTOMATIC" if edited else "AUTOMATIC")


def weights_checksums(options: Any) -> dict[str, str]:
    """SHA-256 of the SAX segmentation checkpoint files that made the labels (local folders: demo or a path;
    official weights: the hub cache, looked up without any download). Empty when they cannot be found."""
    from CineMALib.analysis.weights import checkpoint_name
    from CineMALib.checkpoints import folder_files

    name = checkpoint_name("segmentation_sax", options, "sax")
    out: dict[str, str] = {}
    for seed in options.seeds:
        path: Path | None = None
        if options.weights_dir is not None:
            path = folder_files(options.weights_dir, name, seed)[1]
        else:
            try:
                from huggingface_hub import try_to_load_from_cache

                from CineMALib.checkpoints.registry import get_checkpoint

                entry = get_checkpoint(name)
                found = try_to_load_from_cache(entry.hub_repo, entry.weights_path(seed))
                path = Path(found) if isinstance(found, str) else None
            except Exception:  # noqa: BLE001 - a missing cache entry only leaves the checksum out
                path = None
        if path is not None and path.is_file():
            out[f"{name} seed {seed}"] = sha256_file(path)
    return out
