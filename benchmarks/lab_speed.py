"""The speed a learner feels: how long each notebook takes to run, and each slider move to paint.

    python benchmarks/lab_speed.py                 # every notebook and every widget
    python benchmarks/lab_speed.py --notebooks 03_euler_formula --moves 40
    python benchmarks/lab_speed.py --no-notebooks  # widgets only
    python benchmarks/lab_speed.py --no-notebooks --busy 2   # widgets quiet, then beside 2 busy processes

Notebooks are executed top to bottom in a fresh kernel, like ``./lab regen`` but without
saving (budget: 15 s each).

Widgets are computed and drawn in the browser, so what a learner feels is the time from a
slider's input to the painted frame that shows it. Each widget is opened in Chromium as a
page with nothing but its stored output (the same module that runs in JupyterLab, Voila and
on the site); every slider is stepped across its range. Chromium delivers input events at
the start of a frame, so each move is dispatched at a frame's start (in a
``requestAnimationFrame`` callback) and timed until a task queued then runs, which is after
that frame's style, layout and paint: the move's whole cost on the main thread. Reported:
median and 90th percentile per widget (budget: p90 within one frame at 60 Hz, 16 ms),
quiet and, with ``--busy N``, again beside N busy processes (``tools/busy.py``).

Absolute times depend on the machine and on what else runs on it: what is over its budget
is flagged "over budget", listed at the end, and makes the exit status 1 (a report for
people; no test depends on it).
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_BUDGET_S = 15.0
FRAME_BUDGET_MS = 16.0
CHROMIUM = Path(os.environ.get("ROPELAB_CHROMIUM", "/usr/bin/chromium"))


def widget_factories():
    from ropelab import widgets

    return {name: getattr(widgets, name) for name in widgets.__all__
            if name.endswith("_widget") and callable(getattr(widgets, name))}


def widget_page(name: str) -> str:
    """A page holding only the stored output of widget ``name`` (its module and starting state)."""
    data, _ = widget_factories()[name]()._repr_mimebundle_()
    return ("<!doctype html><html><head><meta charset='utf-8'></head>"
            f"<body style='max-width: 1150px'>{data['text/html']}</body></html>")


# In the page: step each slider over `moves` values of its range, one per frame; return the times.
_MEASURE_JS = """async (moves) => {
    const root = document.querySelector('.ropelab-widget');
    const frame = () => new Promise(r => requestAnimationFrame(r));
    const times = [];
    const redraws = () => Number(root.dataset.redraws);
    for (const input of root.querySelectorAll('.rl-control input[type=range]')) {
        const lo = Number(input.min), hi = Number(input.max), step = Number(input.step) || 1;
        const start = input.value;
        for (let i = 1; i <= moves; i++) {
            const target = lo + Math.round(((hi - lo) * i) / moves / step) * step;
            await frame();                        // a frame starts: this is when input is delivered
            const before = redraws();
            const t0 = performance.now();
            input.value = String(target);
            input.dispatchEvent(new Event('input', {bubbles: true}));
            const painted = new Promise(r => setTimeout(r, 0));  // runs after this frame's paint
            await painted;
            if (redraws() > before) times.push(performance.now() - t0);
        }
        input.value = start;
        input.dispatchEvent(new Event('input', {bubbles: true}));
    }
    return times;
}"""


def measure_widgets(names, moves: int) -> dict[str, list[float]]:
    """Input-to-paint times (ms) of every slider move of each widget, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        try:
            for name in names:
                page = browser.new_page(viewport={"width": 1200, "height": 1000})
                page.route("**/*", lambda route: route.abort())  # the page needs nothing from anywhere
                page.set_content(widget_page(name))
                page.wait_for_selector(".ropelab-widget[data-ready='1']")
                found[name] = page.evaluate(_MEASURE_JS, moves)
                page.close()
        finally:
            browser.close()
    return found


@contextlib.contextmanager
def busy(n: int):
    """N busy processes beside the measurement (none for n = 0)."""
    if n <= 0:
        yield
        return
    proc = subprocess.Popen([sys.executable, str(ROOT / "tools" / "busy.py"), str(n), "--watch", str(os.getpid())])
    try:
        time.sleep(0.5)  # (let them start: the load is what is measured beside)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def widget_report(times: dict[str, list[float]], label: str, over: list[str]) -> None:
    print(f"{'widget':<22}{'moves':>7}{'median ms':>11}{'p90 ms':>9}   input to painted frame, {label}")
    for name, ts in times.items():
        ts = sorted(ts)
        med = statistics.median(ts) if ts else float("nan")
        p90 = ts[min(len(ts) - 1, int(0.9 * len(ts)))] if ts else float("nan")
        flag = "" if p90 <= FRAME_BUDGET_MS else "  over budget"
        if flag:
            over.append(f"{name} {label} (p90 {p90:.1f} ms > {FRAME_BUDGET_MS:g} ms)")
        print(f"{name:<22}{len(ts):>7}{med:>11.1f}{p90:>9.1f}{flag}")


def run_notebook(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # (the notebooks carry the tag; nbclient goes on past such a cell only with it)
        if cell.cell_type == "code" and "NBVAL_RAISES_EXCEPTION" in cell.source:
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
    client = NotebookClient(copy.deepcopy(nb), timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}, store_widget_state=False)
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebooks", nargs="*", help="notebook stems (default: all)")
    parser.add_argument("--no-notebooks", action="store_true")
    parser.add_argument("--no-widgets", action="store_true")
    parser.add_argument("--moves", type=int, default=30, help="slider steps per slider")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="measure the widgets a second time beside N busy processes")
    args = parser.parse_args(argv)
    if args.moves < 1:
        parser.error("--moves must be at least 1")
    if args.busy < 0:
        parser.error("--busy must be 0 or more")

    over: list[str] = []
    if not args.no_widgets:
        if not CHROMIUM.exists():
            parser.error(f"the widget timings need Chromium at {CHROMIUM} (apt-get install -y chromium), "
                         "or --no-widgets")
        names = list(widget_factories())
        widget_report(measure_widgets(names, args.moves), "quiet", over)
        if args.busy:
            with busy(args.busy):
                timed = measure_widgets(names, args.moves)
            print()
            widget_report(timed, f"beside {args.busy} busy processes", over)
    if not args.no_notebooks:
        paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
        if args.notebooks:
            wanted = set(args.notebooks)
            paths = [p for p in paths if p.stem in wanted]
            if len(paths) != len(wanted):
                parser.error(f"unknown notebooks: {sorted(wanted - {p.stem for p in paths})}")
        print(f"\n{'notebook':<26}{'seconds':>9}")
        total = 0.0
        for path in paths:
            seconds = run_notebook(path)
            total += seconds
            flag = "" if seconds <= NOTEBOOK_BUDGET_S else "  over budget"
            if flag:
                over.append(f"{path.stem} ({seconds:.1f} s > {NOTEBOOK_BUDGET_S:g} s)")
            print(f"{path.stem:<26}{seconds:>9.1f}{flag}")
        print(f"{'total (one after another)':<26}{total:>9.1f}")
    print(f"\n{len(over)} over budget: {', '.join(over)}" if over else "\nall within budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
