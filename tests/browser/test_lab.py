"""The widget notebooks in JupyterLab, in a real Chromium: stored state, run all, move sliders.

One JupyterLab server for the module, on copies of the notebooks (JupyterLab never
writes to the repository's files). For each notebook:

1. opened as stored (kernel started, nothing run): every widget output shows its text
   fallback, no widget is revived from stale saved state, nothing says "Error
   displaying widget", no JavaScript error;
2. "Run All": every widget appears, drawn by its own JavaScript; moving each control
   (mouse, arrow keys, a checkbox, a dropdown) redraws it to ropelab's numbers; the kernel's
   widget follows the page (``w.m`` becomes what the slider shows), and setting a value
   from Python moves the page.

And each notebook with a cell that raises on purpose: Run → Run All Cells, from the menu,
goes on past those cells (they are tagged ``raises-exception``) and runs the last cell.

Screenshots: ``test-artifacts/browser/lab-<notebook>-*.png``.
"""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import time

import nbformat
import pytest
from browser_helpers import (
    NOTEBOOKS,
    STEP_TIMEOUT_MS,
    assert_page_clean,
    free_port,
    lab_command,
    record_kernel_memory,
    running_server,
    screenshot,
    write_lab_settings,
)
from widget_checks import (
    TARGETS,
    WIDGET_VIEW,
    assert_numbers_match,
    check_all_widgets,
    page_state,
    ropelab_widgets,
)

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails, in CI) and says why
    PlaywrightError, expect = Exception, None

pytestmark = pytest.mark.browser

RUN_ALL_TIMEOUT_MS = 4 * STEP_TIMEOUT_MS  # a whole notebook, on a busy machine


def raising_notebooks() -> list[str]:
    """The notebooks with a cell that raises on purpose (nbval's NBVAL_RAISES_EXCEPTION)."""
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")
                  if any(c.cell_type == "code" and "NBVAL_RAISES_EXCEPTION" in c.source
                         for c in nbformat.read(p, as_version=4).cells))


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    """A token-less JupyterLab on 127.0.0.1 serving copies of the widget notebooks."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    (root / "notebooks").mkdir(parents=True)
    for nb in sorted({*TARGETS, *raising_notebooks()}):
        if (NOTEBOOKS / nb).is_file():  # (a missing one fails its own test)
            shutil.copy(NOTEBOOKS / nb, root / "notebooks" / nb)
    home = tmp / "home"
    write_lab_settings(home)
    port = free_port()
    with running_server(lab_command(port, root), home=home, cwd=root, ready_path="api/status",
                        port=port, name="jupyterlab") as server:
        yield server


def _kernel_idle_js() -> str:
    return """() => {
        const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
        return !!k && k.status === 'idle' && !w.sessionContext.isRestarting;
    }"""


def _widgets_restored_js() -> str:
    """True once the notebook's widget manager (jupyterlab_widgets) has finished restoring
    widgets, from the kernel and from saved state: after that nothing gets revived. The
    manager is private to its plugin; the widget-view renderer factory of the notebook's
    rendermime holds it (``renderer._manager``, a promise resolved with the manager)."""
    return """async () => {
        const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        const rendermime = panel && panel.content && panel.content.rendermime;
        const mime = 'application/vnd.jupyter.widget-view+json';
        const factory = rendermime && rendermime.getFactory(mime);
        if (!factory) return false;
        const renderer = factory.createRenderer({mimeType: mime, sanitizer: rendermime.sanitizer, resolver: null,
                                                 linkHandler: null, latexTypesetter: null});
        try {
            if (!renderer._manager || !renderer._manager.promise)
                throw new Error('jupyterlab_widgets changed: no renderer._manager; update _widgets_restored_js');
            // the app-wide factory never gets a manager; the notebook's own one (added once its kernel is up) has it
            const manager = await Promise.race([renderer._manager.promise, new Promise(r => setTimeout(r, 20))]);
            return !!manager && manager.restoredStatus === true;
        } finally {
            renderer.dispose();
        }
    }"""


def _widget_outputs(nb_path) -> tuple[list[str], int]:
    """text/plain of every stored widget output of a notebook, and how many stored
    outputs are errors or stderr (deliberate ones, in cells tagged raises-exception)."""
    nb = nbformat.read(nb_path, as_version=4)
    found, errors = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                found.append(data.get("text/plain", ""))
            if out.get("output_type") == "error" or out.get("name") == "stderr":
                errors += 1
    return found, errors


@pytest.mark.parametrize("notebook", TARGETS)
def test_widget_notebook_in_jupyterlab(notebook, lab, page):
    pg, watch = page
    tag = f"lab-{notebook.removesuffix('.ipynb')}"
    assert (NOTEBOOKS / notebook).is_file(), f"notebooks/{notebook} is missing"
    fallbacks, stored_errors = _widget_outputs(NOTEBOOKS / notebook)
    assert fallbacks, f"{notebook} has no stored widget output"
    assert all(fallbacks), f"{notebook}: a stored widget output has no text/plain fallback"

    # 1. as stored: the kernel is up, nothing has run
    # ?reset: a clean workspace, so only this notebook is open (no tab from an earlier test)
    pg.goto(lab.url + f"lab/tree/notebooks/{notebook}?reset")
    pg.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
    pg.wait_for_function(_kernel_idle_js())
    # the widget manager has now looked for saved models (there are none) and the stored outputs are drawn
    pg.wait_for_function(_widgets_restored_js())
    outputs = pg.locator(".jp-OutputArea-output")
    for fallback in fallbacks:
        with contextlib.suppress(AssertionError):  # (the assertion below reports what is shown instead)
            expect(outputs.filter(has_text=fallback.strip()).first).to_be_visible(timeout=STEP_TIMEOUT_MS)
    texts = "\n".join(outputs.all_inner_texts())
    for fallback in fallbacks:
        assert fallback.strip() in texts, (
            f"{notebook}: the stored widget output should show its text {fallback!r} before the notebook runs")
    assert pg.locator(".jp-OutputArea-output .ropelab-widget").count() == 0, (
        f"{notebook}: widgets were revived from saved widget state before anything ran")
    assert_page_clean(pg, watch, f"{notebook} as stored")
    first = pg.locator(".jp-OutputArea-output").filter(has_text=fallbacks[0].strip()).first
    first.scroll_into_view_if_needed()
    screenshot(pg, f"{tag}-stored")

    # 2. run all cells; every widget appears and works
    ok = pg.evaluate("async () => await window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # (it reports False when a cell raised, as the deliberate errors tagged raises-exception do,
    # and it does so at once: the cells after it are still running then)
    assert ok is not False or stored_errors, f"{notebook}: Run All reported a failure"
    n_code = sum(1 for c in nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
                 if c.cell_type == "code" and c.source.strip())
    pg.wait_for_function(_run_all_done_js(), arg=n_code, timeout=RUN_ALL_TIMEOUT_MS)
    pg.wait_for_function(_kernel_idle_js())
    boxes = ropelab_widgets(pg)
    boxes.first.wait_for(state="visible")
    with contextlib.suppress(AssertionError):  # the views appear one after another: wait for all of them
        expect(boxes).to_have_count(len(fallbacks), timeout=STEP_TIMEOUT_MS)
    assert boxes.count() == len(fallbacks), (
        f"{notebook}: {boxes.count()} widgets rendered, {len(fallbacks)} widget outputs stored")
    errors = pg.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    with contextlib.suppress(AssertionError):
        expect(errors).to_have_count(stored_errors, timeout=STEP_TIMEOUT_MS)
    assert errors.count() == stored_errors, (
        f"{notebook}: {errors.count()} error/stderr outputs after Run All, {stored_errors} stored "
        f"(deliberate ones): {[t[:300] for t in errors.all_inner_texts()]}")
    boxes.first.scroll_into_view_if_needed()
    screenshot(pg, f"{tag}-running")
    ran = check_all_widgets(pg, tag, on_move=lambda state: wait_for_kernel_values(pg, state))
    assert ran, f"{notebook}: no widget was checked"
    check_python_moves_the_page(pg, boxes.first, tag)
    assert_page_clean(pg, watch, f"{notebook} after moving the sliders")
    assert watch.blocked == [], f"{notebook}: JupyterLab asked for non-local URLs: {watch.blocked}"
    record_kernel_memory(lab, f"JupyterLab kernel after running {notebook} and moving its sliders")
    pg.evaluate("async () => await window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")


_KERNEL_EXEC_JS = """async (code) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({code, silent: false, store_history: false});
    let out = '';
    future.onIOPub = (msg) => {
        if (msg.header.msg_type === 'stream') out += msg.content.text;
        if (msg.header.msg_type === 'error') out += `ERROR ${msg.content.ename}: ${msg.content.evalue}`;
    };
    await future.done;
    return out;
}"""

_KERNEL_WIDGETS = """
import json as _json
from ipywidgets.widgets.widget import _instances as _wi
from ropelab.common.widgets import BrowserWidget as _BW
_ropelab_ws = [w for w in list(_wi.values()) if isinstance(w, _BW)]
"""


def kernel_exec(pg, code: str) -> str:
    """Run ``code`` in the open notebook's kernel (not stored in the notebook); return what it printed."""
    out = pg.evaluate(_KERNEL_EXEC_JS, code)
    assert "ERROR" not in out, f"kernel code failed: {out}"
    return out


def kernel_widget_values(pg, name: str) -> list[dict]:
    """The control values of every live ropelab widget called ``name`` in the kernel."""
    out = kernel_exec(pg, _KERNEL_WIDGETS + f"print(_json.dumps([w.values() for w in _ropelab_ws "
                                            f"if w._widget_name == {name!r}]))")
    return json.loads(out)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        (abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(b[k])) if isinstance(b[k], (int, float))
         and not isinstance(b[k], bool) else a[k] == b[k]) for k in a)


def wait_for_kernel_values(pg, state: dict) -> None:
    """Wait until the kernel's widget holds the values the page shows (each poll is one round
    trip to the kernel; on a busy machine it only takes longer)."""
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    seen = []
    while time.monotonic() < deadline:
        seen = kernel_widget_values(pg, state["name"])
        if any(_same(v, state["values"]) for v in seen):
            return
    raise AssertionError(f"the kernel's {state['name']} holds {seen}, the page {state['values']}")


def check_python_moves_the_page(pg, box, tag: str) -> None:
    """Set the first control from Python: the page's control, figure and numbers follow."""
    before = page_state(box)
    control = before["controls"][0]
    name = control["name"]
    if control["kind"] == "dropdown":
        value = next(o for o in control["options"] if o != control["value"])
    elif control["kind"] == "log":
        value = round(10 ** ((float(control["min"]) + float(control["max"])) / 2), 6)
    else:
        lo, hi = float(control["min"]), float(control["max"])
        value = lo + round((hi - lo) / 2 / float(control.get("step") or 1)) * float(control.get("step") or 1)
        if value == before["values"][name]:
            value = lo
        if float(value).is_integer() and float(control.get("step") or 1).is_integer():
            value = int(value)  # (a whole-number slider's trait takes whole numbers only)
    kernel_exec(pg, _KERNEL_WIDGETS + f"_w = [w for w in _ropelab_ws if w._widget_name == {before['name']!r}][-1]\n"
                                      f"_w.{name} = {value!r}")
    # what the kernel's widget holds now (a coupled control, e.g. 'move m and n together', may
    # have moved another one, or stopped this one at a range end): the page must show exactly that
    want = kernel_widget_values(pg, before["name"])[-1]
    assert want[name] != before["values"][name], f"{tag}: setting {name} = {value!r} from Python changed nothing"
    pg.wait_for_function("([root, want]) => { const now = JSON.parse(root.dataset.values);"
                         " return Object.entries(want).every(([k, v]) => typeof v === 'number'"
                         " ? Math.abs(now[k] - v) < 1e-9 : now[k] === v); }",
                         arg=[box.element_handle(), want], timeout=STEP_TIMEOUT_MS)
    after = page_state(box)
    assert after["figure"] != before["figure"], f"{tag}: setting {name} = {value} from Python did not redraw"
    assert_numbers_match(after, f"{tag}: after setting {name} = {value} from Python")
    screenshot(pg, f"{tag}-{before['name']}-from-python", box)


_PROMPTS_JS = ("() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]"
               ".map(e => e.textContent.trim())")


def _run_all_done_js() -> str:
    """Run All has ended: the execution of every code cell (its output area's kernel future)
    is done, i.e. the kernel has replied and gone idle for it, whether the cell ran, failed
    or was aborted. Prompts cannot tell: when a cell fails, JupyterLab blanks the prompts
    of the cells still queued, while the kernel goes on running them if the failing cell is
    tagged raises-exception (and it reports the Run All command finished at that moment)."""
    return """(cells) => {
        const panel = window.jupyterapp.shell.currentWidget;
        const code = panel.content.widgets.filter(
            w => w.model.type === 'code' && w.model.sharedModel.getSource().trim());
        for (const w of code) {
            const future = w.outputArea.future;
            if (future && !future.__ropelabWatched) {
                future.__ropelabWatched = true;
                const done = () => { future.__ropelabDone = true; };
                future.done.then(done, done);  // (after JupyterLab's own handler, which sets the count)
            }
        }
        return code.length === cells && code.every(w => !!w.outputArea.future && w.outputArea.future.__ropelabDone);
    }"""


@pytest.mark.parametrize("notebook", raising_notebooks())
def test_run_all_goes_past_the_cells_that_raise_on_purpose(notebook, lab, page):
    """Run → Run All Cells (the menu, as a student does it) runs every cell to the last one;
    the deliberate errors are shown and do not stop the run."""
    pg, watch = page
    tag = f"lab-runall-{notebook.removesuffix('.ipynb')}"
    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    raising = [i for i, c in enumerate(code) if "NBVAL_RAISES_EXCEPTION" in c.source]
    last_text = next((t for out in code[-1].outputs for t in [out.get("text") or out.get("data", {}).get("text/plain")]
                      if t), "")
    assert raising and last_text.strip(), f"{notebook}: expected deliberate errors and a last cell with output"

    pg.goto(lab.url + f"lab/tree/notebooks/{notebook}?reset")
    pg.wait_for_selector(".jp-Notebook .jp-Cell", state="visible")
    pg.wait_for_function(_kernel_idle_js())
    # no stored count or output may pass for a fresh one
    pg.evaluate("async () => await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    pg.wait_for_function(f"() => ({_PROMPTS_JS})().every(p => p === '[ ]:')")
    assert len(pg.evaluate(_PROMPTS_JS)) == len(code), "every code cell is in the DOM (windowing is off)"

    pg.locator(".lm-MenuBar-item", has_text="Run").first.click()
    pg.locator(".lm-Menu-item:visible", has=pg.locator(".lm-Menu-itemLabel:text-is('Run All Cells')")).click()
    with contextlib.suppress(PlaywrightError):  # (the assertions below say what happened instead)
        pg.wait_for_function(_run_all_done_js(), arg=len(code), timeout=RUN_ALL_TIMEOUT_MS)
    prompts = pg.evaluate(_PROMPTS_JS)
    screenshot(pg, f"{tag}-end")
    never_run = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
    assert not never_run, (f"{notebook}: Run All stopped; code cells {never_run} did not run to the end "
                           f"(deliberate errors in code cells {raising}): {prompts}")
    counts = [int(p.strip("[]:")) for p in prompts]
    assert counts == list(range(counts[0], counts[0] + len(code))), f"{notebook}: cells ran out of order: {prompts}"

    last = pg.locator(".jp-Notebook .jp-CodeCell").last
    expected = last_text.strip().splitlines()[0]
    if "NBVAL_IGNORE_OUTPUT" in code[-1].source:  # a timing: its words repeat, its numbers do not
        expected = re.split(r"[-+]?\d", expected, maxsplit=1)[0].strip()
    expect(last.locator(".jp-OutputArea")).to_contain_text(expected, timeout=STEP_TIMEOUT_MS)
    errors = pg.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    with contextlib.suppress(AssertionError):
        expect(errors).to_have_count(len(raising), timeout=STEP_TIMEOUT_MS)
    assert errors.count() == len(raising), (
        f"{notebook}: {errors.count()} error outputs after Run All, {len(raising)} deliberate ones: "
        f"{[t[:300] for t in errors.all_inner_texts()]}")
    for i in raising:  # each deliberate error is in its own cell
        cell = pg.locator(".jp-Notebook .jp-CodeCell").nth(i)
        assert cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 1, (
            f"{notebook}: code cell {i} should show its deliberate error")
    assert watch.blocked == [], f"{notebook}: JupyterLab asked for non-local URLs: {watch.blocked}"
    pg.evaluate("async () => await window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
