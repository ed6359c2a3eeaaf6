"""Where the project's data files live (registry, demo weights): the top-level ``Resources/`` folder.

In a source checkout or an editable install this is ``<repo>/Resources``; a regular wheel installs the same
folder as the package ``CineMALib._resources`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """The Resources folder, whichever way CineMALib was installed."""
    for candidate in (_HERE / "_resources", _HERE.parent / "Resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"CineMA resources folder not found next to {_HERE}; reinstall CineMALib")


def resource_path(*parts: str) -> Path:
    """Path of a file under Resources (it may not exist; callers check and explain)."""
    return resources_dir().joinpath(*parts)
