"""Figures of notebook 06 (Meta's LLaMA code).

* :func:`kv_cache_figure`: which keys each query sees while a prompt is processed and new
  tokens are decoded one at a time with a KV cache, and which rows of the rotary table
  each forward call uses.

It is drawn from the pure *state* function :func:`kv_cache_state`, so tests check the
numbers directly.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle

from .._validate import check_int
from ..common.figures import GREY, K_COLOR, Q_COLOR, new_figure, style

__all__ = ["kv_cache_state", "kv_cache_figure"]

# cell kinds of the KV-cache grid
HIDDEN, CACHED, NEW, MASKED = 0, 1, 2, 3


def kv_cache_state(prompt_len: int = 4, n_new: int = 3) -> dict[str, Any]:
    """The KV-cache schedule: one forward call for the prompt, then one per new token.

    Returns ``grid``, an int array ``(prompt_len + n_new, prompt_len + n_new)``: row ``i`` is
    the query at position ``i``, column ``j`` the key at position ``j``; ``CACHED`` (1) = key
    read from the cache (written by an earlier call), ``NEW`` (2) = key computed in the same
    call and visible, ``MASKED`` (3) = key computed in the same call but in the query's future
    (causal mask), ``HIDDEN`` (0) = not computed yet. ``calls`` lists, per forward call,
    ``start_pos``, ``seqlen`` and the table rows ``(start_pos, start_pos + seqlen)`` it rotates with.
    """
    prompt_len = check_int(prompt_len, "prompt_len", minimum=1)
    n_new = check_int(n_new, "n_new", minimum=0)
    total = prompt_len + n_new
    calls = [{"start_pos": 0, "seqlen": prompt_len}]
    calls += [{"start_pos": p, "seqlen": 1} for p in range(prompt_len, total)]
    grid = np.full((total, total), HIDDEN, dtype=int)
    row_call = np.zeros(total, dtype=int)
    for c, call in enumerate(calls):
        start, end = call["start_pos"], call["start_pos"] + call["seqlen"]
        call["rows"] = (start, end)
        for i in range(start, end):
            row_call[i] = c
            grid[i, :start] = CACHED
            for j in range(start, end):
                grid[i, j] = NEW if j <= i else MASKED
    return {"prompt_len": prompt_len, "n_new": n_new, "total": total, "grid": grid,
            "calls": calls, "row_call": row_call}


def kv_cache_figure(prompt_len: int = 4, n_new: int = 3):
    """Picture of :func:`kv_cache_state`: queries (rows) against keys (columns), one band per call."""
    state = kv_cache_state(prompt_len, n_new)
    total, grid = state["total"], state["grid"]
    colors = ["#ffffff", "#f6c7a6", K_COLOR, "#e0e0e0"]
    fig = new_figure(11.5, 0.62 * total + 2.6)
    with style():
        ax = fig.add_axes([0.13, 0.17, 0.5, 0.7])
        ax.imshow(grid, cmap=ListedColormap(colors), vmin=-0.5, vmax=3.5, aspect="equal")
        ax.set_xticks(range(total))
        ax.set_yticks(range(total))
        ax.set_yticklabels([f"q at {i}" for i in range(total)])
        ax.set_xlabel("key position (KV cache slot)")
        ax.grid(False)
        for k in range(total + 1):
            ax.axvline(k - 0.5, color="white", lw=1.5)
            ax.axhline(k - 0.5, color="white", lw=1.5)
        for tick in ax.get_yticklabels():
            tick.set_color(Q_COLOR)
        for c, call in enumerate(state["calls"]):
            a, b = call["rows"]
            ax.add_patch(Rectangle((-0.5, a - 0.5), total, b - a, fill=False, ec=GREY, lw=2.5))
            label = (f"call {c + 1}: start_pos={call['start_pos']}, S={call['seqlen']}\n"
                     f"rotates with freqs_cis[{a}:{b}]")
            ax.annotate(label, xy=(total - 0.4, (a + b - 1) / 2), xytext=(total + 0.2, (a + b - 1) / 2),
                        va="center", fontsize=12, annotation_clip=False)
        ax.set_title("KV cache: each call rotates only its new tokens;\nolder keys are read back already rotated",
                     loc="left")
        handles = [Patch(fc=colors[CACHED], label="key read from cache"),
                   Patch(fc=colors[NEW], label="key computed in this call"),
                   Patch(fc=colors[MASKED], label="masked (future)"),
                   Patch(fc=colors[HIDDEN], ec=GREY, label="not computed yet")]
        fig.legend(handles=handles, loc="lower left", ncol=4, frameon=False, fontsize=12,
                   bbox_to_anchor=(0.02, 0.0))
    return fig
