"""First-use installation of CineMALib's Python requirements inside Slicer, after the user agrees.

torch comes from the PyTorch extension (``PyTorchUtils``: picks the CUDA/CPU build for this machine); the rest via
``slicer.packaging.pip_ensure`` on Slicer >= 5.12 (progress dialog, restart prompt) or ``slicer.util.pip_install``
on older Slicer. The ``slicer`` module and the confirmation dialog are injected, so this runs in plain tests.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable, Sequence
from typing import Any

#: CineMALib's runtime requirements except torch (keep in step with pyproject.toml; a test compares them).
REQUIREMENTS: tuple[str, ...] = (
    "numpy>=1.24", "scipy>=1.10", "SimpleITK>=2.3", "nibabel>=5.0", "scikit-image>=0.21", "safetensors>=0.4",
    "huggingface_hub>=0.20", "pydicom>=2.4", "pynrrd>=1.0", "PyYAML>=6.0", "tqdm>=4.60", "matplotlib>=3.7",
)
TORCH_REQUIREMENT = "torch>=2.1"
PIP_ENSURE_SINCE = (5, 12)


class InstallError(RuntimeError):
    """Installation cannot proceed; the message says what the user should do."""


def _split(requirement: str) -> tuple[str, str]:
    for i, char in enumerate(requirement):
        if char in "<>=!~ ;[":
            return requirement[:i], requirement[i:]
    return requirement, ""


def is_satisfied(requirement: str, version_of: Callable[[str], str] = importlib.metadata.version) -> bool:
    """True when the distribution is installed in a version the requirement accepts."""
    name, _ = _split(requirement)
    try:
        installed = version_of(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    try:
        from packaging.requirements import Requirement

        return Requirement(requirement).specifier.contains(installed, prereleases=True)
    except ImportError:  # no 'packaging': presence is the best we can check
        return True


def missing_requirements(requirements: Sequence[str] = REQUIREMENTS,
                         version_of: Callable[[str], str] = importlib.metadata.version) -> list[str]:
    return [req for req in requirements if not is_satisfied(req, version_of)]


def slicer_version(slicer: Any) -> tuple[int, int]:
    app = getattr(slicer, "app", None)
    try:
        return int(app.majorVersion), int(app.minorVersion)
    except (AttributeError, TypeError, ValueError):
        return (0, 0)


def packaging_api(slicer: Any) -> Any | None:
    """Slicer's package-management module with ``pip_ensure`` (``slicer.packaging``; ``slicer.pydeps`` in some
    5.11 previews), or None."""
    for name in ("packaging", "pydeps"):
        api = getattr(slicer, name, None)
        if api is None:
            try:
                api = importlib.import_module(f"slicer.{name}")
            except ImportError:
                continue
        if hasattr(api, "pip_ensure"):
            return api
    return None


class Installer:
    """``missing()`` lists what is not installed; ``install()`` asks once, then installs torch and the rest."""

    def __init__(self, slicer: Any, confirm: Callable[[str, str], bool],
                 version_of: Callable[[str], str] = importlib.metadata.version,
                 torch_utils: Callable[[], Any] | None = None) -> None:
        self.slicer, self.confirm, self.version_of = slicer, confirm, version_of
        self._torch_utils = torch_utils or self._pytorch_utils_logic

    @staticmethod
    def _pytorch_utils_logic() -> Any:
        try:
            import PyTorchUtils
        except ImportError as err:
            raise InstallError("CineMA needs the 'PyTorch' extension: install it from the Extensions Manager, "
                               "restart Slicer and try again") from err
        return PyTorchUtils.PyTorchUtilsLogic()

    def missing(self) -> list[str]:
        torch = [] if is_satisfied(TORCH_REQUIREMENT, self.version_of) else [TORCH_REQUIREMENT]
        return torch + missing_requirements(REQUIREMENTS, self.version_of)

    def install(self) -> bool:
        """Install what is missing after the user confirms; False if they decline."""
        missing = self.missing()
        if not missing:
            return True
        if not self.confirm("CineMA needs to install Python packages (this can take several minutes and may "
                            "need a restart of Slicer). Install now?", "\n".join(missing)):
            return False
        if TORCH_REQUIREMENT in missing:
            torch_logic = self._torch_utils()
            version = _split(TORCH_REQUIREMENT)[1]
            if torch_logic.installTorch(askConfirmation=False, torchVersionRequirement=version) is None:
                raise InstallError("PyTorch could not be installed; see the PyTorch Utils module for details")
        others = [req for req in missing if req != TORCH_REQUIREMENT]
        if others:
            self._pip(others)
        return True

    def _pip(self, requirements: list[str]) -> None:
        api = packaging_api(self.slicer)
        if api is not None and slicer_version(self.slicer) >= PIP_ENSURE_SINCE:
            from packaging.requirements import Requirement

            api.pip_ensure([Requirement(r) for r in requirements], requester="CineMA", prompt_install=False)
        else:
            self.slicer.util.pip_install(" ".join(f'"{r}"' if " " in r else r for r in requirements))
