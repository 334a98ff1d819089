"""Build the course as a static website from the stored notebooks (nothing is executed).

    ./lab site                                   build both editions into site/
    ./lab site --serve [--port N]                build, then serve site/ on http://127.0.0.1:N/
    python tools/site.py --serve --no-build      serve what site/ holds, without building
    python tools/site.py --notebooks notebooks/00_start_here.ipynb --out /tmp/s   # a few pages

What comes out (``site/``, git-ignored; copy the folder anywhere and open it or serve it,
e.g. ``python -m http.server -d site``):

* ``site/index.html``: the English landing page, made from README.md (without its glossary
  section, which becomes ``glossary.html``), then one page per notebook of ``notebooks/``,
  in file-name order, with its text, math, figures and stored outputs;
* ``site/zh/``: the Chinese edition, the same pages made from ``notebooks/zh/`` (same file
  names; a notebook without a Chinese twin uses the English one), a Chinese landing page
  and the glossary;
* every page has a language switch (English / 中文) in its header bar that leads to the
  same page in the other edition, and Sphinx's search (per edition).

Layout: two Sphinx projects, one per edition, generated into ``build/site/src/en`` and
``build/site/src/zh`` (conf.py, index.md, glossary.md, templates, CSS and cleaned copies of
the notebooks; files are rewritten only when their content changes, so a second build is
incremental), built into ``build/site/html/<edition>`` (doctrees and logs beside them),
then put together: English at the root of ``site/``, Chinese under ``site/zh/``. Two builds
rather than one project with two toctrees, because the language is a per-project setting
(the theme's labels, the search's word splitting) and each edition gets its own sidebar,
previous/next links and search index. The two builds run side by side (``--jobs``).

Offline, at build time and when reading: Sphinx + myst-nb (``nb_execution_mode = "off"``) +
sphinx-book-theme, whose assets are all local; no launch or repository buttons. Math is
typeset by MathJax 3 from the npm registry: installed once with npm into ``.cache/npm/``
(git-ignored), the parts it needs copied into each edition's ``_static/mathjax/``, and
``mathjax_path`` points there. Widget outputs: the ``text/html`` form of an output is
rendered raw (its ``<script>`` kept) and the ``application/vnd.jupyter.widget-view+json``
form never is (it would need the Jupyter widget manager from a CDN); saved widget state is
dropped from the copies and myst-nb's widget scripts (``nb_ipywidgets_js``) are off.

Chinese text: the search index splits it into pairs of characters (there is no word list
offline), so Chinese terms can be searched for in both editions; a line break of the
Markdown between two Chinese characters is dropped (a browser would show it as a space).
A small script (``_static/ropelab-search.js``) makes the search results' summaries show the
article's text around the word searched for.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "site"
DEFAULT_BUILD = ROOT / "build" / "site"
NPM_CACHE = ROOT / ".cache" / "npm"
MATHJAX_REQ = "mathjax@3"
MATHJAX_SCRIPT = "tex-chtml.js"
# what tex-chtml.js loads on demand (TeX extensions, fonts, the menu's accessibility parts)
MATHJAX_PARTS = [MATHJAX_SCRIPT, "input/tex/extensions", "output/chtml", "ui", "a11y", "sre"]
MARKER = ".ropelab-site"  # in a built site: lets a rebuild replace the folder
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
GLOSSARY_HEADING = "## Glossary (术语表)"
EDITIONS = ("en", "zh")
DEFAULT_PORT = 8000

__all__ = ["Edition", "main", "write_sources", "build_site", "ensure_mathjax", "serve", "split_readme"]


# --------------------------------------------------------------------------- the two editions


@dataclass
class Edition:
    code: str                  # "en" or "zh": the folder under build/site/src and html/
    notebooks: list[Path]      # the notebooks of this edition, in page order
    names: list[str] = field(default_factory=list)  # their page names (file stems), same order

    def __post_init__(self):
        self.names = [nb.stem for nb in self.notebooks]


LANG = {
    "en": dict(language="en", html_lang="en", title="ropelab", label="English",
               other="zh", other_label="中文", other_html_lang="zh-CN", other_prefix="zh/",
               notebooks_caption="Notebooks", reference_caption="Reference",
               switch_title="这一页的中文版"),
    "zh": dict(language="zh_CN", html_lang="zh-CN", title="ropelab 中文版", label="中文",
               other="en", other_label="English", other_html_lang="en", other_prefix="../",
               notebooks_caption="课程", reference_caption="参考",
               switch_title="This page in English"),
}

# (the line breaks in the Chinese text fall between Chinese characters: the site shows no space there)
ZH_INTRO = """\
# ropelab：旋转位置编码互动课程

**ropelab** 是一套交互式 Jupyter 笔记本课程，从零讲起**旋转位置编码**（RoPE，rotary position embedding）：
先讲 PyTorch 的张量操作、正弦位置编码和欧拉公式，再推导二维与 $d$ 维的 RoPE，
最后逐行阅读 LLaMA 和 InternLM 的真实 RoPE 代码，并与已安装的 Hugging Face `transformers` 逐个数字核对。
借助滑块，你可以亲手旋转向量，看到注意力分数只取决于查询与键的相对位置。

这个网站是课程的静态版本：每个笔记本一页，包括正文、公式、图和保存下来的运行结果，
阅读时不需要网络，也不需要 Python。网页上的滑块不连接 Python 内核；
要自己运行代码、拖动滑块、做练习，请在本地打开实验环境（`./lab open`），
或者用 `./lab present` 以演示模式放映某一课。每页右上角的 **English** 可切换到同一页的英文版。

## 课程目录

{entries}

中英术语对照见[术语表](glossary.md)。

{toctrees}"""

ZH_GLOSSARY_INTRO = """\
# 术语表 (Glossary)

课程中出现的术语及其中英文对照。

"""

LANG_SWITCH_TEMPLATE = """\
{#- The language switch (tools/site.py): the same page in the other edition. -#}
<div class="ropelab-lang-switch" role="navigation" aria-label="Language / 语言">
  <span class="ropelab-lang-current" lang="{{ ropelab_html_lang }}">{{ ropelab_label }}</span>
  <span class="ropelab-lang-arrow" aria-hidden="true">&#8644;</span>
  <a class="ropelab-lang-link" lang="{{ ropelab_other_html_lang }}" hreflang="{{ ropelab_other_html_lang }}"
     title="{{ ropelab_switch_title }}"
     href="{{ ropelab_other_prefix }}{{ pagename }}{{ file_suffix }}">{{ ropelab_other_label }}</a>
</div>
"""

CSS = """\
/* ropelab's site (tools/site.py): local fonts only, Chinese text in a CJK font. */
:root {
  --pst-font-family-base: system-ui, -apple-system, "Segoe UI", "Helvetica Neue", Arial,
    "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
    "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  --pst-font-family-heading: var(--pst-font-family-base);
  --pst-font-family-monospace: "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono",
    "Liberation Mono", "Noto Sans Mono CJK SC", "Noto Sans CJK SC", monospace;
}
html[lang^="zh"] { --pst-font-family-base: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
    "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif; }

/* the article's header bar: the language switch beside the buttons, in one row */
.header-article-items__end { display: flex; align-items: center; }
/* on a wide screen the sidebar has the search field: no second bar above the page for it */
@media (min-width: 960px) { #pst-header { display: none; } }

.ropelab-lang-switch { display: flex; align-items: center; gap: .35rem; margin-right: .5rem;
  font-size: .9rem; white-space: nowrap; }
.ropelab-lang-current { font-weight: 600; }
.ropelab-lang-arrow { opacity: .6; }
.ropelab-lang-link { padding: .1rem .55rem; border: 1px solid var(--pst-color-primary);
  border-radius: .8rem; text-decoration: none; }
.ropelab-lang-link:hover { background: var(--pst-color-primary); color: var(--pst-color-background); }

/* a wide formula scrolls sideways instead of running out of the column */
mjx-container[display="true"] { max-width: 100%; overflow-x: auto; overflow-y: hidden; padding: .1em 0; }

/* wide printed tables and tracebacks scroll instead of widening the page */
div.cell_output .output pre, div.cell_output .output { overflow-x: auto; }
div.cell_output img { max-width: 100%; height: auto; }
/* raw text/html outputs (the widgets' kernel-free fallback) keep to the column */
div.cell_output .output.text_html { max-width: 100%; overflow-x: auto; }
"""

SEARCH_JS = """\
/* ropelab's site (tools/site.py): the search results' summaries come from the article's
   text (not from the buttons above it), around the first word of the query found in it
   (Sphinx looks for the stemmed words, "rotari", which the text does not contain). */
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined") return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".bd-header-article, .prev-next-area, .headerlink, script, style")
      .forEach((el) => el.remove());
    const article = doc.querySelector("article.bd-article");
    let part = null;
    try { part = anchor && article ? article.querySelector(anchor) : null; } catch (err) { part = null; }
    const root = part || article;
    if (!root) return htmlToText(htmlString, anchor);
    // a formula shows as its TeX without MathJax's delimiters (as in the titles of the results)
    root.querySelectorAll(".math").forEach((el) => {
      el.textContent = el.textContent.trim().replace(/^\\\\[(\\[]/, "").replace(/\\\\[)\\]]$/, "");
    });
    return root.textContent.replace(/\\s+/g, " ");
  };
  const query = new URLSearchParams(window.location.search).get("q") || "";
  const words = query.toLowerCase().split(/\\s+/).filter(Boolean);
  const makeSearchSummary = Search.makeSearchSummary;
  Search.makeSearchSummary = (htmlText, keywords, anchor) =>
    makeSearchSummary(htmlText, new Set([...keywords, ...words]), anchor);
});
"""

CONF_TEMPLATE = '''\
# Generated by tools/site.py for the {label} edition of ropelab's website.
# Rebuilt by every `./lab site`: do not edit, change tools/site.py instead.
import re

from docutils import nodes
from sphinx.search.en import SearchEnglish

project = "ropelab"
language = {language!r}
extensions = ["myst_nb", "sphinx.ext.mathjax"]
exclude_patterns = ["**/.ipynb_checkpoints"]
templates_path = ["_templates"]

# the stored notebooks, as they are: never executed
nb_execution_mode = "off"
nb_merge_streams = True
# a widget output is shown by its text/html form (raw, scripts kept); the widget-view form,
# which needs the Jupyter widget manager from a CDN, never
nb_mime_priority_overrides = [("*", {widget_view!r}, None), ("*", "text/html", 5)]
# no require.js / html-manager scripts (from a CDN) for notebooks with saved widget state
nb_ipywidgets_js = {{}}
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True
myst_heading_anchors = 3

# math: the local MathJax 3 (tools/site.py copies it into _static/mathjax/)
mathjax_path = "mathjax/{mathjax_script}"
mathjax3_config = {{"options": {{}}}}  # myst-parser adds the classes MathJax may process

html_theme = "sphinx_book_theme"
html_title = {title!r}
html_static_path = ["_static"]
html_css_files = ["ropelab-site.css"]
html_js_files = ["ropelab-search.js"]
html_sourcelink_suffix = ""  # the download button gives the .ipynb itself
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {{
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": True,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "use_source_button": False,
    "launch_buttons": {{}},
    "article_header_end": ["lang-switch.html", "article-header-buttons.html"],
    "footer_content_items": [],
}}
html_context = {{
    "default_mode": "light",
    "ropelab_label": {label!r},
    "ropelab_html_lang": {html_lang!r},
    "ropelab_other_label": {other_label!r},
    "ropelab_other_html_lang": {other_html_lang!r},
    "ropelab_other_prefix": {other_prefix!r},
    "ropelab_switch_title": {switch_title!r},
}}

_CJK = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff"
_PARTS = re.compile(f"[{{_CJK}}]+|[^{{_CJK}}]+")


class Search(SearchEnglish):
    """English words as Sphinx splits them; a run of Chinese characters as its overlapping
    pairs of characters (no word list is needed). The page's search splits the query alike."""

    lang = {search_lang!r}
    js_splitter_code = r"""
var splitQuery = function (query) {{
  var h = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff";
  var han = new RegExp("[" + h + "]", "u"), runs = new RegExp("[" + h + "]+|[^" + h + "]+", "gu");
  var terms = [];
  query.split(/[^\\p{{Letter}}\\p{{Number}}_]+/u).forEach(function (word) {{
    (word.match(runs) || []).forEach(function (part) {{
      if (!han.test(part) || part.length === 1) {{ terms.push(part); return; }}
      for (var i = 1; i !== part.length; i++) terms.push(part.slice(i - 1, i + 1));
    }});
  }});
  return terms;
}};
"""

    def split(self, input):
        terms = []
        for word in self._word_re.findall(input):
            for part in _PARTS.findall(word):
                if not re.match(f"[{{_CJK}}]", part):
                    terms.append(part)
                elif len(part) == 1:
                    terms.append(part)
                else:
                    terms.extend(part[i - 1:i + 1] for i in range(1, len(part)))
        return terms


# Chinese characters and full-width punctuation: a line break between two of them is no space
_WIDE = _CJK + "\\u3000-\\u303f\\uff00-\\uffef"
_WIDE_BREAK = re.compile(f"(?<=[{{_WIDE}}])[ \\t]*\\n[ \\t]*(?=[{{_WIDE}}])")
_VERBATIM = (nodes.literal, nodes.literal_block, nodes.math, nodes.math_block, nodes.raw)


def join_wide_lines(app, doctree):
    """Drop the line breaks of the Markdown source between two Chinese characters (a browser
    shows a line break as a space; Chinese puts none between words). A line break is a text
    node of its own: its neighbours are the texts before and after it in the paragraph."""
    for paragraph in doctree.findall(nodes.paragraph):
        texts = list(paragraph.findall(nodes.Text))
        for i, text in enumerate(texts):
            if "\\n" not in text or _verbatim(text, paragraph):
                continue
            before = str(texts[i - 1])[-1:] if i else ""
            after = str(texts[i + 1])[:1] if i + 1 < len(texts) else ""
            joined = _WIDE_BREAK.sub("", before + str(text) + after)
            joined = joined[len(before):len(joined) - len(after)]
            if joined != str(text):
                text.parent.replace(text, nodes.Text(joined))


def _verbatim(node, stop):
    while node is not None and node is not stop:
        if isinstance(node, _VERBATIM):
            return True
        node = node.parent
    return False


def setup(app):
    app.add_search_language(Search)
    app.connect("doctree-read", join_wide_lines)
    # MathJax on every page, not only on pages with math: page titles in the sidebar and the
    # previous/next links can hold math too
    app.set_html_assets_policy("always")
'''


# --------------------------------------------------------------------------- sources


def write_if_changed(path: Path, text: str | bytes) -> bool:
    """Write ``path`` unless it already holds exactly this; True when written. (Sphinx then
    rebuilds only what changed.)"""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def clean_notebook(path: Path) -> str:
    """The notebook as the site shows it: without saved widget state (myst-nb would embed
    it and load the widget manager for it) and without per-notebook myst-nb settings (which
    could undo the site's output choices)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    meta = nb.setdefault("metadata", {})
    for key in ("widgets", "mystnb", "myst"):
        meta.pop(key, None)
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def split_readme(text: str) -> tuple[str, str]:
    """(README without its glossary section, the glossary section): the section runs from the
    line "## Glossary (术语表)" to the next level-2 heading or the end."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip() == GLOSSARY_HEADING]
    if not starts:
        return text, ""
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "".join(lines[:start]).rstrip() + "\n"
    if end < len(lines):
        rest += "\n" + "".join(lines[end:])
    return rest, "".join(lines[start:end]).rstrip() + "\n"


def link_notebook_names(markdown: str, names: list[str]) -> str:
    """Turn each `NN_name` code span naming a page into a link to it (outside code blocks)."""
    out, fenced = [], False
    pattern = re.compile(r"(?<!\[)`(" + "|".join(re.escape(n) for n in names) + r")`") if names else None
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and pattern is not None:
            line = pattern.sub(lambda m: f"[`{m.group(1)}`]({m.group(1)}.ipynb)", line)
        out.append(line)
    return "".join(out)


def toctree(entries: list[str], caption: str, hidden: bool = True) -> str:
    opts = (":hidden:\n" if hidden else "") + ":maxdepth: 1\n" + f":caption: {caption}\n"
    return "```{toctree}\n" + opts + "\n" + "\n".join(entries) + "\n```\n"


def swap_table_columns(table: str) -> str:
    """A two-column Markdown table with its columns swapped (the Chinese glossary: 中文 first)."""
    rows = []
    for line in table.splitlines():
        cells = line.strip().strip("|").split("|")
        if line.strip().startswith("|") and len(cells) == 2:
            rows.append(f"| {cells[1].strip()} | {cells[0].strip()} |")
        else:
            rows.append(line)
    return "\n".join(rows) + "\n"


def notebook_title(path: Path) -> str:
    """The first level-1 heading of a notebook's Markdown (its page title), or its file name."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            match = re.search(r"^# +(.+?)\s*$", source, flags=re.M)
            if match:
                return match.group(1)
    return path.stem


def edition_pages(edition: Edition, readme: str) -> dict[str, str]:
    """index.md and glossary.md of an edition."""
    body, glossary = split_readme(readme)
    glossary_table = glossary.split("\n", 1)[1].strip() + "\n" if glossary else "(no glossary in README.md)\n"
    lang = LANG[edition.code]
    if edition.code == "en":
        index = (link_notebook_names(body, edition.names).rstrip() + "\n\n"
                 + toctree(edition.names, lang["notebooks_caption"]) + "\n"
                 + toctree(["glossary"], lang["reference_caption"]))
        glossary_md = "# Glossary (术语表)\n\nThe terms of the course, in English and Chinese.\n\n" + glossary_table
    else:
        entries = "\n".join(f"1. [{notebook_title(nb)}](<{nb.stem}.ipynb>)" for nb in edition.notebooks)
        index = ZH_INTRO.format(entries=entries,
                                toctrees=toctree(edition.names, lang["notebooks_caption"]) + "\n"
                                + toctree(["glossary"], lang["reference_caption"]))
        glossary_md = ZH_GLOSSARY_INTRO + swap_table_columns(glossary_table)
    return {"index.md": index, "glossary.md": glossary_md}


def conf_py(edition: Edition) -> str:
    lang = LANG[edition.code]
    return CONF_TEMPLATE.format(
        label=lang["label"], language=lang["language"], title=lang["title"], html_lang=lang["html_lang"],
        other_label=lang["other_label"], other_html_lang=lang["other_html_lang"],
        other_prefix=lang["other_prefix"], switch_title=lang["switch_title"],
        widget_view=WIDGET_VIEW, mathjax_script=MATHJAX_SCRIPT, search_lang=edition.code)


def copy_mathjax(mathjax: Path, dest: Path) -> None:
    """The parts of the MathJax package (its es5/ folder) the site needs, into ``dest``
    (skipped when ``dest`` already holds this version)."""
    version = json.loads((mathjax / "package.json").read_text())["version"]
    stamp = dest / ".version"
    if stamp.is_file() and stamp.read_text() == version:
        return
    if dest.exists():
        shutil.rmtree(dest)
    es5 = mathjax / "es5"
    for part in MATHJAX_PARTS:
        src = es5 / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        elif src.is_file():
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    shutil.copy2(mathjax / "LICENSE", dest / "LICENSE")
    stamp.write_text(version)


def write_sources(editions: list[Edition], build: Path, readme: Path, mathjax: Path | None) -> dict[str, Path]:
    """Generate each edition's Sphinx source tree under ``build/src/<edition>``; returns them.
    ``mathjax``: the npm package folder to copy from (None: leave _static/mathjax/ out)."""
    readme_text = readme.read_text(encoding="utf-8")
    trees = {}
    for edition in editions:
        src = build / "src" / edition.code
        src.mkdir(parents=True, exist_ok=True)
        wanted = {"conf.py": conf_py(edition), "_templates/lang-switch.html": LANG_SWITCH_TEMPLATE,
                  "_static/ropelab-site.css": CSS,
                  "_static/ropelab-search.js": SEARCH_JS, **edition_pages(edition, readme_text)}
        for rel, text in wanted.items():
            write_if_changed(src / rel, text)
        for nb in edition.notebooks:
            write_if_changed(src / f"{nb.stem}.ipynb", clean_notebook(nb))
        keep = {f"{name}.ipynb" for name in edition.names}
        for old in src.glob("*.ipynb"):  # notebooks of an earlier build that are not pages now
            if old.name not in keep:
                old.unlink()
        if mathjax is not None:
            copy_mathjax(mathjax, src / "_static" / "mathjax")
        trees[edition.code] = src
    return trees


# --------------------------------------------------------------------------- MathJax from npm


def ensure_mathjax(cache: Path = NPM_CACHE) -> Path:
    """The MathJax 3 package folder, installed with npm into ``cache`` if it is not there yet."""
    package = cache / "node_modules" / "mathjax"

    def ok() -> bool:
        try:
            version = json.loads((package / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return False
        return version.startswith("3.") and (package / "es5" / MATHJAX_SCRIPT).is_file()

    if ok():
        return package
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"MathJax 3 is not in {cache} and npm is not installed: install Node.js and npm "
                         f"(e.g. `sudo apt-get install -y npm`), or run `npm install --prefix {cache} {MATHJAX_REQ}`")
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):
        if not ok():  # another build may have installed it meanwhile
            print(f"==> installing {MATHJAX_REQ} with npm into {cache}", flush=True)
            subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
                            "--no-package-lock", MATHJAX_REQ], check=True)
    if not ok():
        raise SystemExit(f"npm did not install MathJax 3 into {package}")
    return package


@contextlib.contextmanager
def _locked(path: Path):
    import fcntl

    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- building


def sphinx_command(src: Path, html: Path, doctrees: Path, strict: bool) -> list[str]:
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(doctrees), str(src), str(html)]
    if strict:
        cmd[5:5] = ["-W", "--keep-going"]
    return cmd


def run_sphinx(trees: dict[str, Path], build: Path, jobs: int, strict: bool) -> dict[str, list[str]]:
    """Build each edition (``jobs`` at a time); returns each edition's warnings. Raises
    SystemExit, showing Sphinx's messages, when a build fails."""
    env = dict(os.environ, PYTHONHASHSEED="0", HF_HUB_OFFLINE="1")
    logs = build / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pending = list(trees.items())
    running: list[tuple[str, subprocess.Popen, Path]] = []
    failed, warnings = [], {}

    def finish(code: str, proc: subprocess.Popen, log: Path) -> None:
        proc.wait()
        text = log.read_text(encoding="utf-8", errors="replace")
        warnings[code] = [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]
        if proc.returncode != 0:
            failed.append(f"--- the {code} edition (exit code {proc.returncode}, log {log}):\n{text[-6000:]}")

    while pending or running:
        while pending and len(running) < max(1, jobs):
            code, src = pending.pop(0)
            log = logs / f"{code}.log"
            with open(log, "w") as out:
                proc = subprocess.Popen(sphinx_command(src, build / "html" / code, build / "doctrees" / code, strict),
                                        stdout=out, stderr=subprocess.STDOUT, cwd=build, env=env)
            running.append((code, proc, log))
        code, proc, log = running.pop(0)
        finish(code, proc, log)
    if failed:
        raise SystemExit("the site did not build:\n" + "\n".join(failed))
    return warnings


def assemble(build: Path, codes: list[str], out: Path) -> None:
    """Put the editions together in ``out``: English at its root, Chinese in ``out/zh``."""
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file()):
            raise SystemExit(f"{out} exists and is not a site built by tools/site.py; "
                             "choose another --out or remove it")
        shutil.rmtree(out)
    ignore = shutil.ignore_patterns(".buildinfo", ".buildinfo.bak")
    shutil.copytree(build / "html" / "en", out, ignore=ignore)
    if "zh" in codes:
        shutil.copytree(build / "html" / "zh", out / "zh", ignore=ignore)
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve the _static folders as they are
    (out / MARKER).write_text("built by tools/site.py; `./lab site` replaces this folder\n")


def editions_for(notebooks: list[Path], zh_dir: Path | None) -> list[Edition]:
    en = Edition("en", notebooks)
    zh_dir = zh_dir if zh_dir is not None else (notebooks[0].parent / "zh" if notebooks else NOTEBOOKS / "zh")
    twins = []
    for nb in notebooks:
        twin = zh_dir / nb.name
        if not twin.is_file():
            print(f"note: {twin} does not exist; the Chinese edition shows the English {nb.name}", flush=True)
            twin = nb
        twins.append(twin)
    return [en, Edition("zh", twins)]


def build_site(notebooks: list[Path], out: Path = DEFAULT_OUT, build: Path = DEFAULT_BUILD,
               zh_dir: Path | None = None, readme: Path = ROOT / "README.md", mathjax: Path | None = None,
               jobs: int = 2, strict: bool = False) -> dict[str, list[str]]:
    """Build the website of ``notebooks`` (English; their Chinese twins from ``zh_dir``) into
    ``out``; returns each edition's Sphinx warnings."""
    editions = editions_for(notebooks, zh_dir)
    mathjax = mathjax if mathjax is not None else ensure_mathjax()
    trees = write_sources(editions, build, readme, mathjax)
    warnings = run_sphinx(trees, build, jobs, strict)
    assemble(build, [e.code for e in editions], out)
    return warnings


# --------------------------------------------------------------------------- serving


def free_port(start: int, tries: int = 50) -> int:
    """``start`` if nothing listens on 127.0.0.1 there, else the next free port (presentation
    mode's rule, from tools/present.py, so both servers pick ports alike)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ropelab_present_tool", Path(__file__).with_name("present.py"))
    present = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(present)
    return present.free_port(start, tries)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        if os.environ.get("ROPELAB_SITE_LOG"):
            super().log_message(format, *args)


def serve(out: Path, port: int) -> None:
    """Serve ``out`` on http://127.0.0.1:``port``/ until Ctrl+C."""
    handler = functools.partial(_QuietHandler, directory=str(out))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"Serving the site at http://127.0.0.1:{port}/ (中文: http://127.0.0.1:{port}/zh/)\n"
              "Press Ctrl+C to stop.", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print("\nstopped", flush=True)


# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./lab site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", nargs="+", type=Path, metavar="NB",
                        help="English notebooks to make pages of, in this order (default: notebooks/*.ipynb)")
    parser.add_argument("--zh-dir", type=Path, help="where their Chinese twins are (default: zh/ beside them)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the website folder (default: site/)")
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD,
                        help="Sphinx sources, doctrees and logs (default: build/site/)")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md",
                        help="the landing page's and the glossary's source (default: README.md)")
    parser.add_argument("--mathjax", type=Path,
                        help="a MathJax 3 npm package folder (default: installed with npm into .cache/npm/)")
    parser.add_argument("--jobs", type=int, default=2, help="editions built at the same time (default 2)")
    parser.add_argument("--strict", action="store_true", help="fail on any Sphinx warning")
    parser.add_argument("--serve", action="store_true", help="then serve the site on 127.0.0.1")
    parser.add_argument("--port", type=int, help=f"with --serve: the port (default {DEFAULT_PORT}, "
                                                 "the next free one if taken)")
    parser.add_argument("--no-build", action="store_true", help="with --serve: serve the site as it is")
    args = parser.parse_args(argv)
    if args.no_build and not args.serve:
        parser.error("--no-build only makes sense with --serve")
    if args.port is not None and not 0 < args.port < 65536:
        parser.error(f"--port: expected 1..65535, got {args.port}")
    if args.notebooks is None:
        args.notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    for nb in args.notebooks:
        if not nb.is_file() or nb.suffix != ".ipynb":
            parser.error(f"--notebooks: expected existing .ipynb files, got {str(nb)!r}")
    names = [nb.stem for nb in args.notebooks]
    if len(set(names)) != len(names) or {"index", "glossary"} & set(names):
        parser.error("--notebooks: page names (file names) must be distinct and not index or glossary")
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive number, got {args.jobs}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    if not args.no_build:
        t0 = time.perf_counter()
        warnings = build_site([nb.resolve() for nb in args.notebooks], out=out, build=args.build_dir.resolve(),
                              zh_dir=args.zh_dir.resolve() if args.zh_dir else None, readme=args.readme,
                              mathjax=args.mathjax.resolve() if args.mathjax else None, jobs=args.jobs,
                              strict=args.strict)
        for code, lines in warnings.items():
            for line in lines[:30]:
                print(f"[{code}] {line}", file=sys.stderr)
            if len(lines) > 30:
                print(f"[{code}] ... {len(lines) - 30} more in {args.build_dir / 'logs' / (code + '.log')}",
                      file=sys.stderr)
        n = sum(len(v) for v in warnings.values())
        print(f"built {out} ({len(args.notebooks)} notebooks in English and Chinese) in "
              f"{time.perf_counter() - t0:.0f} s{f', {n} warnings' if n else ''}; open {out / 'index.html'}",
              flush=True)
    elif not (out / "index.html").is_file():
        raise SystemExit(f"{out} holds no site; build it first with ./lab site")
    if args.serve:
        port = free_port(args.port if args.port is not None else DEFAULT_PORT)
        serve(out, port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
