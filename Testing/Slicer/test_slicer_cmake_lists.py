"""CMake lists vs the tree: a script or resource the module uses but CMake does not list is silently not packaged
(and a listed file that is missing stops the extension build), so both directions are checked here."""

from __future__ import annotations

import slicer_support  # noqa: F401  (first: sets import paths)

# isort: split
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_CMAKE = REPO / "CineMA" / "CMakeLists.txt"


def _cmake_text() -> str:
    return re.sub(r"#[^\n]*", "", MODULE_CMAKE.read_text(encoding="utf-8"))


def _set_list(name: str) -> list[str]:
    match = re.search(rf"set\(\s*{name}\b(.*?)\)", _cmake_text(), re.DOTALL)
    assert match, f"set({name} ...) not found in {MODULE_CMAKE}"
    return [item.replace("${MODULE_NAME}", "CineMA") for item in match.group(1).split()]


def test_every_module_script_is_listed_and_every_listed_script_exists():
    listed = set(_set_list("MODULE_PYTHON_SCRIPTS"))
    on_disk = {p.relative_to(REPO / "CineMA").as_posix() for p in (REPO / "CineMA").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert on_disk - listed == set(), "scripts not listed in CineMA/CMakeLists.txt"
    assert listed - on_disk == set(), "listed scripts that do not exist"


def test_module_resources_are_listed_and_exist():
    listed = _set_list("CINEMA_MODULE_RESOURCES")
    for needed in ("Resources/UI/CineMA.ui", "Resources/Icons/CineMA.png"):
        assert needed in listed
    for item in listed:
        assert (REPO / item).is_file(), item
    view_sources = (REPO / "CineMA" / "CineMA.py").read_text(encoding="utf-8")
    for ui, name in re.findall(r'resource_path\("(\w+)", "([\w.]+)"\)', view_sources):
        assert f"Resources/{ui}/{name}" in listed, f"CineMA.py opens Resources/{ui}/{name}, which CMake does not list"


def test_core_scripts_and_data_are_listed_exactly():
    """CineMALib and Resources ship with the module: every file on disk listed, every listed file present."""
    scripts = set(_set_list("CINEMALIB_PYTHON_SCRIPTS"))
    on_disk = {p.relative_to(REPO).as_posix() for p in (REPO / "CineMALib").rglob("*.py") if "__pycache__" not in p.parts}
    assert on_disk - scripts == set(), "run scripts/update_cmake_lists.py: core scripts missing from CMake"
    assert scripts - on_disk == set(), "listed core scripts that do not exist"
    resources = set(_set_list("CINEMA_CORE_RESOURCES")) | set(_set_list("CINEMA_MODULE_RESOURCES"))
    data = {p.relative_to(REPO).as_posix() for p in (REPO / "Resources").rglob("*")
            if p.is_file() and not p.name.startswith(".")}
    assert data - resources == set(), "run scripts/update_cmake_lists.py: resources missing from CMake"
    assert resources - data == set(), "listed resources that do not exist"
    call = re.search(r"ctkMacroCompilePythonScript\((.*?)\n\s*\)", _cmake_text(), re.DOTALL)
    assert call, "CineMALib and Resources are not installed"
    for needed in ("SOURCE_DIR ${PROJECT_SOURCE_DIR}", "${CINEMALIB_PYTHON_SCRIPTS}", "${CINEMA_MODULE_RESOURCES}",
                   "${CINEMA_CORE_RESOURCES}", "Slicer_QTSCRIPTEDMODULES_LIB_DIR", "NO_INSTALL_SUBDIR"):
        assert needed in call.group(1), needed


def test_module_is_built_with_generic_tests_and_its_self_test():
    text = _cmake_text()
    assert re.search(r"slicerMacroBuildScriptedModule\(.*?WITH_GENERIC_TESTS.*?\)", text, re.DOTALL)
    assert "slicer_add_python_unittest(SCRIPT ${MODULE_NAME}.py)" in text


@pytest.mark.parametrize("needed", ["find_package(Slicer REQUIRED)", "include(${Slicer_USE_FILE})",
                                    "add_subdirectory(CineMA)", "include(${Slicer_EXTENSION_GENERATE_CONFIG})",
                                    "include(${Slicer_EXTENSION_CPACK})", 'set(EXTENSION_DEPENDS "PyTorch")'])
def test_extension_cmake_follows_the_slicer_template(needed):
    assert needed in (REPO / "CMakeLists.txt").read_text(encoding="utf-8")


def test_icons_are_128_pixels_and_identical():
    from PIL import Image

    top, module = REPO / "CineMA.png", REPO / "Resources" / "Icons" / "CineMA.png"
    assert top.read_bytes() == module.read_bytes()
    with Image.open(top) as icon:
        assert icon.size == (128, 128)
