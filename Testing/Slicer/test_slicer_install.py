"""First-use installation: what counts as missing, consent first, torch via PyTorchUtils, pip_ensure on >= 5.12."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import importlib.metadata
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from CineMASlicer.install import (
    REQUIREMENTS,
    TORCH_REQUIREMENT,
    Installer,
    InstallError,
    InstallState,
    missing_requirements,
)

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


class RecordingSlicer(FakeSlicer):
    """A Slicer 5.10 whose pip_install, PyTorch install and repaints are recorded in one timeline."""

    def __init__(self, timeline):
        super().__init__(5, 10)
        self.app.processEvents = lambda: timeline.append("repaint")
        self.util.pip_install = lambda text: timeline.append(f"pip_install {text}")


def test_asks_first_then_reports_each_step():
    timeline: list = []
    table = {k: v for k, v in INSTALLED.items() if k not in ("torch", "tqdm")}
    torch = FakeTorchLogic()
    torch.installTorch = lambda **kw: timeline.append("installTorch") or object()
    installer = Installer(RecordingSlicer(timeline), lambda text, details: timeline.append("ask") or True,
                          version_of(table), lambda: torch)
    assert installer.install(progress=lambda text, done, total: timeline.append((text, done, total)))
    assert timeline[0] == "ask" and timeline.index("installTorch") > timeline.index("ask")
    steps = [t for t in timeline if isinstance(t, tuple)]
    assert [(done, total) for _, done, total in steps] == [(0, 2), (1, 2), (2, 2)]
    assert "PyTorch" in steps[0][0] and "tqdm" in steps[1][0]
    assert timeline.index(steps[0]) < timeline.index("installTorch") < timeline.index(steps[1])
    assert timeline.index(steps[1]) < timeline.index("pip_install tqdm>=4.60")
    assert timeline.count("repaint") == 3  # the panel shows each step before the blocking call starts
    assert installer.state is InstallState.DONE


@pytest.mark.parametrize("when", ["asking", "installing"])
def test_cannot_be_started_twice(when):
    table = {k: v for k, v in INSTALLED.items() if k != "tqdm"}
    slicer = FakeSlicer(5, 10)
    second: list = []

    def start_again(*args):
        with pytest.raises(InstallError, match="already being installed"):
            installer.install()
        second.append(installer.state)
        return True

    installer = Installer(slicer, start_again if when == "asking" else (lambda *a: True), version_of(table))
    if when == "installing":
        slicer.util.pip_install = start_again
    assert installer.install()
    assert second == [InstallState.ASKING if when == "asking" else InstallState.INSTALLING]
    assert installer.state is InstallState.DONE


def test_a_failed_step_leaves_the_installer_restartable():
    table = {k: v for k, v in INSTALLED.items() if k != "torch"}
    installer = Installer(FakeSlicer(5, 12), lambda *a: True, version_of(table), lambda: FakeTorchLogic(False))
    with pytest.raises(InstallError, match="PyTorch could not be installed"):
        installer.install()
    assert installer.state is InstallState.FAILED and not installer.busy
    with pytest.raises(InstallError, match="PyTorch could not be installed"):
        installer.install()  # a second try runs (and asks) again instead of being refused


def test_pip_ensure_installs_in_testing_mode_and_shows_progress():
    slicer = FakeSlicer(5, 12)
    table = {k: v for k, v in INSTALLED.items() if k != "tqdm"}
    assert Installer(slicer, lambda *a: True, version_of(table)).install()
    (_, _, kwargs), = slicer.calls
    assert kwargs["skip_in_testing"] is False and kwargs["show_progress"] is True and kwargs["prompt_install"] is False
