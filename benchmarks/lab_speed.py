"""The speed a learner feels: how long each notebook takes to run, and each slider to redraw.

    python benchmarks/lab_speed.py                 # every notebook and every widget
    python benchmarks/lab_speed.py --notebooks 03_euler_formula --moves 40
    python benchmarks/lab_speed.py --no-notebooks  # widgets only

Notebooks are executed top to bottom in a fresh kernel, like ``./lab regen`` but without
saving (budget: 15 s each). Widgets: one slider at a time is stepped across its whole range,
each step a real ``value`` change that triggers the widget's redraw, and the median of
``widget.redraw_ms`` is reported (budget: 50 ms). Absolute times depend on the machine
and on what else runs on it: what is over its budget is flagged "over budget", listed at
the end, and makes the exit status 1 (a report for people; no test depends on it).
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_BUDGET_S = 15.0
REDRAW_BUDGET_MS = 50.0


def widget_factories():
    from ropelab import widgets

    return {name: getattr(widgets, name) for name in widgets.__all__
            if name.endswith("_widget") and callable(getattr(widgets, name))}


def slider_moves(widget, moves: int) -> list[float]:
    """Step every numeric slider of ``widget`` across its range; return the redraw times (ms)."""
    import ipywidgets as w

    widget.redraw_ms.clear()
    for control in widget.controls.values():
        if not isinstance(control, (w.FloatSlider, w.IntSlider, w.FloatLogSlider)):
            continue
        start = control.value
        lo, hi = control.min, control.max
        for i in range(1, moves + 1):
            frac = i / moves
            if isinstance(control, w.FloatLogSlider):
                value = control.base ** (lo + (hi - lo) * frac)
            else:  # stay on the slider's grid, as a drag would
                value = lo + round((hi - lo) * frac / control.step) * control.step
            control.value = int(value) if isinstance(control, w.IntSlider) else value
        control.value = start
    return list(widget.redraw_ms)


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
    args = parser.parse_args(argv)
    if args.moves < 1:
        parser.error("--moves must be at least 1")

    over: list[str] = []
    if not args.no_widgets:
        print(f"{'widget':<22}{'moves':>7}{'median ms':>11}{'p90 ms':>9}")
        for name, factory in widget_factories().items():
            times = sorted(slider_moves(factory(), args.moves))
            med = statistics.median(times)
            p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
            flag = "" if med <= REDRAW_BUDGET_MS else "  over budget"
            if flag:
                over.append(f"{name} ({med:.1f} ms > {REDRAW_BUDGET_MS:g} ms)")
            print(f"{name:<22}{len(times):>7}{med:>11.1f}{p90:>9.1f}{flag}")
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
