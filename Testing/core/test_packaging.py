"""The wheel must carry every CineMALib package and the Resources folder (registry, demo weights)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "CineMALib").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these packages to pyproject.toml"
    assert config["package-dir"]["CineMALib._resources"] == "Resources"


def test_resources_are_found_and_hold_the_registry():
    from CineMALib.resources import resource_path

    assert resource_path("checkpoints.json").is_file()
