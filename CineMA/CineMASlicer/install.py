"""First-use installation of CineMALib's Python requirements inside Slicer, after the user agrees.

torch comes from the PyTorch extension (``PyTorchUtils``: picks the CUDA/CPU build for this machine); the rest via
``slicer.packaging.pip_ensure`` on Slicer >= 5.12 (progress dialog, restart prompt) or ``slicer.util.pip_install``
on older Slicer. The ``slicer`` module and the confirmation dialog are injected, so this runs in plain tests.

:class:`Installer` is a small state machine (idle -> asking -> installing -> done / declined / failed): it asks
before installing anything, reports each step to a progress callback (and lets Slicer repaint), and refuses a second
start while the first is asking or installing (a click that arrives while Slicer repaints).
"""

from __future__ import annotations

import enum
import importlib
import importlib.metadata
from collections.abc import Callable, Sequence
from typing import Any

from CineMALib.errors import CineMAError

#: CineMALib's runtime requirements except torch (keep in step with pyproject.toml; a test compares them).
REQUIREMENTS: tuple[str, ...] = (
    "numpy>=1.24", "scipy>=1.10", "nibabel>=5.0", "scikit-image>=0.21", "safetensors>=0.4",
    "huggingface_hub>=0.20", "pydicom>=2.4", "pynrrd>=1.0", "PyYAML>=6.0", "tqdm>=4.60", "matplotlib>=3.7",
)
TORCH_REQUIREMENT = "torch>=2.1"
PIP_ENSURE_SINCE = (5, 12)
#: ``progress(text, done, total)``: ``done`` of ``total`` steps finished, ``text`` says what runs now.
Progress = Callable[[str, int, int], None]


class InstallError(CineMAError, RuntimeError):
    """Installation cannot proceed; the message says what the user should do."""


class InstallState(enum.Enum):
    IDLE = "idle"
    ASKING = "asking"
    INSTALLING = "installing"
    DONE = "done"
    DECLINED = "declined"
    FAILED = "failed"


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
        self.state = InstallState.IDLE

    @property
    def busy(self) -> bool:
        return self.state in (InstallState.ASKING, InstallState.INSTALLING)

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

    def install(self, progress: Progress | None = None) -> bool:
        """Install what is missing after the user confirms; False if they decline. Raises :class:`InstallError`
        when called again while asking or installing, or when a step fails."""
        if self.busy:
            raise InstallError("CineMA's Python packages are already being installed; wait for it to finish")
        missing = self.missing()
        if not missing:
            self.state = InstallState.DONE
            return True
        self.state = InstallState.ASKING
        try:
            agreed = self.confirm("CineMA needs to install Python packages (this can take several minutes and may "
                                  "need a restart of Slicer). Install now?", "\n".join(missing))
            if not agreed:
                self.state = InstallState.DECLINED
                return False
            self.state = InstallState.INSTALLING
            self._install(missing, progress or (lambda text, done, total: None))
        except BaseException:
            self.state = InstallState.FAILED
            raise
        self.state = InstallState.DONE
        return True

    def _install(self, missing: list[str], progress: Progress) -> None:
        others = [req for req in missing if req != TORCH_REQUIREMENT]
        steps: list[tuple[str, Callable[[], None]]] = []
        if TORCH_REQUIREMENT in missing:
            steps.append(("Installing PyTorch (PyTorch extension)", self._torch))
        if others:
            steps.append(("Installing " + ", ".join(_split(r)[0] for r in others), lambda: self._pip(others)))
        for done, (text, step) in enumerate(steps):
            self._report(progress, f"{text} ({done + 1}/{len(steps)})...", done, len(steps))
            step()
        self._report(progress, "Python packages installed", len(steps), len(steps))

    def _report(self, progress: Progress, text: str, done: int, total: int) -> None:
        progress(text, done, total)
        process_events = getattr(getattr(self.slicer, "app", None), "processEvents", None)
        if callable(process_events):  # Slicer's pip_install blocks: repaint the panel before it starts
            process_events()

    def _torch(self) -> None:
        version = _split(TORCH_REQUIREMENT)[1]
        if self._torch_utils().installTorch(askConfirmation=False, torchVersionRequirement=version) is None:
            raise InstallError("PyTorch could not be installed; see the PyTorch Utils module for details")

    def _pip(self, requirements: list[str]) -> None:
        api = packaging_api(self.slicer)
        if api is not None and slicer_version(self.slicer) >= PIP_ENSURE_SINCE:
            from packaging.requirements import Requirement

            # The user agreed above (or the self-test is the consent): no second question, install in testing too.
            api.pip_ensure([Requirement(r) for r in requirements], requester="CineMA", prompt_install=False,
                           skip_in_testing=False, show_progress=True)
        else:
            self.slicer.util.pip_install(" ".join(f'"{r}"' if " " in r else r for r in requirements))
