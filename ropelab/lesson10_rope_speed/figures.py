"""Figures for the speed lesson: memory passes per form (counted) and measured ratios to a floor.

The counted figures come from :func:`ropelab.lesson10_rope_speed.traffic.memory_traffic` and are
the same on every machine; the measured one takes whatever :func:`ropelab.common.timing.measure` found.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .._validate import check_even_dim
from ..common.figures import GREY, PALETTE, new_figure, style

__all__ = ["passes_figure", "ratio_figure", "matrix_traffic_figure"]

READ_COLOR = PALETTE["green"]
WRITE_COLOR = PALETTE["orange"]
ALLOC_COLOR = PALETTE["purple"]


def _check_rows(rows, keys) -> list:
    rows = list(rows)
    if not rows:
        raise ValueError("rows must hold at least one entry")
    for r in rows:
        if not isinstance(r, Mapping) or any(k not in r for k in keys):
            raise ValueError(f"each row must be a mapping with keys {', '.join(keys)}; got {r!r}")
    return rows


def passes_figure(rows: Sequence[Mapping]):
    """Reads and writes per element of ``x`` for each form: stacked horizontal bars.

    ``rows``: ``[{"name", "reads", "writes", "allocated"}, ...]`` in units of ``x``'s size
    (``Traffic.passes``). The dashed line at 2 is ``clone``: one read, one write.
    """
    rows = _check_rows(rows, ("name", "reads", "writes", "allocated"))
    names = [r["name"] for r in rows][::-1]
    reads = np.array([r["reads"] for r in rows][::-1], dtype=float)
    writes = np.array([r["writes"] for r in rows][::-1], dtype=float)
    alloc = [r["allocated"] for r in rows][::-1]
    y = np.arange(len(rows))
    totals = reads + writes
    # a form far beyond the others (the dense matrix) is cut at the edge and labelled,
    # so the differences between the others stay visible
    ordered = np.sort(totals)
    limit = ordered[-1] * 1.3 + 0.5
    if len(ordered) > 1 and ordered[-1] > 3 * ordered[-2]:
        limit = ordered[-2] * 1.6 + 1.0
    fig = new_figure(11.0, 0.62 * len(rows) + 2.2)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        r_shown = np.minimum(reads, limit)
        w_shown = np.minimum(writes, limit - r_shown)
        ax.barh(y, r_shown, color=READ_COLOR, label="reads")
        ax.barh(y, w_shown, left=r_shown, color=WRITE_COLOR, label="writes")
        for yi, total, a in zip(y, totals, alloc):
            cut = total > limit
            label = f"{total:.1f}" + (" (bar cut)" if cut else "") + f"   new memory: {a:.1f}"
            ax.text(min(total, limit) * (0.98 if cut else 1.0) + (0 if cut else 0.08), yi, label,
                    va="center", ha="right" if cut else "left", fontsize=12,
                    color="white" if cut else (ALLOC_COLOR if a > 1.001 else "black"),
                    fontweight="bold" if cut else "normal")
        ax.axvline(2.0, color=GREY, ls="--", lw=1.5)
        ax.text(2.0, len(rows) - 0.45, " clone = 2", color=GREY, fontsize=12, va="bottom")
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.set_xlim(0, limit * 1.02)
        ax.set_ylim(-0.6, len(rows) - 0.1)
        ax.set_xlabel("memory passes per element of x (one pass = one read or one write of x)")
        ax.set_title("Counted: the readable forms move x through memory several times", fontsize=15)
        ax.legend(loc="lower right", frameon=True, framealpha=0.9)
        ax.grid(axis="y", visible=False)
        fig.tight_layout()
    return fig


FLOOR_LABEL = "time / time of clone()  (log scale; 1 = one read + one write)"


def ratio_figure(ratios: Mapping[str, float], title: str = "Measured: time as a multiple of clone()",
                 xlabel: str = FLOOR_LABEL):
    """Measured time of each form over its floor's (``{name: ratio}``), log scale, line at 1.

    ropelab's forms (names starting ``apply_rope`` or ``ropelab``) are green, the floors
    (``clone``, ``copy_ ...``) grey, everything else blue.
    """
    if not isinstance(ratios, Mapping) or not ratios:
        raise ValueError("ratios must be a non-empty mapping {name: ratio to clone}")
    items = sorted(ratios.items(), key=lambda kv: kv[1], reverse=True)
    names = [k for k, _ in items]
    vals = np.array([float(v) for _, v in items])
    if not np.all(np.isfinite(vals)) or np.any(vals <= 0):
        raise ValueError(f"ratios must be positive finite numbers; got {dict(items)}")
    y = np.arange(len(items))
    fig = new_figure(11.0, 0.55 * len(items) + 2.2)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        colors = [PALETTE["green"] if n.startswith(("apply_rope", "ropelab")) else
                  (GREY if n == "clone" or n.startswith("copy_") else PALETTE["sky"]) for n in names]
        ax.barh(y, vals, color=colors)
        for yi, v in zip(y, vals):
            ax.text(v * 1.06, yi, f"{v:.2f}x", va="center", fontsize=12)
        ax.axvline(1.0, color="black", lw=1.2)
        ax.set_xscale("log")
        ax.set_xlim(min(0.5, vals.min() * 0.8), vals.max() * 3)
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.set_xlabel(xlabel)
        ax.set_title(title, fontsize=15)
        ax.grid(axis="y", visible=False)
        fig.tight_layout()
    return fig


def matrix_traffic_figure(dims: Sequence[int], matrix_reads: Sequence[float], fast_reads: Sequence[float]):
    """Bytes read per byte of ``x`` as the head dim grows: dense matrix form vs ``apply_rope``."""
    dims = [check_even_dim(d, "dims entry") for d in dims]
    if len(matrix_reads) != len(dims) or len(fast_reads) != len(dims):
        raise ValueError(f"need one value per dim ({len(dims)}); got {len(matrix_reads)} and {len(fast_reads)}")
    fig = new_figure(8.5, 5.4)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        ax.loglog(dims, matrix_reads, "o-", color=PALETTE["vermillion"], lw=2, label="rope_matrix (dense R)")
        ax.loglog(dims, fast_reads, "s-", color=PALETTE["green"], lw=2, label="apply_rope")
        ax.set_xticks(dims)
        ax.set_xticklabels([str(d) for d in dims])
        ax.minorticks_off()
        ax.set_xlabel("head dimension d")
        ax.set_ylabel("bytes read per byte of x")
        ax.set_title("Counted: the dense matrix reads a (d, d) table per token", fontsize=15)
        ax.legend(loc="upper left", frameon=True, framealpha=0.9)
        fig.tight_layout()
    return fig
