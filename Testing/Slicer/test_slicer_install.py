"""First-use installation: what counts as missing, consent first, torch via PyTorchUtils, pip_ensure on >= 5.12."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import importlib.metadata
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from CineMASlicer.install import REQUIREMENTS, TORCH_REQUIREMENT, Installer, InstallError, missing_requirements

INSTALLED = {"numpy": "2.1.0", "scipy": "1.14.1", "SimpleITK": "2.4.0", "nibabel": "5.2.1", "scikit-image": "0.24.0",
             "safetensors": "0.4.5", "huggingface_hub": "0.25.0", "pydicom": "3.0.1", "pynrrd": "1.1.1",
             "PyYAML": "6.0.2", "tqdm": "4.66.0", "matplotlib": "3.9.0", "torch": "2.5.0"}


def version_of(table):
    def lookup(name):
        if name not in table:
            raise importlib.metadata.PackageNotFoundError(name)
        return table[name]

    return lookup


class FakeSlicer:
    def __init__(self, major, minor, with_packaging=True):
        self.app = SimpleNamespace(majorVersion=major, minorVersion=minor)
        self.calls: list[tuple] = []
        self.util = SimpleNamespace(pip_install=lambda text: self.calls.append(("pip_install", text)))
        if with_packaging:
            self.packaging = SimpleNamespace(pip_ensure=lambda reqs, **kw: self.calls.append(
                ("pip_ensure", [str(r) for r in reqs], kw)))


class FakeTorchLogic:
    def __init__(self, succeed=True):
        self.succeed, self.calls = succeed, []

    def installTorch(self, **kwargs):
        self.calls.append(kwargs)
        return object() if self.succeed else None


def test_versions_decide_what_is_missing():
    old = dict(INSTALLED, nibabel="4.0.2")
    del old["tqdm"]
    assert missing_requirements(REQUIREMENTS, version_of(old)) == ["nibabel>=5.0", "tqdm>=4.60"]
    assert missing_requirements(REQUIREMENTS, version_of(INSTALLED)) == []


def test_nothing_missing_means_no_question():
    asked = []
    installer = Installer(FakeSlicer(5, 12), lambda *a: asked.append(a) or True, version_of(INSTALLED))
    assert installer.missing() == [] and installer.install() and asked == []


def test_declined_installs_nothing():
    slicer = FakeSlicer(5, 12)
    torch = FakeTorchLogic()
    table = {k: v for k, v in INSTALLED.items() if k not in ("torch", "tqdm")}
    installer = Installer(slicer, lambda text, details: False, version_of(table), lambda: torch)
    assert installer.missing() == [TORCH_REQUIREMENT, "tqdm>=4.60"]
    assert installer.install() is False
    assert slicer.calls == [] and torch.calls == []


def test_new_slicer_uses_pip_ensure_and_pytorch_utils():
    slicer = FakeSlicer(5, 12)
    torch = FakeTorchLogic()
    table = {k: v for k, v in INSTALLED.items() if k not in ("torch", "tqdm", "pynrrd")}
    details = []
    installer = Installer(slicer, lambda text, d: details.append(d) or True, version_of(table), lambda: torch)
    assert installer.install()
    assert "torch>=2.1" in details[0] and "pynrrd>=1.0" in details[0]
    assert torch.calls == [{"askConfirmation": False, "torchVersionRequirement": ">=2.1"}]
    (name, reqs, kwargs), = slicer.calls
    assert name == "pip_ensure" and reqs == ["pynrrd>=1.0", "tqdm>=4.60"] and kwargs["requester"] == "CineMA"


def test_old_slicer_falls_back_to_pip_install():
    slicer = FakeSlicer(5, 10)
    table = {k: v for k, v in INSTALLED.items() if k != "PyYAML"}
    assert Installer(slicer, lambda *a: True, version_of(table)).install()
    assert slicer.calls == [("pip_install", "PyYAML>=6.0")]


def test_missing_pytorch_extension_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "PyTorchUtils", None)  # import fails
    table = {k: v for k, v in INSTALLED.items() if k != "torch"}
    with pytest.raises(InstallError, match="PyTorch' extension"):
        Installer(FakeSlicer(5, 12), lambda *a: True, version_of(table)).install()


def test_requirements_match_pyproject():
    tomllib = pytest.importorskip("tomllib")
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("not a source checkout")
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    assert sorted(declared) == sorted([*REQUIREMENTS, TORCH_REQUIREMENT])
