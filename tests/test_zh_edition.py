"""The Chinese edition (notebooks/zh/) is the English one in Chinese: same code, same results.

* every English notebook has a Chinese twin with the same cells (ids, order, kinds);
* each Chinese code cell is its English twin's code (the one difference: the language the
  first cell chooses, ``set_language("zh")``);
* each markdown cell is translated (it has Chinese in it) from the English text as it is
  now (the fingerprint stamped by ``tools/zh.py translate`` matches): a change to the
  English prose shows up here until its translation is updated;
* the stored outputs agree: figures byte for byte (figure text is language-neutral, so it
  renders without CJK fonts), other outputs exactly, except text ropelab writes for the
  reader (in Chinese there) and a widget's language;
* ``tools/zh.py`` itself: ``sync`` carries an English code change over and keeps the
  translations, and a changed English cell is reported stale.
"""
from __future__ import annotations

import ast
import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EN = ROOT / "notebooks"
ZH = EN / "zh"
NAMES = sorted(p.name for p in EN.glob("*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def zh_tool():
    spec = importlib.util.spec_from_file_location("zh_tool", ROOT / "tools" / "zh.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pair(name):
    return nbformat.read(EN / name, as_version=4), nbformat.read(ZH / name, as_version=4)


def test_every_notebook_has_a_chinese_twin():
    assert NAMES and sorted(p.name for p in ZH.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_same_cells_and_the_same_code(name, zh_tool):
    en, zh = _pair(name)
    assert [(c.id, c.cell_type) for c in en.cells] == [(c.id, c.cell_type) for c in zh.cells], (
        f"{name}: the cells differ; run ./lab zh sync {name}")
    for i, (e, z) in enumerate(zip(en.cells, zh.cells)):
        if e.cell_type == "code":
            assert zh_tool.normalise_code(e.source) == zh_tool.normalise_code(z.source), (
                f"{name} code cell {i} differs from its English twin; run ./lab zh sync {name}")
    first = next(c for c in zh.cells if c.cell_type == "code")
    assert 'ropelab.set_language("zh")' in first.source, f"{name}: the first code cell must choose Chinese"
    first_en = next(c for c in en.cells if c.cell_type == "code")
    assert 'ropelab.set_language("en")' in first_en.source


@pytest.mark.parametrize("name", NAMES)
def test_every_markdown_cell_is_translated_from_the_current_english(name, zh_tool):
    problems = zh_tool.problems(name)  # (a translation without Chinese in it counts as not translated)
    assert problems == [], "\n".join(problems)


def _timed_names(nb) -> set[str]:
    """Names assigned in cells whose output is a timing (NBVAL_IGNORE_OUTPUT): a figure drawn
    from them differs from run to run, in either language."""
    names = set()
    for c in nb.cells:
        if c.cell_type == "code" and "NBVAL_IGNORE_OUTPUT" in c.source:
            for node in ast.walk(ast.parse(c.source)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return names


def _merged(outputs) -> list:
    """Outputs with consecutive stream outputs of one stream joined (how they are split
    depends on when the kernel flushed; nbval joins them too)."""
    merged = []
    for out in outputs:
        if out.output_type == "stream" and merged and merged[-1].output_type == "stream" \
                and merged[-1].name == out.name:
            merged[-1] = nbformat.from_dict({**merged[-1], "text": merged[-1].text + out.text})
        else:
            merged.append(out)
    return merged


def _without_language(text: str) -> str:
    return text.replace('"language":"zh"', '"language":"en"')


@pytest.mark.parametrize("name", NAMES)
def test_the_stored_outputs_agree(name):
    en, zh = _pair(name)
    timed = _timed_names(en)
    for i, (e, z) in enumerate(zip(en.cells, zh.cells)):
        if e.cell_type != "code" or "NBVAL_IGNORE_OUTPUT" in e.source:
            continue  # (a timing differs from run to run in either language)
        where = f"{name} code cell {i}"
        from_timings = bool(timed & set(re.findall(r"\w+", e.source)))
        eo, zo = _merged(e.outputs), _merged(z.outputs)
        assert len(eo) == len(zo), f"{where}: {len(eo)} outputs in English, {len(zo)} in Chinese"
        for oe, oz in zip(eo, zo):
            assert oe.output_type == oz.output_type, where
            if "data" in oe:
                assert set(oe.data) == set(oz.data), where
                for mime, value in oe.data.items():
                    other = oz.data[mime]
                    if mime.startswith("image/"):
                        if from_timings:
                            continue  # (drawn from timings)
                        assert value == other, f"{where}: the {mime} figure differs between the editions"
                    elif mime == "application/vnd.jupyter.widget-view+json":
                        continue  # (a model id)
                    elif value != other and not CJK.search(str(other)):
                        assert _without_language(str(other)) == str(value), f"{where}: {mime} differs"
            elif "text" in oe and oe.text != oz.text:
                assert CJK.search(oz.text), f"{where}: an output differs and it is not text for the reader"


def test_sync_carries_code_over_and_stale_prose_is_reported(zh_tool, tmp_path, monkeypatch):
    en_dir, zh_dir = tmp_path / "notebooks", tmp_path / "notebooks" / "zh"
    zh_dir.mkdir(parents=True)
    name = "03_euler_formula.ipynb"
    shutil.copy(EN / name, en_dir / name)
    shutil.copy(ZH / name, zh_dir / name)
    monkeypatch.setattr(zh_tool, "EN", en_dir)
    monkeypatch.setattr(zh_tool, "ZH", zh_dir)
    assert zh_tool.problems(name) == []
    nb = nbformat.read(en_dir / name, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code" and "set_language" not in c.source)
    md = next(c for c in nb.cells if c.cell_type == "markdown")
    code.source += "\nprint('one more line')"
    md.source += "\n\nOne more English sentence."
    nbformat.write(nb, en_dir / name)
    found = zh_tool.problems(name)
    assert any("code differs" in p for p in found) and any("English text changed" in p for p in found), found
    zh_tool.sync(name)
    zh = nbformat.read(zh_dir / name, as_version=4)
    zh_code = next(c for c in zh.cells if c.id == code.id)
    assert zh_code.source.endswith("print('one more line')")
    zh_md = next(c for c in zh.cells if c.id == md.id)
    assert CJK.search(zh_md.source), "sync keeps the translation"
    assert [p for p in zh_tool.problems(name) if "code" in p] == []
    (stale,) = zh_tool.problems(name)
    assert md.id in stale and "accept" in stale
    zh_tool.translate(name, {md.id: zh_md.source + "\n\n再加一句中文。"})
    assert zh_tool.problems(name) == []
    assert zh_tool.normalise_code('x.set_language("zh")') == zh_tool.normalise_code("x.set_language('en')")
