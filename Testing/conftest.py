"""Shared pytest fixtures: where ``../shared`` lies, and skips with a clear reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CINEMA_SHARED_DIR", REPO.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"team data not available: {path} is absent (set CINEMA_SHARED_DIR to the shared/ folder)")
    return path


@pytest.fixture
def shared() -> Path:
    return shared_path()
