"""Figures of notebook 07 (the Hugging Face / InternLM code).

* :func:`layout_pairs_figure`: which head dimensions rotate together in the interleaved
  (Meta) and in the half (Hugging Face / InternLM) layout, coloured by pair, and the fixed
  permutation between them.

It is drawn from the pure *state* function :func:`layout_pairs_state`, so tests check the
numbers directly.
"""
from __future__ import annotations

from typing import Any

from matplotlib.patches import FancyArrowPatch, Rectangle

from .._validate import check_even_dim
from ..common.figures import GREY, PALETTE, new_figure, style
from ..rope import interleaved_to_half_index

__all__ = ["layout_pairs_state", "layout_pairs_figure"]


def layout_pairs_state(dim: int = 8) -> dict[str, Any]:
    """Which coordinates form pair ``i`` (rotated by ``m * theta_i``) in each layout.

    ``interleaved[i] = (2i, 2i + 1)``; ``half[i] = (i, i + dim/2)``; ``perm`` is
    :func:`ropelab.interleaved_to_half_index` (half slot ``s`` holds interleaved coordinate
    ``perm[s]``); ``pair_of_slot`` gives, per layout, the pair index of each slot, and ``holds``
    which coordinate ``j`` of the interleaved vector ``x`` each slot holds (``x_half = x[..., perm]``:
    the half row reads ``x0 x2 x4 x6 x1 x3 x5 x7`` for ``dim = 8``).
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
        "holds": {
            "interleaved": list(range(dim)),
            "half": interleaved_to_half_index(dim).tolist(),
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
                ax.text(s + 0.45, y + 0.4, f"x{state['holds'][layout][s]}", ha="center", va="center",
                        color="white", fontsize=13, fontweight="bold")
                ax.text(s + 0.45, y + (0.95 if layout == "interleaved" else -0.25),
                        f"pair {p}", ha="center", va="center", fontsize=10, color=cols[p])
        # the permutation: half slot s takes interleaved coordinate perm[s]
        for s, src in enumerate(state["perm"]):
            p = state["pair_of_slot"]["half"][s]
            ax.add_patch(FancyArrowPatch((src + 0.45, rows["interleaved"] - 0.05), (s + 0.45, 0.85),
                                         arrowstyle="-|>", mutation_scale=14, color=cols[p], lw=1.6,
                                         alpha=0.8))
        ax.text(dim + 0.1, -0.75, f"each box: the coordinate x_j it holds;  x_half = x[..., perm],  "
                f"perm = {state['perm']}", ha="right", va="center", fontsize=12, color=GREY)
        ax.text(dim + 0.1, -1.3, "pair i of a token at position m turns by the angle m * theta_i in both",
                ha="right", va="center", fontsize=12, color=GREY)
        fig.suptitle("Same pairs, same angles, different slots:\nthe two layouts differ by a fixed permutation",
                     x=0.02, ha="left", fontsize=16)
    return fig
