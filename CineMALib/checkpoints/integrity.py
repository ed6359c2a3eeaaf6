"""File integrity: size + SHA-256 recorded once, verified on every later load; optional ``SHA256SUMS`` files.

Why: a model file that was truncated by an interrupted copy, edited, or swapped would otherwise load silently (or
fail deep inside torch). The first successful load of a weights or config file writes a small sidecar record

    $CINEMA_CACHE_DIR (default ~/.cache/cinema)/integrity/hub/<repo_id>/<revision>/<path in repo>.sha256.json
    $CINEMA_CACHE_DIR/integrity/local/<16 hex of the folder path>/<path in folder>.sha256.json

holding ``{"path", "size", "sha256", "recorded"}``; each later load recomputes both and refuses a mismatch. A local
weights folder may also hold ``SHA256SUMS`` (``sha256sum`` output: ``<64 hex>  <relative path>``) at its root or
next to the file; listed files must match it, and for them the list replaces the record (it travels with the files,
so a folder upgraded with its list loads). Files from the hub cache are also checked against the hub's own
content address (large files are stored as ``blobs/<sha256>``), so even a first load catches a corrupt download.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from CineMALib.errors import CineMAWeightsError

SUMS_FILE_NAMES: tuple[str, ...] = ("SHA256SUMS", "SHA256SUMS.txt", "sha256sums.txt")
_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(.+?)\s*$")


def cinema_cache_dir() -> Path:
    """CineMA's own cache folder: ``$CINEMA_CACHE_DIR`` or ``~/.cache/cinema``."""
    return Path(os.environ.get("CINEMA_CACHE_DIR") or Path.home() / ".cache" / "cinema").expanduser()


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file, streamed (released files are up to ~510 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def hub_sidecar(repo_id: str, revision: str, rel_path: str) -> Path:
    """Where the record of a file downloaded from the hub lives."""
    return cinema_cache_dir() / "integrity" / "hub" / repo_id / revision / f"{rel_path}.sha256.json"


def local_sidecar(folder: Path, rel_path: str) -> Path:
    """Where the record of a file in a local weights folder lives (keyed by the folder's absolute path)."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return cinema_cache_dir() / "integrity" / "local" / key / f"{rel_path}.sha256.json"


def check_record(path: Path, sidecar: Path, sha256: str) -> bool:
    """True when a record exists and matches; raise when it exists and does not; False when there is none."""
    if not sidecar.is_file():
        return False
    try:
        record = json.loads(sidecar.read_text(encoding="utf-8"))
        size, expected = int(record["size"]), str(record["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # an unreadable record is rewritten after this load succeeds
    actual_size = path.stat().st_size
    if actual_size != size or sha256 != expected:
        what = f"size {actual_size} bytes, expected {size}" if actual_size != size else "same size, different content"
        raise CineMAWeightsError(
            f"{path}: the file changed since it was first loaded ({what}; sha256 {sha256[:16]}..., recorded "
            f"{expected[:16]}...). It is corrupt, truncated or replaced. Delete it so it is fetched again (or put the "
            f"released file back); if you replaced it on purpose, delete the record {sidecar}."
        )
    return True


def write_record(path: Path, sidecar: Path, sha256: str) -> None:
    """Record size and hash after a successful load (best effort: a read-only cache only loses the check)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    record = {"path": str(path), "size": path.stat().st_size, "sha256": sha256, "recorded": stamp}
    try:
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        tmp = sidecar.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        tmp.replace(sidecar)
    except OSError:
        pass


def check_hub_blob(path: Path, sha256: str) -> None:
    """Hub cache entries of large (LFS) files link to ``blobs/<sha256>``: a different content hash means corruption."""
    blob = path.resolve()
    if blob.parent.name == "blobs" and re.fullmatch(r"[0-9a-f]{64}", blob.name) and blob.name != sha256:
        raise CineMAWeightsError(
            f"{path}: the hub cache copy is corrupt (its sha256 is {sha256}, the hub published {blob.name}). "
            f"Delete {blob} and load again to download it afresh."
        )


def _read_sums(sums: Path) -> dict[str, str]:
    table = {}
    for line in sums.read_text(encoding="utf-8", errors="replace").splitlines():
        if match := _SUM_LINE.match(line.strip()):
            table[match.group(2).replace("\\", "/").removeprefix("./")] = match.group(1).lower()
    return table


def check_sums_files(folder: Path, rel_path: str, path: Path, sha256: str) -> list[Path]:
    """Verify ``path`` against SHA256SUMS at the folder root or beside the file; return the files that listed it."""
    used = []
    candidates = [(folder / name, rel_path) for name in SUMS_FILE_NAMES]
    candidates += [(path.parent / name, path.name) for name in SUMS_FILE_NAMES]
    for sums, key in candidates:
        if not sums.is_file() or sums in used:
            continue
        expected = _read_sums(sums).get(key)
        if expected is None:
            continue
        if expected != sha256:
            raise CineMAWeightsError(
                f"{path}: sha256 {sha256} does not match {expected} listed in {sums}. The file is corrupt, "
                "truncated or not the released one; copy it again (or fix the SHA256SUMS line)."
            )
        used.append(sums)
    return used
