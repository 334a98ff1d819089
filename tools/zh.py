"""Keep the Chinese edition (notebooks/zh/) in step with the English notebooks.

The English notebook is the source of truth for code: a Chinese notebook has exactly its
code cells (the one difference is the language chosen in the first cell,
``ropelab.set_language("en")`` -> ``("zh")``). Its markdown cells are translations; each
remembers a fingerprint of the English cell it was translated from
(``metadata.ropelab.en_sha``), so a later change to the English text shows up as *stale*.

    python tools/zh.py sync [NB ...]      rebuild notebooks/zh/NB from notebooks/NB: code from the
                                          English cell, prose from the existing translation
    python tools/zh.py translate NB FILE  put the translations in FILE (JSON: cell id -> markdown)
                                          into notebooks/zh/NB and stamp them as up to date
    python tools/zh.py status             list untranslated and stale cells; exit 1 if there are any
    python tools/zh.py accept NB ID ...   mark cells as checked against the current English text

After ``sync`` or ``translate``, ``./lab regen notebooks/zh/NB`` stores the outputs.
(``./lab zh ...`` runs this.)
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EN = ROOT / "notebooks"
ZH = EN / "zh"
LANG_CALL = re.compile(r"""set_language\((["'])en\1\)""")
CJK = re.compile(r"[\u4e00-\u9fff]")

__all__ = ["en_sha", "to_zh_code", "normalise_code", "sync", "status", "translate", "accept"]


def en_sha(source: str) -> str:
    """Fingerprint of an English cell's text (what a translation was made from)."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


def to_zh_code(source: str) -> str:
    """The Chinese twin of an English code cell: the same code, with the language set to Chinese."""
    return LANG_CALL.sub(lambda m: f"set_language({m.group(1)}zh{m.group(1)})", source)


def normalise_code(source: str) -> str:
    """A code cell with its language choice blanked, to compare the two editions."""
    return re.sub(r"""set_language\((["'])(en|zh)\1\)""", "set_language(LANG)", source)


def _meta(cell) -> dict:
    return cell.metadata.get("ropelab", {})


def sync(name: str) -> list[str]:
    """Rebuild ``notebooks/zh/name`` from its English twin; returns what was not translated yet."""
    en = nbformat.read(EN / name, as_version=4)
    old = nbformat.read(ZH / name, as_version=4) if (ZH / name).exists() else None
    old_cells = {c.id: c for c in old.cells} if old else {}
    nb = copy.deepcopy(en)
    todo = []
    for i, cell in enumerate(nb.cells):
        prev = old_cells.get(cell.id)
        if cell.cell_type == "code":
            cell.source = to_zh_code(cell.source)
            if prev is not None and prev.cell_type == "code" and prev.source == cell.source:
                cell.outputs = prev.outputs          # unchanged code: keep the Chinese outputs
                cell.execution_count = prev.execution_count
        elif cell.cell_type == "markdown":
            if prev is not None and prev.cell_type == "markdown" and _meta(prev).get("en_sha"):
                cell.source = prev.source
                cell.metadata["ropelab"] = dict(_meta(prev))
            else:
                todo.append(f"{name} cell {i} ({cell.id})")
    ZH.mkdir(exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, ZH / name)
    return todo


def translate(name: str, translations: dict[str, str]) -> None:
    """Set the Chinese text of the markdown cells named in ``translations`` and stamp them as current."""
    en = {c.id: c for c in nbformat.read(EN / name, as_version=4).cells}
    path = ZH / name
    if not path.exists():
        sync(name)
    nb = nbformat.read(path, as_version=4)
    by_id = {c.id: c for c in nb.cells}
    for cell_id, text in translations.items():
        if cell_id not in by_id or by_id[cell_id].cell_type != "markdown":
            raise SystemExit(f"{name}: no markdown cell with id {cell_id!r}")
        if not CJK.search(text):
            raise SystemExit(f"{name} cell {cell_id}: the translation has no Chinese in it")
        cell = by_id[cell_id]
        cell.source = text.rstrip("\n")
        cell.metadata["ropelab"] = {"en_sha": en_sha(en[cell_id].source)}
    nbformat.validate(nb)
    nbformat.write(nb, path)


def accept(name: str, ids: list[str]) -> None:
    """Mark translated cells as checked against the English text as it is now."""
    translate(name, {c.id: c.source for c in nbformat.read(ZH / name, as_version=4).cells if c.id in ids})


def problems(name: str) -> list[str]:
    """Every way ``notebooks/zh/name`` is out of step with ``notebooks/name`` (empty: in step)."""
    if not (ZH / name).exists():
        return [f"{name}: no Chinese edition (run: ./lab zh sync {name})"]
    en = nbformat.read(EN / name, as_version=4)
    zh = nbformat.read(ZH / name, as_version=4)
    if [c.id for c in en.cells] != [c.id for c in zh.cells]:
        return [f"{name}: the cells differ from the English notebook's (run: ./lab zh sync {name})"]
    out = []
    for i, (e, z) in enumerate(zip(en.cells, zh.cells)):
        where = f"{name} cell {i} ({e.id})"
        if e.cell_type != z.cell_type:
            out.append(f"{where}: a {e.cell_type} cell in English, {z.cell_type} in Chinese")
        elif e.cell_type == "code" and normalise_code(e.source) != normalise_code(z.source):
            out.append(f"{where}: the code differs from the English cell (run: ./lab zh sync {name})")
        elif e.cell_type == "markdown":
            sha = _meta(z).get("en_sha")
            if not sha or not CJK.search(z.source):
                out.append(f"{where}: not translated yet")
            elif sha != en_sha(e.source):
                out.append(f"{where}: the English text changed since it was translated "
                           f"(update the translation, then: ./lab zh accept {name} {e.id})")
    return out


def status(names: list[str]) -> list[str]:
    return [p for n in names for p in problems(n)]


def _names(given: list[str]) -> list[str]:
    if not given:
        return sorted(p.name for p in EN.glob("*.ipynb"))
    return [Path(g).name for g in given]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sync")
    p.add_argument("notebooks", nargs="*")
    p = sub.add_parser("translate")
    p.add_argument("notebook")
    p.add_argument("file")
    sub.add_parser("status")
    p = sub.add_parser("accept")
    p.add_argument("notebook")
    p.add_argument("ids", nargs="+")
    args = ap.parse_args(argv)
    if args.cmd == "sync":
        todo = [t for n in _names(args.notebooks) for t in sync(n)]
        print(f"synced; {len(todo)} markdown cells not translated yet")
        return 0
    if args.cmd == "translate":
        translate(Path(args.notebook).name, json.loads(Path(args.file).read_text(encoding="utf-8")))
        return 0
    if args.cmd == "accept":
        accept(Path(args.notebook).name, args.ids)
        return 0
    found = status(_names([]))
    for line in found:
        print(line)
    print("the Chinese edition is in step" if not found else f"{len(found)} cells out of step")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
