"""Every stored notebook is fit for strict nbval, and strict nbval really compares outputs.

Facts behind these checks (nbval 0.11): strict mode compares text/plain, text/html, stdout
and stderr but never PNGs or widget model ids; memory addresses and warning paths in outputs
break it; and a notebook stored without outputs or execution counts passes it vacuously,
so the checks below refuse such a notebook.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_IGNORED_FRACTION = 0.15


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _text_outputs(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            yield out.get("name", ""), "".join(out.get("text", ""))
        for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
            data = out.get("data", {}).get(mime)
            if data is not None:
                yield mime, "".join(data) if isinstance(data, list) else data


def notebook_problems(nb: dict) -> list[str]:
    """Everything that would make strict nbval pass vacuously, fail spuriously, or render badly."""
    problems = []
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code" and _src(c).strip()]
    if not code:
        return ["no code cells"]
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(f"execution counts are {counts[:10]}..., not 1..{len(code)}: re-run top to bottom and save")
    if not any(c.get("outputs") for c in code):
        problems.append("no stored outputs at all: strict nbval would compare nothing")
    if "widgets" in nb.get("metadata", {}):
        problems.append("saved widget state in the notebook metadata")
    ignored = 0
    for i, cell in enumerate(code):
        src = _src(cell)
        marked_raises = "NBVAL_RAISES_EXCEPTION" in src
        if "NBVAL_IGNORE_OUTPUT" in src or "NBVAL_SKIP" in src:
            ignored += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and not marked_raises:
                problems.append(f"code cell {i} stores an error ({out.get('ename')})")
        if "NBVAL_IGNORE_OUTPUT" in src:
            continue
        for kind, text in _text_outputs(cell):
            if ADDRESS.search(text):
                problems.append(f"code cell {i} prints a memory address in {kind}: {ADDRESS.search(text).group()}")
            if kind == "stderr":
                problems.append(f"code cell {i} writes to stderr (warnings differ between runs): {text[:80]!r}")
            if "/work/" in text or "/home/" in text or "site-packages" in text:
                problems.append(f"code cell {i} prints a file path")
    if ignored / len(code) > MAX_IGNORED_FRACTION:
        problems.append(f"{ignored} of {len(code)} code cells ignore their output (more than 15%)")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec is not the generic python3")
    return problems


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_fit_for_strict_nbval(path):
    nb = json.loads(path.read_text())
    assert notebook_problems(nb) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_reads_as_a_lesson(path):
    nb = json.loads(path.read_text())
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", path.stem), "notebooks are named NN_topic"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and _src(first).lstrip().startswith("# "), "starts with a title"
    prose = "".join(_src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert CJK.search(prose), "key concepts carry their Chinese term"


def test_problems_are_detected_in_a_stripped_notebook():
    nb = json.loads(NOTEBOOKS[0].read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    problems = notebook_problems(nb)
    assert any("execution counts" in p for p in problems) and any("no stored outputs" in p for p in problems)


def test_problems_are_detected_for_addresses_and_widget_state():
    nb = json.loads(NOTEBOOKS[0].read_text())
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["outputs"].append({"output_type": "execute_result", "execution_count": 1, "metadata": {},
                            "data": {"text/plain": "<torch._C.Generator object at 0x7f3a2b1c9d30>"}})
    problems = notebook_problems(nb)
    assert any("widget state" in p for p in problems) and any("memory address" in p for p in problems)


@pytest.mark.slow
def test_pytest_runs_notebooks_in_strict_mode():
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert "--nbval" in addopts.split() and "--nbval-lax" not in addopts
    assert "--dist loadscope" in (ROOT / "lab").read_text(), "plain -n 2 splits a notebook's cells across workers"


def _run_nbval(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    # exactly the options the project's pytest configuration uses
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *addopts.split(),
         "-o", "addopts=", "--rootdir", str(path.parent), str(path)],
        capture_output=True, text=True, env=env, cwd=path.parent, timeout=300,
    )


def _tiny_notebook(stored_text: str) -> dict:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(sum(range(5)))", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_text)]
    nb.cells = [cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.slow
def test_strict_nbval_fails_when_a_stored_output_is_wrong(tmp_path):
    """Guard against a silently lax setup: with the options pytest uses here, a stored output
    that differs from what the code prints must fail, and the true one must pass."""
    import nbformat

    for name, text, should_pass in (("good", "10\n", True), ("bad", "11\n", False)):
        folder = tmp_path / name
        folder.mkdir()
        path = folder / f"{name}.ipynb"
        nbformat.write(nbformat.from_dict(_tiny_notebook(text)), path)
        result = _run_nbval(path)
        if should_pass:
            assert result.returncode == 0, result.stdout[-3000:]
        else:
            assert result.returncode != 0 and "1 failed" in result.stdout, result.stdout[-3000:]


# --------------------------------------------------------------------------- cells that raise on purpose
# nbval reads the "# NBVAL_RAISES_EXCEPTION" comment; JupyterLab's and Notebook's Run All,
# nbclient and `jupyter nbconvert --execute` go on past a failing cell only when its
# metadata carries the "raises-exception" tag. Such a cell needs both.
RAISES_TAG = "raises-exception"


def _marked_raises(cell) -> bool:
    """The cell has nbval's marker: a comment line that is exactly NBVAL_RAISES_EXCEPTION."""
    return any(line.strip().startswith("#") and line.strip().lstrip("#").strip() == "NBVAL_RAISES_EXCEPTION"
               for line in _src(cell).splitlines())


def raises_exception_problems(nb: dict) -> list[str]:
    """Code cells with the nbval marker but not the tag, or the tag but not the marker."""
    problems = []
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    for i, cell in enumerate(code):
        marked = _marked_raises(cell)
        tagged = RAISES_TAG in (cell.get("metadata", {}).get("tags") or [])
        if marked and not tagged:
            problems.append(f"code cell {i} has # NBVAL_RAISES_EXCEPTION but not the {RAISES_TAG!r} tag: "
                            "Run All and nbconvert --execute stop there")
        if tagged and not marked:
            problems.append(f"code cell {i} has the {RAISES_TAG!r} tag but not # NBVAL_RAISES_EXCEPTION: "
                            "nbval would not expect its error")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_cells_that_raise_on_purpose_carry_the_marker_and_the_tag(path):
    assert raises_exception_problems(json.loads(path.read_text())) == []


def test_some_notebooks_do_raise_on_purpose():
    marked = {p.stem: [i for i, c in enumerate(json.loads(p.read_text())["cells"]) if _marked_raises(c)]
              for p in NOTEBOOKS}
    # 03 shows the error of a view on a transposed tensor, 06 Meta's asserts: the tag checks above have cells to check
    assert len(marked["03_euler_formula"]) >= 1 and len(marked["06_llama_rope"]) >= 2, marked


def _synthetic(source: str, tags: list[str] | None) -> dict:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(source)]
    if tags is not None:
        nb.cells[1].metadata["tags"] = tags
    return nb


def test_the_raises_exception_check_fails_both_ways():
    assert raises_exception_problems(_synthetic("# NBVAL_RAISES_EXCEPTION\n1 / 0", [RAISES_TAG])) == []
    assert raises_exception_problems(_synthetic("# NBVAL_RAISES_EXCEPTION\n1 / 0", ["other"])) == [
        "code cell 1 has # NBVAL_RAISES_EXCEPTION but not the 'raises-exception' tag: "
        "Run All and nbconvert --execute stop there"]
    assert raises_exception_problems(_synthetic("# NBVAL_RAISES_EXCEPTION\n1 / 0", None))
    assert raises_exception_problems(_synthetic("1 / 0", [RAISES_TAG])) == [
        "code cell 1 has the 'raises-exception' tag but not # NBVAL_RAISES_EXCEPTION: "
        "nbval would not expect its error"]
    assert raises_exception_problems(_synthetic("print('NBVAL_RAISES_EXCEPTION')", None)) == [], (
        "only the comment counts, as for nbval")


def _execute(nb, path: Path):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   store_widget_state=False).execute()
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS
                                  if any(_marked_raises(c) for c in json.loads(p.read_text())["cells"])],
                         ids=lambda p: p.stem)
def test_nbclient_runs_the_notebook_as_stored_to_its_last_cell(path):
    """What `jupyter nbconvert --execute` does (it runs nbclient): the stored notebook, tags and all,
    runs to the last cell; the errors are exactly the deliberate ones."""
    import nbformat

    nb = _execute(nbformat.read(path, as_version=4), path)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    with_errors = [i for i, c in enumerate(code) if any(o.output_type == "error" for o in c.outputs)]
    assert with_errors == [i for i, c in enumerate(code) if _marked_raises(c)]


def _nbexec():
    import importlib.util

    spec = importlib.util.spec_from_file_location("nbexec", ROOT / "tools" / "nbexec.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_regen_runs_past_a_deliberate_error_and_keeps_the_tag(tmp_path):
    """`./lab regen` (tools/nbexec.py) executes through a deliberate error, and what it saves
    still carries the tag, so that Run All keeps working after a regen."""
    import nbformat

    nb = _synthetic("# NBVAL_RAISES_EXCEPTION\nraise ValueError('on purpose')", None)  # no tag: regen adds it
    nb.cells.append(nbformat.v4.new_code_cell("print('after the error')"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "raises.ipynb"
    nbformat.write(nb, path)
    _nbexec().execute(path)
    saved = nbformat.read(path, as_version=4)
    assert [o.get("ename") for o in saved.cells[1].outputs] == ["ValueError"]
    assert [o.get("text") for o in saved.cells[2].outputs] == ["after the error\n"]
    assert raises_exception_problems(saved) == [], (
        "tools/nbexec.py saved the notebook without the raises-exception tag (it removes the tag after "
        "executing); every ./lab regen would then undo the tags that Run All needs")
