"""Figures for the code notebooks (06 LLaMA, 07 InternLM).

* :func:`kv_cache_figure`: which keys each query sees while a prompt is processed and new
  tokens are decoded one at a time with a KV cache, and which rows of the rotary table
  each forward call uses.
* :func:`layout_pairs_figure`: which head dimensions rotate together in the interleaved
  (Meta) and in the half (Hugging Face / InternLM) layout, coloured by pair.

Each is drawn from a pure *state* function, so tests check the numbers directly.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

from .._validate import check_even_dim, check_int
from ..rope import interleaved_to_half_index
from ._style import GREY, K_COLOR, PALETTE, Q_COLOR, new_figure, style

__all__ = ["kv_cache_state", "kv_cache_figure", "layout_pairs_state", "layout_pairs_figure"]

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


def layout_pairs_state(dim: int = 8) -> dict[str, Any]:
    """Which coordinates form pair ``i`` (rotated by ``m * theta_i``) in each layout.

    ``interleaved[i] = (2i, 2i + 1)``; ``half[i] = (i, i + dim/2)``; ``perm`` is
    :func:`ropelab.interleaved_to_half_index` (half slot ``s`` holds interleaved coordinate
    ``perm[s]``); ``pair_of_slot`` gives, per layout, the pair index of each slot.
    """
    dim = check_even_dim(dim, "dim")
    half = dim // 2
    inter = [(2 * i, 2 * i + 1) for i in range(half)]
    halfp = [(i, i + half) for i in range(half)]
    return {
        "dim": dim,
        "interleaved": inter,
        "half": halfp,
        "perm": interleaved_to_half_index(dim).tolist(),
        "pair_of_slot": {
            "interleaved": [s // 2 for s in range(dim)],
            "half": [s % half for s in range(dim)],
        },
    }


def _pair_colors(n: int) -> list[str]:
    order = ["blue", "vermillion", "green", "orange", "sky", "purple", "yellow", "black"]
    return [PALETTE[order[i % len(order)]] for i in range(n)]


def layout_pairs_figure(dim: int = 8):
    """Two rows of head-dimension slots, coloured by the pair they belong to, linked by the permutation."""
    state = layout_pairs_state(dim)
    dim = state["dim"]
    cols = _pair_colors(dim // 2)
    fig = new_figure(max(9.0, 0.95 * dim + 3.0), 5.8)
    with style():
        ax = fig.add_axes([0.02, 0.04, 0.96, 0.78])
        ax.set_xlim(-2.2, dim + 0.2)
        ax.set_ylim(-1.6, 3.5)
        ax.axis("off")
        rows = {"interleaved": 2.4, "half": 0.0}
        names = {"interleaved": "interleaved\n(Meta)", "half": "half\n(HF, InternLM)"}
        for layout, y in rows.items():
            ax.text(-0.25, y + 0.4, names[layout], ha="right", va="center", fontsize=13)
            for s in range(dim):
                p = state["pair_of_slot"][layout][s]
                ax.add_patch(Rectangle((s, y), 0.9, 0.8, fc=cols[p], ec="white", alpha=0.9))
                ax.text(s + 0.45, y + 0.4, f"{s}", ha="center", va="center", color="white",
                        fontsize=13, fontweight="bold")
                ax.text(s + 0.45, y + (0.95 if layout == "interleaved" else -0.25),
                        f"pair {p}", ha="center", va="center", fontsize=10, color=cols[p])
        # the permutation: half slot s takes interleaved coordinate perm[s]
        for s, src in enumerate(state["perm"]):
            p = state["pair_of_slot"]["half"][s]
            ax.add_patch(FancyArrowPatch((src + 0.45, rows["interleaved"] - 0.05), (s + 0.45, 0.85),
                                         arrowstyle="-|>", mutation_scale=14, color=cols[p], lw=1.6,
                                         alpha=0.8))
        ax.text(dim + 0.1, -0.75, f"x_half = x_inter[..., perm],  perm = {state['perm']}", ha="right",
                va="center", fontsize=12, color=GREY)
        ax.text(dim + 0.1, -1.3, "pair i of a token at position m turns by the angle m * theta_i in both",
                ha="right", va="center", fontsize=12, color=GREY)
        fig.suptitle("Same pairs, same angles, different slots:\nthe two layouts differ by a fixed permutation",
                     x=0.02, ha="left", fontsize=16)
    return fig
