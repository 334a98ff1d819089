"""Lesson 04's static figures: the two-token picture, and additive PE vs RoPE as positions move.

The two-token picture is drawn by the widget's own model (:mod:`.widget`), so
:func:`rope2d_figure` shows exactly what :func:`rope2d_widget` shows at the same values.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..common.figures import PALETTE, new_figure, style
from .widget import DEFAULT_K, DEFAULT_Q, FIGSIZE_2D, draw_rope2d, rope2d_state

__all__ = [
    "rope2d_figure",
    "additive_vs_rotary_figure",
    "score_tables_figure",
]


def rope2d_figure(m: int = 3, n: int = 1, theta_deg: float = 30.0,
                  q: Sequence[float] = DEFAULT_Q, k: Sequence[float] = DEFAULT_K):
    """The two-token picture as a plain figure: what :func:`ropelab.widgets.rope2d_widget` shows
    at these values."""
    state = rope2d_state(m, n, theta_deg, q, k)
    fig = new_figure(*FIGSIZE_2D)
    with style():
        draw_rope2d(fig, state)
    return fig


def additive_vs_rotary_figure(scores: Mapping[str, Any]):
    """Score of one token pair as both positions move together: additive PE wanders, RoPE stays flat.

    ``scores`` is what :func:`ropelab.lesson04_rope_2d.scores.additive_vs_rotary` returns.
    """
    shifts = np.asarray(scores["shifts"])
    fig = new_figure(10, 4.8)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(shifts, scores["additive"].numpy(), "o-", color=PALETTE["orange"], lw=2, ms=5,
                label="sinusoidal PE added to x, then projected")
        ax.plot(shifts, scores["rotary"].numpy(), "s-", color=PALETTE["green"], lw=2, ms=5,
                label="RoPE: project, then rotate q and k")
        ax.set_xlabel(f"shift s: positions (m + s, n + s), m − n = {scores['m'] - scores['n']} fixed")
        ax.set_ylabel("attention score q·k")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Adding positions: the score depends on where the pair is. Rotating: it does not")
        ax.legend(loc="best", frameon=True, framealpha=0.9)
        fig.tight_layout()
    return fig


def score_tables_figure(tables: Mapping[str, Any]):
    """Heatmaps of the score of one token pair at every (m, n): additive PE vs RoPE.

    ``tables`` is what :func:`ropelab.lesson04_rope_2d.scores.score_tables` returns. In the RoPE panel each
    diagonal ``m - n = const`` has a single colour.
    """
    fig = new_figure(12, 5.6)
    with style():
        panels = (("additive", "sinusoidal PE added: diagonals vary"),
                  ("rotary", "RoPE: each diagonal m − n has one colour"))
        for j, (key, title) in enumerate(panels):
            ax = fig.add_subplot(1, 2, j + 1)
            t = tables[key].detach().double().numpy()
            lim = float(np.abs(t).max()) or 1.0
            im = ax.imshow(t, cmap="PuOr_r", vmin=-lim, vmax=lim, origin="upper", interpolation="nearest")
            ax.set_xlabel("key position n")
            ax.set_ylabel("query position m")
            ax.set_title(title, fontsize=14)
            ax.grid(False)
            fig.colorbar(im, ax=ax, shrink=0.82, label="score q·k")
        fig.tight_layout()
    return fig
