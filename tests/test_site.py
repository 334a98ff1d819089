"""The course's static website (``./lab site``, tools/site.py), without a browser.

A tiny site is built once for the module from two synthetic notebooks (and a synthetic
README): its generated Sphinx sources and its HTML are checked for page order, the
widget outputs (text/html with its script, never the widget-view form or the CDN widget
manager), remote assets (none), the local MathJax, the Chinese edition and the language
switch. The tests that need that build (5-30 s, by the machine's load) are marked ``slow``.
The whole site, in Chromium, is tests/browser/test_site_browser.py.
"""
from __future__ import annotations

import base64
import contextlib
import html.parser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "site.py"
BUILD_TIMEOUT = 1800  # seconds: only a guard against a hung build, never an assertion on speed

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FALLBACK_SCRIPT = ("<script>document.getElementById('ropelab-fallback-1').textContent = "
                   "'drawn by the fallback script';</script>")
FALLBACK_HTML = '<div id="ropelab-fallback-1">not drawn yet</div>' + FALLBACK_SCRIPT
# a 1x1 PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cf000000030101001896c5d00000000049454e44ae426082")).decode()
WIDGET_STATE = {"application/vnd.jupyter.widget-state+json": {
    "state": {"abc123": {"model_name": "VBoxModel", "model_module": "@jupyter-widgets/controls",
                         "model_module_version": "2.0.0", "state": {}}},
    "version_major": 2, "version_minor": 0}}
README = """\
# ropelab

A course on **rotary** position embedding.

## The notebooks

| notebook | what |
|---|---|
| `01_zeta` | the first page |
| `02_alpha` | the second page |

## Glossary (术语表)

| English | 中文 |
|---|---|
| tensor | 张量 |
| rotary position embedding (RoPE) | 旋转位置编码 |

## After the glossary

The end of the README.
"""
NAMES = ["01_zeta", "02_alpha"]  # file order; their titles sort the other way round


def load_tool():
    """tools/site.py as a module (its file name would clash with the standard library's ``site``)."""
    spec = importlib.util.spec_from_file_location("ropelab_site_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def need_mathjax():
    """The build installs MathJax with npm when .cache/npm/ lacks it: skip (fail in CI) without npm."""
    tool = load_tool()
    if (tool.NPM_CACHE / "node_modules" / "mathjax" / "es5" / tool.MATHJAX_SCRIPT).is_file() or shutil.which("npm"):
        return
    message = f"MathJax is not in {tool.NPM_CACHE} and npm is not installed (install Node.js and npm)"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def notebook(cells: list, widgets: bool = False) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    if widgets:
        nb.metadata["widgets"] = WIDGET_STATE
    return nb


def write_notebooks(folder: Path) -> list[Path]:
    """Two English notebooks and the Chinese twin of the first (the second has none)."""
    v4 = nbformat.v4
    zeta_code = [
        v4.new_code_cell("a_widget()", execution_count=1, outputs=[v4.new_output(
            "display_data", data={WIDGET_VIEW: {"model_id": "abc123", "version_major": 2, "version_minor": 0},
                                  "text/html": FALLBACK_HTML, "text/plain": "a_widget(theta=1)"})]),
        v4.new_code_cell("a_figure()", execution_count=2, outputs=[v4.new_output(
            "display_data", data={"image/png": PNG, "text/plain": "<Figure size 1x1>"})]),
        v4.new_code_cell("print('hello')", execution_count=3, outputs=[
            v4.new_output("stream", name="stdout", text="hello from the stored output\n")]),
    ]
    zeta = notebook([v4.new_markdown_cell(
        "# Zeta · the first page\n\nRotary text with inline math $e^{i\\theta}$ and display math:\n\n"
        "$$R(\\theta)\\, q = q\\, e^{i\\theta}$$\n"), *zeta_code], widgets=True)
    alpha = notebook([v4.new_markdown_cell("# Alpha · the second page\n\nOnly in English: the alpha text.\n")])
    zeta_zh = notebook([v4.new_markdown_cell(
        "# Zeta · 第一页\n\n旋转位置编码的第一行\n第二行，同一段。行内公式 $e^{i\\theta}$。\n"), *zeta_code],
        widgets=True)
    (folder / "zh").mkdir(parents=True)
    paths = []
    for name, nb in (("01_zeta", zeta), ("02_alpha", alpha)):
        nbformat.write(nb, folder / f"{name}.ipynb")
        paths.append(folder / f"{name}.ipynb")
    nbformat.write(zeta_zh, folder / "zh" / "01_zeta.ipynb")
    return paths


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny site: ``(site folder, build folder)``."""
    need_mathjax()
    base = tmp_path_factory.mktemp("tiny-site")
    paths = write_notebooks(base / "notebooks")
    readme = base / "README.md"
    readme.write_text(README, encoding="utf-8")
    out, build = base / "site", base / "build"
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--notebooks", *map(str, paths), "--out", str(out), "--build-dir", str(build),
         "--readme", str(readme), "--strict"],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, f"the tiny site did not build:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return out, build


class Tags(html.parser.HTMLParser):
    """Every start tag of a page, in order, as (tag, attributes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags(page: Path) -> list[tuple[str, dict[str, str]]]:
    parser = Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tags


def classes(attrs: dict[str, str]) -> set[str]:
    return set(attrs.get("class", "").split())


def next_link(page: Path) -> str | None:
    return next((a["href"] for t, a in tags(page) if t == "a" and "right-next" in classes(a)), None)


def sidebar_links(page: Path) -> list[str]:
    """The hrefs of the primary sidebar's navigation, in order."""
    text = page.read_text(encoding="utf-8")
    nav = re.search(r'<nav class="bd-links bd-docs-nav".*?</nav>', text, flags=re.S)
    assert nav, f"{page.name}: no sidebar navigation"
    return re.findall(r'<a class="reference internal" href="([^"]*)"', nav.group(0))


def html_pages(site: Path) -> list[Path]:
    """The site's pages (not the theme's template bits that lie in _static/)."""
    return sorted(p for p in site.rglob("*.html") if not {"_static", "_sources"} & set(p.relative_to(site).parts))


# --------------------------------------------------------------------------- the sources


def test_the_readme_splits_into_landing_page_and_glossary():
    tool = load_tool()
    rest, glossary = tool.split_readme(README)
    assert glossary.startswith("## Glossary (术语表)\n") and "| tensor | 张量 |" in glossary
    assert "After the glossary" not in glossary
    assert "Glossary (术语表)" not in rest and "## After the glossary" in rest and "## The notebooks" in rest
    # the real README has the section too
    rest, glossary = tool.split_readme((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "| tensor | 张量 |" in glossary and "## Quick start" in rest and "| tensor | 张量 |" not in rest


def test_default_notebooks_are_all_english_notebooks_in_file_order():
    tool = load_tool()
    args = tool.parse_args([])
    assert args.notebooks == sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(args.notebooks) >= 12


@pytest.mark.slow
def test_generated_sources(tiny):
    _, build = tiny
    for code in ("en", "zh"):
        src = build / "src" / code
        conf = (src / "conf.py").read_text(encoding="utf-8")
        assert 'nb_execution_mode = "off"' in conf
        assert f'nb_mime_priority_overrides = [("*", {WIDGET_VIEW!r}, None)' in conf
        assert "nb_ipywidgets_js = {}" in conf
        assert 'mathjax_path = "mathjax/tex-chtml.js"' in conf
        assert (src / "_static" / "mathjax" / "tex-chtml.js").is_file()
        assert sorted(p.stem for p in src.glob("*.ipynb")) == sorted(NAMES)
        # the copies the site is made from carry no saved widget state
        assert "widgets" not in json.loads((src / "01_zeta.ipynb").read_text())["metadata"]
    index = (build / "src" / "en" / "index.md").read_text(encoding="utf-8")
    assert "# ropelab" in index and "After the glossary" in index and "Glossary (术语表)" not in index
    assert "[`01_zeta`](01_zeta.ipynb)" in index  # the README's notebook names link to the pages
    assert "| tensor | 张量 |" in (build / "src" / "en" / "glossary.md").read_text(encoding="utf-8")
    assert "| 张量 | tensor |" in (build / "src" / "zh" / "glossary.md").read_text(encoding="utf-8")
    # the stored notebooks are left as they are
    assert "widgets" in json.loads((build.parent / "notebooks" / "01_zeta.ipynb").read_text())["metadata"]


# --------------------------------------------------------------------------- the built site


@pytest.mark.slow
def test_every_notebook_is_a_page_in_both_editions(tiny):
    site, _ = tiny
    for folder in (site, site / "zh"):
        for name in ["index", "glossary", "search", "genindex", *NAMES]:
            assert (folder / f"{name}.html").is_file(), f"missing {folder / name}.html"
    assert "hello from the stored output" in (site / "01_zeta.html").read_text(encoding="utf-8")
    # the page's download button gives the notebook (without its widget state)
    assert '<a href="_sources/01_zeta.ipynb"' in (site / "01_zeta.html").read_text(encoding="utf-8")
    assert "widgets" not in json.loads((site / "_sources" / "01_zeta.ipynb").read_text())["metadata"]
    assert "Only in English: the alpha text." in (site / "02_alpha.html").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["", "zh"])
def test_navigation_goes_in_notebook_order(tiny, edition):
    site = tiny[0] / edition
    pages = [f"{n}.html" for n in NAMES] + ["glossary.html"]
    assert [h for h in sidebar_links(site / "index.html") if h != "#"] == pages
    chain, page = [], "index.html"
    while page is not None:
        chain.append(page)
        assert len(chain) < 10, chain
        page = next_link(site / page)
    assert chain == ["index.html", *[f"{n}.html" for n in NAMES], "glossary.html"]


@pytest.mark.slow
def test_widget_outputs_use_text_html_with_its_script_never_the_widget_view(tiny):
    site, _ = tiny
    for page in (site / "01_zeta.html", site / "zh" / "01_zeta.html"):
        text = page.read_text(encoding="utf-8")
        assert FALLBACK_SCRIPT in text, f"{page}: the text/html output (with its script) is not on the page"
        assert '<div id="ropelab-fallback-1">not drawn yet</div>' in text
        assert "a_widget(theta=1)" not in text  # the text/plain form is not shown beside it
    for page in html_pages(site):
        text = page.read_text(encoding="utf-8")
        for needle in (WIDGET_VIEW, "widget-state+json", "html-manager", "embed-amd", "require.min.js",
                       "jupyter-widgets", "abc123"):
            assert needle not in text, f"{page.relative_to(site)} holds {needle!r}"


@pytest.mark.slow
def test_figures_are_local_image_files(tiny):
    site, _ = tiny
    for page in (site / "01_zeta.html", site / "zh" / "01_zeta.html"):
        images = [a["src"] for t, a in tags(page) if t == "img" and a.get("src", "").endswith(".png")]
        assert images, f"{page}: no figure"
        for src in images:
            assert (page.parent / src).is_file(), f"{page}: {src} is missing"


REMOTE = re.compile(r"^\s*(https?:)?//", re.I)
CSS_REMOTE = re.compile(r"""(url\(\s*['"]?\s*(https?:)?//|@import\s+['"](https?:)?//)""", re.I)


@pytest.mark.slow
def test_no_asset_comes_from_anywhere_but_the_site(tiny):
    """Scripts, stylesheets, fonts, images, frames: all local. Only links the reader clicks
    (``<a href>``) may point elsewhere."""
    site, _ = tiny
    found = []
    for page in html_pages(site):
        for tag, attrs in tags(page):
            if tag == "a":
                continue
            for name in ("src", "href", "data", "poster", "srcset", "action"):
                if REMOTE.match(attrs.get(name, "")):
                    found.append(f"{page.relative_to(site)}: <{tag} {name}={attrs[name]!r}>")
    for css in site.rglob("*.css"):
        for match in CSS_REMOTE.finditer(css.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{css.relative_to(site)}: {match.group(0)}")
    assert not found, "remote assets:\n" + "\n".join(found)


@pytest.mark.slow
def test_math_is_typeset_by_the_local_mathjax(tiny):
    site, _ = tiny
    for page in html_pages(site):
        scripts = [a["src"] for t, a in tags(page) if t == "script" and "mathjax" in a.get("src", "").lower()]
        assert len(scripts) == 1, f"{page.relative_to(site)}: MathJax scripts {scripts}"
        src = scripts[0].split("?", 1)[0]
        assert src.endswith("_static/mathjax/tex-chtml.js") and not REMOTE.match(src), src
        assert (page.parent / src).is_file(), f"{page.relative_to(site)}: {src} is not in the site"
    fonts = site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert (fonts / "MathJax_Main-Regular.woff").is_file()
    assert (site / "zh" / "_static" / "mathjax" / "tex-chtml.js").is_file()
    version = json.loads((load_tool().NPM_CACHE / "node_modules" / "mathjax" / "package.json").read_text())["version"]
    assert version.startswith("3."), version
    text = (site / "01_zeta.html").read_text(encoding="utf-8")
    assert r'<span class="math notranslate nohighlight">\(e^{i\theta}\)</span>' in text
    assert r"\[R(\theta)\, q = q\, e^{i\theta}\]" in text


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["en", "zh"])
def test_every_page_has_the_language_switch_to_its_twin(tiny, edition):
    site = tiny[0]
    folder, twin_folder, label = (site, site / "zh", "中文") if edition == "en" else (site / "zh", site, "English")
    pages = html_pages(folder) if edition == "zh" else [p for p in html_pages(site) if p.parent == site]
    assert len(pages) >= 6
    for page in pages:
        links = [a for t, a in tags(page) if t == "a" and "ropelab-lang-link" in classes(a)]
        assert len(links) == 1, f"{page}: {len(links)} language switches"
        target = (page.parent / links[0]["href"]).resolve()
        assert target == (twin_folder / page.name).resolve(), f"{page}: the switch leads to {target}"
        assert target.is_file()
        assert f">{label}</a>" in page.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_chinese_edition(tiny):
    site, _ = tiny
    index = (site / "zh" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN"' in index
    assert "旋转位置编码互动课程" in index and "每个笔记本一页" in index
    # the notebook list, in order, with the Chinese titles
    links = re.findall(r'<li><p><a class="reference internal" href="([^"]+)">', index)
    assert links == [f"{n}.html" for n in NAMES]
    assert "Zeta · 第一页" in index
    # a line break of the Markdown between Chinese characters is no space on the page
    zeta = (site / "zh" / "01_zeta.html").read_text(encoding="utf-8")
    assert "旋转位置编码的第一行第二行，同一段。" in zeta
    assert "阅读时不需要网络，也不需要 Python。网页上的滑块" in index
    # a notebook without a Chinese twin is shown in English
    assert "Only in English: the alpha text." in (site / "zh" / "02_alpha.html").read_text(encoding="utf-8")
    glossary = (site / "zh" / "glossary.html").read_text(encoding="utf-8")
    assert "术语表" in glossary and "旋转位置编码" in glossary


@pytest.mark.slow
def test_search_indexes_english_words_and_chinese_terms(tiny):
    site, _ = tiny
    for folder in (site, site / "zh"):
        text = (folder / "searchindex.js").read_text(encoding="utf-8")
        terms = json.loads(text[text.index("(") + 1:text.rindex(")")])["terms"]
        assert "rotari" in terms  # "rotary", stemmed
        assert {"旋转", "转位", "位置", "编码", "张量"} <= set(terms)  # Chinese, as pairs of characters
        assert "var splitQuery" in (folder / "_static" / "language_data.js").read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_launch_or_repository_buttons(tiny):
    site, _ = tiny
    text = (site / "01_zeta.html").read_text(encoding="utf-8")
    for needle in ("launch-buttons", "binder", "colab", "thebe", "repository-button", "btn-source-repository"):
        assert needle not in text.lower(), needle


def test_a_rebuild_replaces_only_a_folder_it_built(tmp_path):
    tool = load_tool()
    build = tmp_path / "build"
    (build / "html" / "en").mkdir(parents=True)
    (build / "html" / "en" / "index.html").write_text("<html>en</html>")
    (build / "html" / "zh").mkdir(parents=True)
    (build / "html" / "zh" / "index.html").write_text("<html>zh</html>")
    foreign = tmp_path / "someone-elses"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not a site built by tools/site.py"):
        tool.assemble(build, ["en", "zh"], foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"
    out = tmp_path / "site"
    tool.assemble(build, ["en", "zh"], out)
    (out / "stale.html").write_text("from an earlier build")
    tool.assemble(build, ["en", "zh"], out)
    assert not (out / "stale.html").exists()
    assert (out / "zh" / "index.html").read_text() == "<html>zh</html>"


@pytest.mark.slow
def test_serve_prints_the_address_and_serves_the_site_on_localhost(tiny):
    site, _ = tiny
    tool = load_tool()
    port = tool.free_port(18600)
    proc = subprocess.Popen([sys.executable, str(TOOL), "--serve", "--no-build", "--out", str(site),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()  # printed before it serves
        assert f"http://127.0.0.1:{port}/" in first, first
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/zh/01_zeta.html", timeout=10) as resp:
                    assert resp.status == 200 and "Zeta" in resp.read().decode("utf-8")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)  # polling for readiness, not waiting for a fixed time
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
