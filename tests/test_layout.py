"""The package's shape: one lesson, one place, and imports that only go down.

Read statically (``ast``, imports inside functions included) by ``tools/import_graph.py``:
no import cycle; no private name (``_x``) taken from another module; the core and ``common``
import no lesson, lesson NN only earlier lessons, and only facades import facades. And the
files line up: ``notebooks/NN_topic.ipynb`` <-> ``ropelab/lessonNN_topic/`` <->
``tests/test_lessonNN_topic.py`` (<-> ``solutions/lessonNN_topic.py`` where the lesson has
exercises). Each checker is also run on a small package written to break it, so each can fail.
"""
from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ropelab"

# lessons whose notebook needs no package code of its own (none so far: every lesson has one)
NO_PACKAGE: frozenset[str] = frozenset()


def _load_import_graph():
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


ig = _load_import_graph()


def write_package(tmp_path: Path, files: dict[str, str], name: str = "pkg") -> Path:
    """Write ``{relative path: source}`` under ``tmp_path/name``; every folder gets an ``__init__.py``."""
    root = tmp_path / name
    for rel, source in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    for folder in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch()
    return root


# ---------------------------------------------------------------------------
# the rules, on ropelab
# ---------------------------------------------------------------------------

def _report(items) -> str:
    return "\n  " + "\n  ".join(items)


def test_ropelab_has_no_import_cycle():
    found = ig.cycles(ig.graph(PACKAGE))
    assert not found, _report(" -> ".join(c) for c in found)


def test_no_module_takes_a_private_name_from_another():
    _, private = ig.scan(PACKAGE)
    assert not private, _report(private)


def test_imports_only_go_down_the_layers():
    # facades on top; then lessons, each above the earlier ones; the core and common at the bottom
    violations = ig.layer_violations(PACKAGE)
    assert not violations, _report(violations)


def test_every_import_of_ropelab_names_a_module_that_exists():
    # a stale `from ..plots import x` would otherwise be found in another installed copy of ropelab
    missing = ig.unresolved(PACKAGE)
    assert not missing, _report(missing)


# ---------------------------------------------------------------------------
# each rule can fail: small packages that break it
# ---------------------------------------------------------------------------

def test_a_cycle_is_found_even_through_an_import_inside_a_function(tmp_path):
    root = write_package(tmp_path, {
        "a.py": "from .b import g\n\ndef f():\n    return g()\n",
        "b.py": "def g():\n    from .a import f\n    return f\n",
        "c.py": "from . import a\n",
    })
    g = ig.graph(root)
    assert g["pkg.a"] == {"pkg.b"} and g["pkg.b"] == {"pkg.a"} and g["pkg.c"] == {"pkg.a"}
    assert ig.cycles(g) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_an_import_also_runs_the_packages_above_its_target(tmp_path):
    # pkg.p's __init__ imports pkg.q, and pkg.q imports pkg.p.a, which runs pkg.p's __init__ first
    root = write_package(tmp_path, {"p/__init__.py": "from .. import q\n", "p/a.py": "X = 1\n",
                                    "q.py": "from .p.a import X\n"})
    g = ig.graph(root)
    assert g["pkg.q"] == {"pkg.p", "pkg.p.a"}
    assert ig.cycles(g) == [["pkg.p", "pkg.q", "pkg.p"]]
    # the package a module lives in is already running: not an edge
    assert ig.graph(write_package(tmp_path / "2", {"p/a.py": "from .b import Y\n", "p/b.py": "Y = 1\n"}))[
        "pkg.p.a"] == {"pkg.p.b"}


def test_a_clean_package_passes_every_rule(tmp_path):
    root = write_package(tmp_path, {
        "__init__.py": "from .rope import *\nfrom .rope import __all__ as _all\n",
        "rope.py": "from . import _kernels\nfrom ._validate import check\n__all__ = ['f']\n"
                   "def f():\n    return _kernels.run(check())\n",
        "_kernels.py": "def run(x):\n    return x\n",
        "_validate.py": "def check():\n    return 1\n",
        "common/timing.py": "from .._validate import check\n",
        "lesson01_a/tools.py": "from ..rope import f\nfrom ..common.timing import check\n",
        "lesson02_b/more.py": "from ..lesson01_a import tools\nfrom ..lesson01_a.tools import f\n",
        "llama.py": "from .lesson02_b import more as _module\n",
    })
    g = ig.graph(root)
    _, private = ig.scan(root)
    assert ig.cycles(g) == [] and private == [] and ig.layer_violations(root) == [] and ig.unresolved(root) == []


def test_private_names_from_other_modules_are_found(tmp_path):
    root = write_package(tmp_path, {
        "rope.py": "_angles = 1\n__all__ = []\n",
        "_kernels.py": "def tables():\n    pass\n_CACHE = {}\n",
        "common/a.py": "from ..rope import _angles\n",                     # a private name imported
        "common/b.py": "from .. import rope\n\ndef f():\n    return rope._angles\n",   # ... or read
        "common/c.py": "import pkg.rope\nX = pkg.rope._angles\n",           # ... through the full name
        "common/d.py": "from .. import _kernels\n_kernels._CACHE.clear()\n",
        "common/ok.py": "from .. import _kernels\nfrom ..rope import __all__\nfrom . import a as _a\n"
                        "_kernels.tables()\n_own = 1\nprint(_own, _a)\n",
    })
    _, private = ig.scan(root)
    assert private == [
        "pkg.common.a:1: _angles from pkg.rope",
        "pkg.common.b:4: _angles from pkg.rope (as rope._angles)",
        "pkg.common.c:2: _angles from pkg.rope (as pkg.rope._angles)",
        "pkg.common.d:2: _CACHE from pkg._kernels (as _kernels._CACHE)",
    ]


def test_imports_up_the_layers_are_found(tmp_path):
    root = write_package(tmp_path, {
        "rope.py": "from .lesson01_a import m\n",                 # the core imports a lesson
        "_validate.py": "",
        "common/figures.py": "def draw():\n    from ..lesson02_b.m import x\n",   # common imports a lesson
        "lesson01_a/m.py": "from ..lesson02_b.m import x\n",      # a later lesson
        "lesson02_b/m.py": "from ..lesson01_a.m import y\nfrom .. import llama\nx = 1\n",   # earlier: fine; facade: not
        "llama.py": "from .lesson02_b import m\n",
        "plots.py": "",                                            # a module of no known kind
    })
    assert ig.layer_violations(root) == [
        "pkg.common.figures -> pkg.lesson02_b: the common imports no lesson",
        "pkg.common.figures -> pkg.lesson02_b.m: the common imports no lesson",
        "pkg.lesson01_a.m -> pkg.lesson02_b: lesson 01 imports a later lesson (02)",
        "pkg.lesson01_a.m -> pkg.lesson02_b.m: lesson 01 imports a later lesson (02)",
        "pkg.lesson02_b.m -> pkg.llama: only facades may import a facade (import the lesson's module)",
        "pkg.plots: not a facade, the core, common or a lesson package",
        "pkg.rope -> pkg.lesson01_a: the core imports no lesson",
        "pkg.rope -> pkg.lesson01_a.m: the core imports no lesson",
    ]


def test_imports_of_modules_that_do_not_exist_are_found(tmp_path):
    root = write_package(tmp_path, {"a.py": "import os\nfrom .plots.speed import f\nimport pkg.fast\nfrom . import b\n",
                                    "b.py": ""})
    assert ig.unresolved(root) == ["pkg.a:2: from .plots.speed import f", "pkg.a:3: import pkg.fast"]


def test_the_printed_graph_names_every_module(tmp_path, capsys):
    root = write_package(tmp_path, {"a.py": "from .b import g\n", "b.py": "from .a import f\n"})
    assert ig.main([str(root)]) == 1
    out = capsys.readouterr().out
    assert "a" in out and "-> b" in out and "cycles: 1" in out and "pkg.a -> pkg.b -> pkg.a" in out


# ---------------------------------------------------------------------------
# notebooks, lesson packages, tests and solutions line up
# ---------------------------------------------------------------------------

NOTEBOOK = re.compile(r"(\d\d)_([a-z0-9_]+)\.ipynb$")


def layout_problems(repo: Path, no_package: frozenset[str] = frozenset()) -> list[str]:
    """What is missing or stray among notebooks/, ropelab/lessonNN_*/, tests/ and solutions/."""
    lessons = {}
    for nb in sorted((repo / "notebooks").glob("*.ipynb")):
        match = NOTEBOOK.match(nb.name)
        if match:
            lessons[match.group(1)] = f"lesson{match.group(1)}_{match.group(2)}"
    slugs = set(lessons.values())
    problems = []
    for number, slug in lessons.items():
        if number not in no_package and not (repo / "ropelab" / slug / "__init__.py").is_file():
            problems.append(f"notebooks/{slug[6:]}.ipynb has no package ropelab/{slug}/ (with __init__.py)")
        if not (repo / "tests" / f"test_{slug}.py").is_file():
            problems.append(f"notebooks/{slug[6:]}.ipynb has no tests/test_{slug}.py")
    for path in sorted((repo / "ropelab").glob("lesson*")):
        if path.is_dir() and path.name not in slugs:
            problems.append(f"ropelab/{path.name}/ matches no notebook")
    for path in sorted((repo / "tests").glob("test_lesson*.py")):
        if path.stem[len("test_"):] not in slugs:
            problems.append(f"tests/{path.name} matches no notebook")
    for path in sorted((repo / "solutions").glob("*.py")):
        if path.name != "__init__.py" and path.stem not in slugs:
            problems.append(f"solutions/{path.name} matches no notebook")
    return problems


def test_notebooks_lesson_packages_tests_and_solutions_line_up():
    assert len(list((ROOT / "notebooks").glob("*.ipynb"))) >= 11
    problems = layout_problems(ROOT, NO_PACKAGE)
    assert not problems, _report(problems)


def test_layout_problems_are_found(tmp_path):
    for rel in ["notebooks/00_start.ipynb", "notebooks/01_tensors.ipynb", "ropelab/lesson00_start/__init__.py",
                "ropelab/lesson01_tensors/figures.py", "ropelab/lesson05_old/__init__.py",
                "tests/test_lesson00_start.py", "tests/test_lesson02_gone.py",
                "solutions/__init__.py", "solutions/lesson00_start.py", "solutions/nb01.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).touch()
    assert layout_problems(tmp_path) == [
        "notebooks/01_tensors.ipynb has no package ropelab/lesson01_tensors/ (with __init__.py)",
        "notebooks/01_tensors.ipynb has no tests/test_lesson01_tensors.py",
        "ropelab/lesson05_old/ matches no notebook",
        "tests/test_lesson02_gone.py matches no notebook",
        "solutions/nb01.py matches no notebook",
    ]
    assert layout_problems(tmp_path, frozenset({"01"}))[0] == "notebooks/01_tensors.ipynb has no tests/" \
                                                            "test_lesson01_tensors.py"


def export_problems(init: Path) -> list[str]:
    """A lesson's ``__init__.py`` says what its package holds and lists the names it re-exports."""
    tree = ast.parse(init.read_text())
    where = init.parent.name
    problems = []
    if not (ast.get_docstring(tree) or "").strip():
        problems.append(f"{where}: __init__.py has no docstring")
    bound = set()
    exported = None
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(t, ast.Name) and t.id == "__all__":
                    try:
                        exported = list(ast.literal_eval(node.value))
                    except ValueError:
                        problems.append(f"{where}: __all__ is not a literal list of names")
                        exported = []
                elif isinstance(t, ast.Name):
                    bound.add(t.id)
    if exported is None:
        problems.append(f"{where}: __init__.py has no __all__")
    else:
        problems += [f"{where}: __all__ names {n!r}, which __init__.py does not define" for n in exported
                     if n not in bound]
    return problems


@pytest.mark.parametrize("init", sorted(PACKAGE.glob("lesson*/__init__.py")), ids=lambda p: p.parent.name)
def test_each_lesson_package_says_what_it_holds_and_exports_what_it_lists(init):
    problems = export_problems(init)
    assert not problems, _report(problems)


def test_export_problems_are_found(tmp_path):
    bad = write_package(tmp_path, {"lesson01_a/__init__.py": "from .figures import draw\n__all__ = ['draw', 'gone']\n"})
    assert export_problems(bad / "lesson01_a" / "__init__.py") == [
        "lesson01_a: __init__.py has no docstring",
        "lesson01_a: __all__ names 'gone', which __init__.py does not define",
    ]
    assert export_problems(write_package(tmp_path / "2", {"__init__.py": '"""Doc."""\n'}) / "__init__.py") == [
        "pkg: __init__.py has no __all__"]
    good = '"""Doc."""\nfrom .figures import draw\nLIMIT: int = 3\n__all__: list[str] = ["draw", "LIMIT"]\n'
    assert export_problems(write_package(tmp_path / "3", {"__init__.py": good}) / "__init__.py") == []
