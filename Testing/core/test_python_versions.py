"""Everything Slicer imports (CineMA/ and CineMALib/, which the worker runs) must run on Slicer 5.8's Python 3.9
and on the latest stable Slicer's Python (3.12). No Python 3.9 interpreter is available here, so these are static
checks: vermin for library APIs and keywords (``zip(strict=)``, ``dataclass(kw_only=)``, new stdlib members), and
AST checks for what vermin does not see (syntax, parenthesised context managers, runtime ``X | Y`` unions,
modules removed in 3.12/3.13), plus the torch API surface against the stated minimum."""

from __future__ import annotations

import ast
import builtins
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = [p for root in ("CineMA", "CineMALib") for p in sorted((REPO / root).rglob("*.py"))
           if "__pycache__" not in p.parts]
OLDEST = (3, 9)
#: Standard-library modules gone in Python 3.12 or 3.13 (PEP 594, PEP 632, imp).
REMOVED_MODULES = {"distutils", "imp", "asynchat", "asyncore", "smtpd", "aifc", "audioop", "cgi", "cgitb", "chunk",
                   "crypt", "imghdr", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd",
                   "sunau", "telnetlib", "uu", "xdrlib", "lib2to3"}
#: Every torch name CineMALib uses, all present in torch 2.1 (the minimum in pyproject.toml; torch 2.8 is the newest
#: release for Python 3.9). A new name makes this test fail: check it exists in 2.1, then add it here.
TORCH_API = {
    "torch": {"Tensor", "device", "cat", "from_numpy", "stack", "split", "softmax", "zeros", "float16", "float32",
              "bfloat16", "cuda", "sigmoid", "save", "rand", "no_grad", "manual_seed", "inference_mode", "empty",
              "cartesian_prod", "backends", "autocast", "arange", "Size", "Generator", "nn", "rsqrt"},
    "nn": {"Module", "ModuleDict", "GELU", "Linear", "ModuleList", "LayerNorm", "Parameter", "Dropout",
           "ConvTranspose3d", "ConvTranspose2d", "Conv3d", "Conv2d", "InstanceNorm3d", "InstanceNorm2d", "Identity",
           "GroupNorm", "functional"},
    "F": {"scaled_dot_product_attention", "layer_norm"},
    "torch.cuda": {"is_available", "is_bf16_supported"},
}
#: Keyword arguments of calls whose signature grew recently, as torch 2.1 has them ('assign' and 'scale' are 2.1).
TORCH_KEYWORDS = {"load_state_dict": {"state_dict", "strict", "assign"},
                  "scaled_dot_product_attention": {"attn_mask", "dropout_p", "is_causal", "scale"}}


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def test_vermin_finds_nothing_newer_than_python_3_9():
    pytest.importorskip("vermin", reason="vermin is in the test extra: pip install -e '.[test]'")
    command = [sys.executable, "-c", "import sys; from vermin.main import main; sys.exit(main())",
               f"--target={OLDEST[0]}.{OLDEST[1]}-", "--no-tips", "--violations", "--no-parse-comments",
               str(REPO / "CineMA"), str(REPO / "CineMALib")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"code that Slicer 5.8 (Python 3.9) cannot run:\n{done.stdout}{done.stderr}"


def test_vermin_would_catch_zip_strict(tmp_path):
    pytest.importorskip("vermin", reason="vermin is in the test extra: pip install -e '.[test]'")
    bad = tmp_path / "bad.py"
    bad.write_text("pairs = list(zip([1], [2], strict=True))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "import sys; from vermin.main import main; sys.exit(main())",
                           "--target=3.9-", "--no-tips", "--violations", str(bad)], capture_output=True, text=True)
    assert done.returncode != 0 and "zip(strict)" in done.stdout


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """ids of every node inside an annotation (postponed by ``from __future__ import annotations``)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        annotations = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            annotations += [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs,
                                                   args.vararg, args.kwarg) if a is not None]
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            if annotation is not None:
                inside |= {id(n) for n in ast.walk(annotation)}
    return inside


TYPE_NAMES = {name for name in dir(builtins) if isinstance(getattr(builtins, name), type)} | {"Path", "ndarray",
                                                                                              "Tensor", "Any"}


def _is_type_expr(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and node.value is None:
        return True
    if isinstance(node, ast.Subscript):
        return True
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return name in TYPE_NAMES


def python39_problems(source: str, name: str = "<source>") -> list[str]:
    """What keeps ``source`` from running on Python 3.9 that vermin does not report."""
    try:
        tree = ast.parse(source, filename=name, feature_version=OLDEST)
    except SyntaxError as err:
        return [f"{name}:{err.lineno}: {err.msg}"]
    problems = []
    lines = source.splitlines()
    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
                 any(a.name == "annotations" for a in n.names) for n in tree.body)
    annotated = _annotation_nodes(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.With, ast.AsyncWith)) and len(node.items) > 1:
            header = lines[line - 1][node.col_offset:]
            if re.match(r"(async\s+)?with\s*\(", header):
                problems.append(f"{name}:{line}: parenthesised context managers need Python 3.10")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and (
                _is_type_expr(node.left) or _is_type_expr(node.right)):
            if id(node) not in annotated:
                problems.append(f"{name}:{line}: a runtime 'X | Y' type union needs Python 3.10")
            elif not future:
                problems.append(f"{name}:{line}: 'X | Y' in an annotation needs 'from __future__ import annotations'")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if module.split(".")[0] in REMOVED_MODULES:
                    problems.append(f"{name}:{line}: module '{module}' is gone in Python 3.12/3.13")
    return list(dict.fromkeys(problems))  # nested unions report their line once


@pytest.mark.parametrize("snippet, expected", [
    ("match x:\n    case 1:\n        pass\n", "Pattern matching"),
    ("with (open('a') as f, open('b') as g):\n    pass\n", "parenthesised context managers"),
    ("ok = isinstance(1, int | str)\n", "runtime 'X | Y'"),
    ("Alias = dict[str, int] | None\n", "runtime 'X | Y'"),
    ("def f(x: int | None):\n    pass\n", "from __future__ import annotations"),
    ("import distutils.version\n", "gone in Python 3.12"),
])
def test_the_checks_catch_what_python_3_9_rejects(snippet, expected):
    assert any(expected in p for p in python39_problems(snippet)), python39_problems(snippet)


def test_the_checks_accept_what_python_3_9_runs():
    fine = ("from __future__ import annotations\nimport os\n\ndef f(x: int | None, flags: int = 1 | 2) -> list[int]:"
            "\n    with open(os.devnull) as a, open(os.devnull) as b:\n        return [x or 0, flags]\n")
    assert python39_problems(fine) == []


def test_module_and_core_run_on_python_3_9():
    problems = [p for path in SOURCES for p in python39_problems(path.read_text(encoding="utf-8"), _rel(path))]
    assert problems == [], "\n".join(problems)


def test_pyproject_and_readme_state_python_3_9():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.9"
    assert "vermin" in " ".join(project["optional-dependencies"]["test"])
    torch = [d for d in project["dependencies"] if d.startswith("torch")]
    assert torch == ["torch>=2.1"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "Slicer >= 5.8" in readme and "Python 3.9" in readme and "vermin --target=3.9-" in readme


def _torch_uses(tree: ast.AST) -> dict[str, set[str]]:
    uses: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("torch", "nn", "F"):
                uses.setdefault(base.id, set()).add(node.attr)
            elif (isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id == "torch"
                  and base.attr == "cuda"):
                uses.setdefault("torch.cuda", set()).add(node.attr)
    return uses


def test_torch_api_stays_within_the_stated_minimum():
    used: dict[str, set[str]] = {}
    keywords: dict[str, set[str]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(isinstance(n, (ast.Import, ast.ImportFrom)) and "torch" in ast.dump(n) for n in ast.walk(tree)):
            continue
        for base, names in _torch_uses(tree).items():
            used.setdefault(base, set()).update(names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TORCH_KEYWORDS:
                keywords.setdefault(node.func.attr, set()).update(k.arg for k in node.keywords if k.arg)
    unknown = {base: sorted(names - TORCH_API.get(base, set())) for base, names in used.items()}
    assert {b: n for b, n in unknown.items() if n} == {}, "torch names not checked against torch 2.1"
    for function, names in keywords.items():
        newer = names - TORCH_KEYWORDS[function]
        assert newer == set(), f"{function}: keywords not checked against torch 2.1: {sorted(newer)}"
