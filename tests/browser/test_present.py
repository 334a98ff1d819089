"""Presentation mode (``./lab present NB``, i.e. ``tools/present.py``) in a real Chromium.

* each widget notebook: the page loads, shows no code, uses large fonts, its widgets
  work (drag, keys, checkbox: figure and readout change to the right numbers), and not
  one request leaves localhost (Playwright would abort and record it; none is made);
* the page's Content-Security-Policy makes the browser itself refuse a remote request;
* ``--show-code`` shows the code;
* kernels whose page is gone are culled, the kernel of an open page is kept;
* the server fixture stops the server and its kernels even when the test body fails.

Screenshots: ``test-artifacts/browser/present-<notebook>-*.png``.
"""
from __future__ import annotations

import contextlib
import re
import time
import urllib.request

import psutil
import pytest
from browser_helpers import (
    NOTEBOOKS,
    ROOT,
    STEP_TIMEOUT_MS,
    assert_page_clean,
    free_port,
    present_command,
    record_kernel_memory,
    running_server,
    screenshot,
)
from widget_checks import (
    TARGETS,
    assert_numbers_match,
    check_all_widgets,
    move_control,
    page_state,
    ropelab_widgets,
    stored_widget_outputs,
    wait_for_redraw_after,
    widget_notebooks,
)

READY = "voila/static/voila.js"  # a static file: answers without running the notebook
MIN_TEXT_PX = 20.0


@pytest.fixture(scope="module")
def presenter(tmp_path_factory):
    """``presenter(notebook, *options)`` -> a running ``tools/present.py`` server (one per
    distinct call, shared by the module's tests, all stopped at the end of the module)."""
    servers = {}
    with contextlib.ExitStack() as stack:
        def start(notebook: str, *options: str):
            key = (notebook, options)
            if key not in servers:
                port = free_port()
                home = tmp_path_factory.mktemp("present-home")
                stem = notebook.removesuffix('.ipynb').replace('/', '-')
                name = f"present-{stem}{''.join(options).replace('-', '_')}"
                servers[key] = stack.enter_context(running_server(
                    present_command(NOTEBOOKS / notebook, port, *options), home=home, cwd=ROOT,
                    ready_path=READY, port=port, name=name))
            return servers[key]

        yield start


def _open(pg, server, notebook: str):
    """Load the app and wait until Voila has rendered every cell and every widget (as many
    figure widgets as the stored notebook has widget outputs) is live."""
    response = pg.goto(server.url, wait_until="load")
    assert response is not None and response.ok, f"presentation page answered {response and response.status}"
    pg.wait_for_selector("#rendered_cells", state="visible")
    ropelab_widgets(pg).first.wait_for(state="visible")
    from playwright.sync_api import expect

    expected = len(stored_widget_outputs(NOTEBOOKS / notebook))
    # the views appear one after another: wait for all of them, not just the first
    expect(ropelab_widgets(pg)).to_have_count(expected, timeout=STEP_TIMEOUT_MS)
    return response


@pytest.mark.browser
@pytest.mark.parametrize("notebook", [*widget_notebooks(), "zh/04_rope_2d.ipynb"])
def test_presentation_mode(notebook, presenter, page):
    """Every widget notebook, and one of the Chinese edition (prose and widget in Chinese)."""
    pg, watch = page
    tag = f"present-{notebook.removesuffix('.ipynb').replace('/', '-')}"
    assert (NOTEBOOKS / notebook).is_file(), f"notebooks/{notebook} is missing"
    server = presenter(notebook)
    response = _open(pg, server, notebook)
    assert "default-src 'self'" in (response.headers.get("content-security-policy") or ""), (
        "the presentation page must send a Content-Security-Policy that keeps the browser on this server")
    screenshot(pg, f"{tag}-top")

    # outputs and widgets only: no code, no prompts
    assert pg.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .cm-editor").count() == 0, "code is shown"
    assert "from ropelab" not in pg.locator("body").inner_text(), "source code is shown"

    # large fonts, for the back row
    sizes = pg.evaluate("""() => {
        const px = sel => { const e = document.querySelector(sel);
                            return e ? parseFloat(getComputedStyle(e).fontSize) : null; };
        return {markdown: px('.jp-RenderedMarkdown p'), label: px('.ropelab-widget .rl-control label'),
                readout: px('.ropelab-widget .rl-readout')};
    }""")
    assert sizes["markdown"] and sizes["markdown"] >= MIN_TEXT_PX, f"markdown text too small: {sizes}"
    assert sizes["label"] and sizes["label"] >= 0.85 * MIN_TEXT_PX, f"slider labels too small: {sizes}"

    n = ropelab_widgets(pg).count()
    assert n >= 1, "no widget rendered"
    if notebook.startswith("zh/"):
        assert pg.locator(".ropelab-widget[lang='zh']").count() == n, "the Chinese notebook's widgets speak Chinese"
        assert re.search(r"[\u4e00-\u9fff]", pg.locator(".jp-RenderedMarkdown").first.inner_text()), (
            "the Chinese notebook's prose is shown")
    ran = check_all_widgets(pg, tag)
    assert ran
    boxes = ropelab_widgets(pg)
    boxes.first.scroll_into_view_if_needed()
    screenshot(pg, f"{tag}-widget")
    assert_page_clean(pg, watch, f"presenting {notebook}")
    assert watch.blocked == [], f"requests left localhost: {watch.blocked}"
    record_kernel_memory(server, f"Voila (presentation) kernel after rendering {notebook} and moving its sliders")


@pytest.mark.browser
def test_browser_refuses_remote_requests_in_presentation_mode(presenter, page):
    """Not only our test routing: the page's own policy stops a request to the internet
    before it is made (a lecture-hall browser has no Playwright in front of it)."""
    pg, watch = page
    server = presenter(TARGETS[0])
    _open(pg, server, TARGETS[0])
    result = pg.evaluate("""async () => {
        const violations = window.__ropelabViolations = [];
        document.addEventListener('securitypolicyviolation', e => violations.push(e.blockedURI));
        let fetched;
        try { await fetch('https://example.org/ropelab-probe.json'); fetched = 'loaded'; }
        catch (err) { fetched = 'refused'; }
        const img = new Image();
        const imgDone = new Promise(r => { img.onload = () => r('loaded'); img.onerror = () => r('refused'); });
        img.src = 'https://example.org/ropelab-probe.png';
        document.body.appendChild(img);
        const image = await imgDone;
        return {fetched, image};
    }""")
    assert result["fetched"] == "refused" and result["image"] == "refused", result
    # the violation events are dispatched after the refusals: wait for one (as long as any step may take)
    from playwright.sync_api import Error as PlaywrightError

    with contextlib.suppress(PlaywrightError):
        pg.wait_for_function("() => window.__ropelabViolations.some(v => v.includes('example.org'))")
    violations = pg.evaluate("() => window.__ropelabViolations")
    assert any("example.org" in v for v in violations), {**result, "violations": violations}
    # the policy, not Playwright's routing, stopped them: no request reached the network layer
    assert watch.blocked == [], watch.blocked


@pytest.mark.browser
def test_blocking_is_real(browser, page):
    """The routing that the other tests rely on does see and abort a remote request."""
    pg, watch = page
    pg.set_content("<img src='https://example.org/ropelab-probe.png'>")  # returns after the load event...
    # ... which waits for the image request: Playwright's routing has aborted (and recorded) it by then
    pg.wait_for_function("() => document.querySelector('img').complete")
    assert watch.blocked == ["https://example.org/ropelab-probe.png"]


def test_show_code_shows_the_code(presenter):
    """``--show-code`` keeps the code cells (plain HTTP: no browser needed)."""
    notebook = TARGETS[0]
    server = presenter(notebook, "--show-code")
    with urllib.request.urlopen(server.url, timeout=120) as resp:
        html = resp.read().decode()
    editors = re.findall(r'<div[^>]*class="[^"]*jp-InputArea-editor', html)
    assert len(editors) >= 3, "with --show-code the code cells must be rendered"


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=120) as resp:
        resp.read()


def test_server_and_kernels_stop_even_when_the_test_fails(tmp_path):
    """``running_server`` stops the server and every kernel it started when the body raises."""
    port = free_port()
    pids = []
    with pytest.raises(RuntimeError, match="a failing test"):
        with running_server(present_command(NOTEBOOKS / TARGETS[0], port), home=tmp_path / "home", cwd=ROOT,
                            ready_path=READY, port=port, name="present-stop-check") as server:
            _get(server.url)  # Voila runs the notebook in a new kernel for this request
            pids = [server.proc.pid, *server.kernel_pids()]
            assert len(pids) >= 2, "expected the server and at least one kernel"
            raise RuntimeError("a failing test")
    alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"processes survived the server fixture: {alive}"
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/{READY}")


@pytest.mark.browser
def test_idle_kernels_are_culled_but_an_open_page_keeps_its_kernel(tmp_path, page):
    pg, watch = page
    port = free_port()
    # A kernel with no page connected is culled after --cull-idle seconds. The open page's kernel is
    # unconnected too between the notebook's execution and the page's websocket; on a loaded machine
    # that gap can last seconds, so the limit leaves room for it (2 s culled it there).
    cull_idle = 8
    with running_server(present_command(NOTEBOOKS / TARGETS[0], port, "--cull-idle", str(cull_idle),
                                        "--cull-interval", "1"),
                        home=tmp_path / "home", cwd=ROOT, ready_path=READY, port=port,
                        name="present-cull") as server:
        # a page load whose tab is gone at once (no websocket ever connects) leaves a kernel
        _get(server.url)
        abandoned = server.kernel_pids()
        assert abandoned, "expected the kernel left by the page load"
        # an open page: its kernel must survive long idle periods
        _open(pg, server, TARGETS[0])
        kept = [p for p in server.kernel_pids() if p not in abandoned]
        assert len(kept) == 1, f"expected one kernel for the open page, found {kept}"
        deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000  # (a poll of the server, every 0.5 s)
        while time.monotonic() < deadline and any(p in server.kernel_pids() for p in abandoned):
            time.sleep(0.5)
        assert not any(p in server.kernel_pids() for p in abandoned), "abandoned kernels were not culled"
        # (not a wait for something to happen: the open page's kernel must stay idle longer than
        # --cull-idle, through more than one cull pass; a busy machine only makes this longer)
        time.sleep(cull_idle + 2)
        assert server.kernel_pids() == kept, "the open page's kernel was culled"
        box = ropelab_widgets(pg).first
        before = page_state(box)
        move_control(box, before["controls"][0], "keyboard")
        after = wait_for_redraw_after(box, before["redraws"])
        assert after["figure"] != before["figure"], "the widget stopped working after idling"
        assert_numbers_match(after, "presentation after idling")
        assert_page_clean(pg, watch, "presentation after idling")
