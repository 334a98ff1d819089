"""The widget notebooks in JupyterLab, in a real Chromium: stored state, run all, move sliders.

One JupyterLab server for the module, on copies of the notebooks (JupyterLab never
writes to the repository's files). For each notebook:

1. opened as stored (kernel started, nothing run): every widget output shows its text
   fallback, no widget is revived from stale saved state, nothing says "Error
   displaying widget", no JavaScript error;
2. "Run All": every figure widget appears, and moving its sliders (mouse drag, arrow
   keys, a checkbox) changes the figure and the readout to the right numbers.

Screenshots: ``test-artifacts/browser/lab-<notebook>-*.png``.
"""
from __future__ import annotations

import shutil

import nbformat
import pytest

from browser_helpers import (NOTEBOOKS, assert_page_clean, figure_widgets, free_port, lab_command,
                             record_kernel_memory, running_server, screenshot, write_lab_settings)
from widget_checks import TARGETS, check_all_widgets

pytestmark = pytest.mark.browser

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    """A token-less JupyterLab on 127.0.0.1 serving copies of the widget notebooks."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    (root / "notebooks").mkdir(parents=True)
    for nb in TARGETS:
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
    # the widget manager has now looked for the saved models (there are none)
    pg.wait_for_timeout(1500)
    outputs = pg.locator(".jp-OutputArea-output")
    texts = "\n".join(outputs.all_inner_texts())
    for fallback in fallbacks:
        assert fallback.strip() in texts, (
            f"{notebook}: the stored widget output should show its text {fallback!r} before the notebook runs")
    assert pg.locator(".jp-OutputArea-output .widget-slider, .jp-OutputArea-output img.widget-image").count() == 0, (
        f"{notebook}: widgets were revived from saved widget state before anything ran")
    assert_page_clean(pg, watch, f"{notebook} as stored")
    first = pg.locator(".jp-OutputArea-output").filter(has_text=fallbacks[0].strip()).first
    first.scroll_into_view_if_needed()
    screenshot(pg, f"{tag}-stored")

    # 2. run all cells; every widget appears and works
    ok = pg.evaluate("async () => await window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # (it reports False when a cell raised, as the deliberate errors tagged raises-exception do)
    assert ok is not False or stored_errors, f"{notebook}: Run All reported a failure"
    pg.wait_for_function(_kernel_idle_js())
    boxes = figure_widgets(pg)
    boxes.first.wait_for(state="visible")
    assert boxes.count() == len(fallbacks), (
        f"{notebook}: {boxes.count()} figure widgets rendered, {len(fallbacks)} widget outputs stored")
    errors = pg.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == stored_errors, (
        f"{notebook}: {errors.count()} error/stderr outputs after Run All, {stored_errors} stored "
        f"(deliberate ones): {[t[:300] for t in errors.all_inner_texts()]}")
    boxes.first.scroll_into_view_if_needed()
    screenshot(pg, f"{tag}-running")
    ran = check_all_widgets(pg, tag)
    assert ran, f"{notebook}: no widget was checked"
    assert_page_clean(pg, watch, f"{notebook} after moving the sliders")
    assert watch.blocked == [], f"{notebook}: JupyterLab asked for non-local URLs: {watch.blocked}"
    record_kernel_memory(lab, f"JupyterLab kernel after running {notebook} and moving its sliders")
    pg.evaluate("async () => await window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
