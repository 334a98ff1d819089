"""Re-execute notebooks top to bottom in a fresh kernel and save them with their outputs.

    python tools/nbexec.py notebooks/03_euler_formula.ipynb [...]

(``./lab regen`` calls this.) The saved notebooks carry no widget state and no
timing metadata, so strict nbval compares exactly what the code prints. Prints
the execution time of each notebook.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
ROOT = Path(__file__).resolve().parents[1]


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop saved widget state and per-cell timing; pin the generic kernelspec."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        # a cell that shows an error on purpose (nbval's marker) may raise while executing
        if cell.cell_type == "code" and "NBVAL_RAISES_EXCEPTION" in cell.source:
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")


def execute(path: Path, timeout: int = 300) -> float:
    nb = nbformat.read(path, as_version=4)
    clean(nb)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=False,
        allow_errors=False,
    )
    t0 = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - t0
    clean(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # the kernel starts in notebooks/: put this checkout's ropelab first, not whatever
    # `pip install -e` points at (another worktree, say)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    status = 0
    for path in args.notebooks:
        try:
            seconds = execute(path, args.timeout)
        except Exception as err:  # keep going, report at the end
            print(f"FAILED {path}: {type(err).__name__}: {str(err)[:2000]}", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: executed and saved in {seconds:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
