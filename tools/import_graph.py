"""ropelab's internal import graph (module -> the ropelab modules it imports) and the rules it must keep.

    python tools/import_graph.py            # the graph of ropelab/, then every broken rule
    python tools/import_graph.py path/pkg   # any other package

Every ``import`` and ``from ... import`` is read with :mod:`ast`, those inside functions
included (a lazy import still runs, later). Dynamic imports (``importlib.import_module``)
are not seen. ``import a.b.c`` runs the packages ``a`` and ``a.b`` first, so an import
also counts as an edge to each package above its target, except the packages the
importer itself lives in (those are already being imported when it runs).

The rules (tests/test_layout.py checks them on ropelab/ and on small packages made to break them):

* no cycle;
* no private name (``_x``) taken from another module, whether by ``from .rope import _x`` or
  as ``rope._x`` on an imported module; a private *module* (``from . import _kernels``) is fine;
* layers: the facades (the package's ``__init__``, ``llama``, ``internlm``, ``scaling``, ``vision``, ``lengthgen``,
  ``widgets``, ``exercises``) sit on top and only facades import them; the core (``rope``,
  ``_kernels``, ``_numba_rope``, ``_validate``) and ``common`` import no lesson; lesson ``NN`` imports only
  lessons before it;
* every module is a facade, the core, ``common`` or a lesson; every import of the package names
  a module that exists.
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

FACADES = ("llama", "internlm", "scaling", "vision", "lengthgen", "widgets", "exercises")
CORE = ("rope", "_kernels", "_numba_rope", "_validate")
COMMON = "common"
LESSON = re.compile(r"lesson(\d\d)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Import:
    """One import statement's view of one name: ``importer`` line ``line`` imports ``target``."""

    importer: str
    line: int
    target: str | None          # the module it runs (None: nothing of that name exists)
    name: str | None = None     # the name taken from ``target`` (``from target import name``), if any
    text: str = ""              # as written, for messages


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules(root: Path) -> dict[str, Path]:
    """``{dotted name: path}`` of every module and package under ``root``."""
    return {module_name(root, p): p for p in sorted(root.rglob("*.py"))}


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _absolute(pkg: str, module: str | None, level: int) -> str:
    if not level:
        return module or ""
    parts = pkg.split(".")
    parts = parts[: len(parts) - level + 1]
    return ".".join(parts + ([module] if module else []))


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def scan(root: Path) -> tuple[list[Import], list[str]]:
    """Every import of ``root``'s own modules, and every private name used across modules.

    Returns ``(imports, private)``: ``private`` lists ``"module:line: text"`` for each
    ``from m import _x`` and each ``m._x`` where ``m`` is another module of the package.
    """
    mods = modules(root)
    top = root.name
    imports: list[Import] = []
    private: list[str] = []

    def is_private(name: str) -> bool:
        return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))

    for m, path in mods.items():
        pkg = _package_of(m, path)
        tree = ast.parse(path.read_text(), filename=str(path))
        bound: dict[str, str] = {}  # local name -> internal module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _absolute(pkg, node.module, node.level)
                if not _inside(base, top):
                    continue
                text = ast.unparse(node)
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    if sub in mods:                    # a module: from . import rope
                        imports.append(Import(m, node.lineno, sub, None, text))
                        bound[a.asname or a.name] = sub
                    else:                              # a name defined in base
                        imports.append(Import(m, node.lineno, base if base in mods else None, a.name, text))
                        if is_private(a.name) and base != m:
                            private.append(f"{m}:{node.lineno}: {a.name} from {base}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if not _inside(a.name, top):
                        continue
                    imports.append(Import(m, node.lineno, a.name if a.name in mods else None, None,
                                          ast.unparse(node)))
                    if a.asname:
                        bound[a.asname] = a.name
                    else:
                        bound[a.name.split(".")[0]] = a.name.split(".")[0]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            chain = []
            cur: ast.AST = node
            while isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                cur = cur.value
            if not isinstance(cur, ast.Name) or cur.id not in bound:
                continue
            target, written = bound[cur.id], [cur.id]
            for attr in reversed(chain):           # down the submodules to the first plain name
                written.append(attr)
                if f"{target}.{attr}" in mods:
                    target = f"{target}.{attr}"
                    continue
                if is_private(attr) and target != m:
                    private.append(f"{m}:{node.lineno}: {attr} from {target} (as {'.'.join(written)})")
                break
    # a.b._c is seen once per Attribute node it contains: report it once
    return imports, list(dict.fromkeys(private))


def graph(root: Path) -> dict[str, set[str]]:
    """``{module: modules its imports run}``; see the module docstring for package edges."""
    mods = modules(root)
    g: dict[str, set[str]] = {m: set() for m in mods}
    imports, _ = scan(root)
    for imp in imports:
        if imp.target is None:
            continue
        parts = imp.target.split(".")
        for k in range(1, len(parts) + 1):
            t = ".".join(parts[:k])
            if t in mods and t != imp.importer and (t == imp.target or not _inside(imp.importer, t)):
                g[imp.importer].add(t)
    return g


def unresolved(root: Path) -> list[str]:
    """``"module:line: text"`` for each import of a module of the package that does not exist."""
    imports, _ = scan(root)
    return list(dict.fromkeys(f"{i.importer}:{i.line}: {i.text}" for i in imports if i.target is None))


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """One cycle ``[a, b, ..., a]`` per group of modules that import each other (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in g[v]:
                groups.append(sorted(group))

    for v in sorted(g):
        if v not in index:
            strongconnect(v)
    return [_cycle_in(g, set(group), group[0]) for group in groups]


def _cycle_in(g: dict[str, set[str]], group: set[str], start: str) -> list[str]:
    """A shortest cycle ``[start, ..., start]`` inside one strongly connected group (breadth first)."""
    prev: dict[str, str | None] = {start: None}
    queue = [start]
    for v in queue:                                # the queue grows while it is read
        for w in sorted(g[v] & group):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return [*reversed(path), start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    raise AssertionError(f"{sorted(group)} is not strongly connected")  # pragma: no cover


def kind(name: str, top: str) -> tuple[str, int | None]:
    """``("facade" | "core" | "common" | "lesson" | "other", lesson number or None)``."""
    if name == top:
        return "facade", None
    rest = name[len(top) + 1:].split(".")
    if len(rest) == 1 and rest[0] in FACADES:
        return "facade", None
    if len(rest) == 1 and rest[0] in CORE:
        return "core", None
    if rest[0] == COMMON:
        return "common", None
    match = LESSON.match(rest[0])
    if match:
        return "lesson", int(match.group(1))
    return "other", None


def layer_violations(root: Path, g: dict[str, set[str]] | None = None) -> list[str]:
    """``"importer -> target: why"`` for each edge that breaks the layers (module docstring)."""
    g = graph(root) if g is None else g
    top = root.name
    out = []
    for m in sorted(g):
        km, nm = kind(m, top)
        if km == "other":
            out.append(f"{m}: not a facade, the core, common or a lesson package")
        for t in sorted(g[m]):
            kt, nt = kind(t, top)
            if kt == "facade" and km != "facade":
                out.append(f"{m} -> {t}: only facades may import a facade (import the lesson's module)")
            elif km in ("core", "common") and kt == "lesson":
                out.append(f"{m} -> {t}: the {km} imports no lesson")
            elif km == "lesson" and kt == "lesson" and nt > nm:
                out.append(f"{m} -> {t}: lesson {nm:02d} imports a later lesson ({nt:02d})")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else Path(__file__).resolve().parents[1] / "ropelab").resolve()
    g = graph(root)
    top = root.name
    for m in sorted(g):
        deps = sorted(g[m])
        short = [d[len(top) + 1:] if d != top else top for d in deps]
        print(f"{m[len(top) + 1:] or top:42s} -> {', '.join(short) or '-'}")
    problems = 0
    _, private = scan(root)
    for title, items in (("cycles", [" -> ".join(c) for c in cycles(g)]), ("private names", private),
                         ("layer violations", layer_violations(root, g)), ("unresolved imports", unresolved(root))):
        print(f"{title}: {len(items)}")
        for item in items:
            print("  " + item)
        problems += len(items)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
