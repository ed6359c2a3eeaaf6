"""Rewrite the core file lists in CineMA/CMakeLists.txt from the tree (Slicer packages only listed files).

    python scripts/update_cmake_lists.py        # then review the diff; Testing/Slicer checks the lists match
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CMAKE = REPO / "CineMA" / "CMakeLists.txt"
MODULE_RESOURCES = ("Resources/UI/CineMA.ui", "Resources/Icons/CineMA.png")


def core_scripts() -> list[str]:
    return sorted(p.relative_to(REPO).as_posix() for p in (REPO / "CineMALib").rglob("*.py")
                  if "__pycache__" not in p.parts)


def core_resources() -> list[str]:
    return sorted(p.relative_to(REPO).as_posix() for p in (REPO / "Resources").rglob("*")
                  if p.is_file() and not p.name.startswith(".") and p.relative_to(REPO).as_posix()
                  not in MODULE_RESOURCES)


def replace_set(text: str, name: str, items: list[str]) -> str:
    body = "".join(f"  {item}\n" for item in items)
    new, count = re.subn(rf"set\({name}\n(?:    [^\n]*\n|  [^)\n][^\n]*\n)*  \)", f"set({name}\n{body}  )", text)
    if count != 1:
        raise SystemExit(f"set({name} ...) not found exactly once in {CMAKE}")
    return new


def main() -> None:
    text = CMAKE.read_text(encoding="utf-8")
    text = replace_set(text, "CINEMALIB_PYTHON_SCRIPTS", core_scripts())
    text = replace_set(text, "CINEMA_CORE_RESOURCES", core_resources())
    CMAKE.write_text(text, encoding="utf-8")
    print(f"updated {CMAKE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
