"""Fetching released files from the Hugging Face hub, and telling the user what to do when that is impossible.

Files go to the hub's own cache (``HF_HOME``/``HF_HUB_CACHE``; shared with other HF tools) with its progress bar.
``HF_HUB_OFFLINE=1`` is honoured by ``hf_hub_download`` itself: cached files are returned, nothing is requested.
"""

from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import hf_hub_download

WEIGHTS_ENV = "CINEMA_WEIGHTS_DIR"


class HubUnavailable(Exception):
    """The hub could not provide a file (offline, unreachable, not cached); the loader turns it into advice."""


def hub_offline() -> bool:
    """Whether the user asked the hub client not to touch the network."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def fetch_from_hub(repo_id: str, filename: str, revision: str | None = None) -> Path:
    """Path of ``filename`` from the hub cache, downloading it if needed (shows a progress bar)."""
    try:
        path = hf_hub_download(repo_id=repo_id, filename=filename, revision=revision)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - any hub/network failure ends in the same advice
        reason = "HF_HUB_OFFLINE is set and the file is not in the hub cache" if hub_offline() else (
            f"the hub could not be reached or refused the file ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        )
        raise HubUnavailable(reason) from exc
    return Path(path)


def layout_text(repo_id: str, rel_paths: list[str], weights_dir: Path | None) -> str:
    """The exact folder layout a user must create to run without the hub."""
    root = str(weights_dir) if weights_dir else "<weights folder>"
    lines = [f"    {root}/{p}" for p in rel_paths]
    folders = sorted({p.rsplit("/", 1)[0] for p in rel_paths})
    links = [f"    https://huggingface.co/{repo_id}/tree/main/{f}" for f in folders]
    return (
        "Place these files (same relative paths as on the hub):\n" + "\n".join(lines) + "\n"
        f"then pass weights_dir=<weights folder> or set {WEIGHTS_ENV}=<weights folder>. "
        "Get them on a connected machine from:\n" + "\n".join(links)
    )
