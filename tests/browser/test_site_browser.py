"""The course's static website (``./lab site``) in a real Chromium.

The whole site (both editions, every notebook) is built once per session into a temporary
folder and served on 127.0.0.1 by ``tools/site.py --serve --no-build``. Every page:

* loads with no request leaving localhost (the page fixture aborts and records any) and no
  JavaScript error (uncaught or on the console);
* has its math typeset by the local MathJax (MathJax's elements are there, and no raw
  ``$$`` or ``\\(`` is left in the text outside code);
* has a language switch that leads to the same page in the other edition.

Besides: the previous/next links and the sidebar go in notebook order, the switch works by
a click both ways, the search finds pages for "rotary" (and for a Chinese term in the
Chinese edition), every widget of the site works with no kernel (drawn from its output's
text/html, checked against ropelab by widget_checks.py as on a bare static page), and a
widget output's text/html runs its script while its widget-view form is never used (a
tiny site built from a synthetic notebook).

(Named test_site_browser.py: pytest cannot collect two test modules both called
test_site.py, and tests/test_site.py is the site's test without a browser.)

Screenshots: ``test-artifacts/browser/site-*.png``.
"""
from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from browser_helpers import (
    NOTEBOOKS,
    ROOT,
    STEP_TIMEOUT_MS,
    assert_page_clean,
    free_port,
    require_browser,
    running_server,
    screenshot,
)
from widget_checks import check_all_widgets, ropelab_widgets, stored_widget_outputs, widget_notebooks

TOOL = ROOT / "tools" / "site.py"
BUILD_TIMEOUT = 3600  # seconds: a guard against a hung build only (the full site takes minutes on 2 busy cores)
NAMES = [nb.stem for nb in sorted(NOTEBOOKS.glob("*.ipynb"))]
PAGES = ["index", *NAMES, "glossary"]  # the reading order
EDITIONS = {"en": "", "zh": "zh/"}
TWIN = {"en": "zh", "zh": "en"}
SHOTS = {("en", "index"), ("en", "03_euler_formula"), ("en", "05_rope_nd"), ("zh", "index"),
         ("zh", "00_start_here"), ("en", "glossary")}


def _build(out, build, *extra):
    proc = subprocess.run([sys.executable, str(TOOL), "--out", str(out), "--build-dir", str(build), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, f"the site did not build:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return out


@pytest.fixture(scope="session")
def full_site(tmp_path_factory):
    """The whole site, built once for the session (into a temporary folder, not site/)."""
    require_browser()  # no browser: skip (or fail in CI) before spending minutes on a build
    base = tmp_path_factory.mktemp("full-site")
    return _build(base / "site", base / "build")


@pytest.fixture(scope="module")
def site_server(full_site, tmp_path_factory):
    port = free_port()
    cmd = [sys.executable, str(TOOL), "--serve", "--no-build", "--out", str(full_site), "--port", str(port)]
    with running_server(cmd, home=tmp_path_factory.mktemp("site-home"), cwd=ROOT, ready_path="index.html",
                        port=port, name="site-server") as server:
        yield server


def url_of(server, edition: str, page: str) -> str:
    return f"{server.url}{EDITIONS[edition]}{page}.html"


def open_page(pg, watch, url: str):
    """Load ``url`` and wait until MathJax has typeset it (its startup promise has resolved)."""
    response = pg.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    # "load" comes after the page's scripts (MathJax's too) have loaded or failed
    assert not watch.blocked, f"{url}: requests that left localhost: {watch.blocked}"
    assert not watch.js_errors(), f"{url}: JavaScript errors: {watch.js_errors()}"
    pg.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                         timeout=STEP_TIMEOUT_MS)
    pg.evaluate("() => MathJax.startup.promise")
    return response


# the page's text outside code (code may hold a dollar sign or a backslash-parenthesis on purpose)
TEXT_OUTSIDE_CODE = """() => {
    const main = document.querySelector('.bd-container') || document.body;
    const copy = main.cloneNode(true);
    copy.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml').forEach(e => e.remove());
    return copy.textContent;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("edition", list(EDITIONS))
def test_every_page_loads_offline_typeset_with_its_language_switch(site_server, page, edition, page_name):
    pg, watch = page
    url = url_of(site_server, edition, page_name)
    open_page(pg, watch, url)
    where = f"{EDITIONS[edition]}{page_name}.html"
    assert pg.locator("#main-content h1").count() >= 1, f"{where}: no title"
    # math: every formula became MathJax output; nothing raw is left in the text
    sources = pg.locator("#main-content .math").count()
    typeset = pg.locator("#main-content .math mjx-container").count()
    assert typeset == sources, f"{where}: {typeset} of {sources} formulas typeset"
    if page_name in ("03_euler_formula", "04_rope_2d", "05_rope_nd"):
        assert sources > 10, f"{where}: only {sources} formulas"
    text = pg.evaluate(TEXT_OUTSIDE_CODE)
    for raw in ("$$", "\\(", "\\)", "\\["):
        assert raw not in text, f"{where}: raw {raw!r} in the text: ...{text[max(0, text.find(raw) - 80):][:200]}..."
    assert pg.locator("mjx-merror").count() == 0, f"{where}: MathJax could not typeset a formula"
    # figures are there and loaded
    broken = pg.evaluate("() => [...document.images].filter(i => i.complete && !i.naturalWidth).map(i => i.src)")
    assert not broken, f"{where}: images that did not load: {broken}"
    # the language switch leads to the twin page
    switch = pg.locator("a.ropelab-lang-link")
    assert switch.count() == 1 and switch.is_visible(), f"{where}: no visible language switch"
    href = switch.evaluate("a => a.href")
    assert href == url_of(site_server, TWIN[edition], page_name), f"{where}: the switch leads to {href}"
    if (edition, page_name) in SHOTS:
        screenshot(pg, f"site-{edition}-{page_name}")
    assert not watch.blocked, f"{where}: requests that left localhost: {watch.blocked}"
    assert not watch.js_errors(), f"{where}: JavaScript errors: {watch.js_errors()}"


@pytest.mark.browser
@pytest.mark.parametrize("edition", list(EDITIONS))
def test_navigation_goes_in_notebook_order(site_server, page, edition):
    pg, watch = page
    open_page(pg, watch, url_of(site_server, edition, "index"))
    sidebar = pg.locator("nav.bd-docs-nav a.reference.internal").evaluate_all(
        "links => links.map(a => a.href.split('#')[0])")
    assert sidebar == [url_of(site_server, edition, name) for name in PAGES], sidebar
    visited = [pg.url]
    while pg.locator("a.right-next").count():
        pg.locator("a.right-next").first.click()
        pg.wait_for_function("before => location.href !== before", arg=visited[-1], timeout=STEP_TIMEOUT_MS)
        pg.wait_for_load_state("load")
        visited.append(pg.url)
        assert len(visited) <= len(PAGES), visited
    assert visited == [url_of(site_server, edition, name) for name in PAGES]
    assert not watch.blocked, watch.blocked
    assert not watch.js_errors(), watch.js_errors()


@pytest.mark.browser
def test_the_language_switch_leads_to_the_twin_page_and_back(site_server, page):
    pg, watch = page
    en = url_of(site_server, "en", "04_rope_2d")
    open_page(pg, watch, en)
    assert pg.evaluate("document.documentElement.lang") == "en"
    pg.locator("a.ropelab-lang-link").click()
    pg.wait_for_url(url_of(site_server, "zh", "04_rope_2d"), timeout=STEP_TIMEOUT_MS)
    assert pg.evaluate("document.documentElement.lang") == "zh-CN"
    assert pg.locator("a.ropelab-lang-link").inner_text().strip() == "English"
    pg.locator("a.ropelab-lang-link").click()
    pg.wait_for_url(en, timeout=STEP_TIMEOUT_MS)
    assert pg.locator("a.ropelab-lang-link").inner_text().strip() == "中文"
    assert not watch.blocked and not watch.js_errors(), (watch.blocked, watch.js_errors())


def _results(pg):
    """The hrefs of the search results, once the search has finished."""
    # Sphinx writes the summary ("Search finished, found ...") when the last result is shown
    pg.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                         " return s && s.textContent.trim() !== ''; }", timeout=STEP_TIMEOUT_MS)
    return pg.locator("#search-results ul.search li a").evaluate_all("links => links.map(a => a.href)")


@pytest.mark.browser
def test_search_finds_pages(site_server, page):
    pg, watch = page
    # through the search field, as a reader would
    open_page(pg, watch, url_of(site_server, "en", "index"))
    pg.locator(".bd-sidebar-primary .search-button-field").first.click()
    field = pg.locator("#pst-search-dialog input[name=q]")
    field.wait_for(state="visible")
    field.fill("rotary")
    field.press("Enter")
    pg.wait_for_url(re.compile(r".*/search\.html\?q=rotary.*"), timeout=STEP_TIMEOUT_MS)
    found = {urlparse(u).path.rsplit("/", 1)[-1] for u in _results(pg)}
    assert {"index.html", "04_rope_2d.html", "05_rope_nd.html"} <= found, found
    # each result's summary is the article's text around the word (tools/site.py's search script);
    # the summaries come after the list, each when its page has been fetched
    pg.wait_for_function("n => document.querySelectorAll('#search-results ul.search li p.context').length >= n",
                         arg=len(found), timeout=STEP_TIMEOUT_MS)
    summaries = pg.locator("#search-results ul.search li p.context").all_inner_texts()
    assert len(summaries) == len(found) and all("rotary" in t.lower() for t in summaries), summaries
    text = pg.evaluate(TEXT_OUTSIDE_CODE)
    assert "\\(" not in text and "$$" not in text, text
    screenshot(pg, "site-en-search-rotary")
    # the Chinese edition: an English word and a Chinese term
    pg.goto(f"{site_server.url}zh/search.html?q=rotary", wait_until="load")
    assert len(_results(pg)) >= 3
    pg.goto(f"{site_server.url}zh/search.html?q=" + "旋转位置编码", wait_until="load")
    found = {urlparse(u).path for u in _results(pg)}
    assert "/zh/index.html" in found and "/zh/00_start_here.html" in found, found
    screenshot(pg, "site-zh-search")
    assert not watch.blocked and not watch.js_errors(), (watch.blocked, watch.js_errors())


@pytest.mark.browser
@pytest.mark.parametrize("notebook", widget_notebooks())
@pytest.mark.parametrize("edition", list(EDITIONS))
def test_every_widget_works_on_the_site_without_a_kernel(site_server, page, edition, notebook):
    pg, watch = page
    stem = notebook.removesuffix(".ipynb")
    open_page(pg, watch, url_of(site_server, edition, stem))
    stored = NOTEBOOKS / notebook if edition == "en" else NOTEBOOKS / "zh" / notebook
    expected = len(stored_widget_outputs(stored))
    ropelab_widgets(pg).first.wait_for(state="visible")
    ran = check_all_widgets(pg, f"site-{edition}-{stem}", expected=expected)
    assert len(ran) == expected, ran
    assert not watch.blocked, f"requests that left localhost: {watch.blocked}"
    assert_page_clean(pg, watch, f"{EDITIONS[edition]}{stem}.html")


# --------------------------------------------------------------------------- a widget's kernel-free fallback


@pytest.fixture(scope="module")
def fallback_site(tmp_path_factory):
    """A tiny site from one notebook whose widget output has a text/html fallback with a script."""
    require_browser()
    import nbformat

    base = tmp_path_factory.mktemp("fallback-site")
    (base / "nb" / "zh").mkdir(parents=True)
    view = {"model_id": "m1", "version_major": 2, "version_minor": 0}
    fallback = ('<div id="fallback-target">not drawn</div><script>'
                "document.getElementById('fallback-target').textContent = 'drawn without a kernel';</script>")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A widget page\n\nThe widget, $x^2$:"),
        nbformat.v4.new_code_cell("w()", execution_count=1, outputs=[nbformat.v4.new_output(
            "display_data", data={"application/vnd.jupyter.widget-view+json": view, "text/html": fallback,
                                  "text/plain": "w()"})])])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"m1": {"model_name": "VBoxModel", "model_module": "@jupyter-widgets/controls",
                         "model_module_version": "2.0.0", "state": {}}}, "version_major": 2, "version_minor": 0}}
    nbformat.write(nb, base / "nb" / "01_widget.ipynb")
    readme = base / "README.md"
    readme.write_text("# ropelab\n\nA tiny site.\n", encoding="utf-8")
    out = _build(base / "site", base / "build", "--notebooks", str(base / "nb" / "01_widget.ipynb"),
                 "--readme", str(readme))
    port = free_port()
    cmd = [sys.executable, str(TOOL), "--serve", "--no-build", "--out", str(out), "--port", str(port)]
    with running_server(cmd, home=base / "home", cwd=ROOT, ready_path="index.html", port=port,
                        name="site-fallback-server") as server:
        yield server


@pytest.mark.browser
def test_a_widget_outputs_text_html_fallback_runs_its_script(fallback_site, page):
    pg, watch = page
    open_page(pg, watch, f"{fallback_site.url}01_widget.html")
    target = pg.locator("#fallback-target")
    target.wait_for(state="attached")
    pg.wait_for_function("() => document.getElementById('fallback-target').textContent === 'drawn without a kernel'",
                         timeout=STEP_TIMEOUT_MS)
    assert "w()" not in pg.locator(".cell_output").inner_text()  # not the text/plain form beside it
    scripts = pg.evaluate("() => [...document.scripts].map(s => s.src).filter(Boolean)")
    assert not [s for s in scripts if "widget" in s or "require" in s], scripts
    assert not watch.blocked, f"requests that left localhost: {watch.blocked}"
    assert not watch.js_errors(), watch.js_errors()
