"""Figures for notebook 11: accuracy against evaluation length, and one head's attention map.

Each function returns a finished figure in the lab's style (:mod:`ropelab.common.figures`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..common.figures import GREY, PALETTE, new_figure, style
from .lengthgen import VARIANTS

__all__ = ["accuracy_figure", "attention_figure", "VARIANT_COLORS"]

VARIANT_COLORS = {
    "nope": GREY,
    "learned": PALETTE["orange"],
    "sinusoidal": PALETTE["purple"],
    "alibi": PALETTE["green"],
    "rope": PALETTE["blue"],
    "rope_small": PALETTE["sky"],
    "rope_pi": PALETTE["black"],
    "rope + linear": PALETTE["vermillion"],
    "rope + ntk": PALETTE["yellow"],
    "rope + dynamic": PALETTE["orange"],
    "rope + yarn": PALETTE["vermillion"],
}
_DASHED = {"rope + linear": ":", "rope + ntk": "--", "rope + dynamic": "-.", "rope + yarn": "--"}


def accuracy_figure(results: dict, labels: Sequence[str] | None = None, *, title: str | None = None):
    """Accuracy (%) against evaluation length (log 2 axis): mean over seeds, the band min..max.

    ``results`` is :func:`ropelab.lengthgen.load_results`'s dict; ``labels`` its rows to draw
    (default: the seven variants without extension methods).
    """
    rows = results["rows"]
    labels = list(labels) if labels is not None else [v for v in VARIANTS if v in rows]
    unknown = [k for k in labels if k not in rows]
    if unknown:
        raise ValueError(f"unknown rows {unknown}; results.json has {', '.join(rows)}")
    lengths = results["lengths"]
    L = results["train_length"]
    fig = new_figure(9.5, 5.0)
    with style():
        ax = fig.add_subplot()
        for label in labels:
            acc = np.array([rows[label]["accuracy"][str(n)] for n in lengths]) * 100  # (lengths, seeds)
            color = VARIANT_COLORS.get(label, PALETTE["black"])
            ax.plot(lengths, acc.mean(1), marker="o", color=color, ls=_DASHED.get(label, "-"), label=label)
            ax.fill_between(lengths, acc.min(1), acc.max(1), color=color, alpha=0.15, lw=0)
        ax.axvline(L, color=GREY, lw=1)
        ax.text(L, 103, " trained length L", color=GREY, fontsize=11, va="bottom")
        ax.set_xscale("log", base=2)
        ax.set_xticks(lengths, [f"{n // L}L = {n}" if n != L else f"L = {n}" for n in lengths])
        ax.set_ylim(-3, 110)
        ax.set_xlabel("evaluation length (tokens)")
        ax.set_ylabel("copy accuracy (%)")
        ax.set_title(title or f"induction copy, mean of {len(results['seeds'])} seeds (band: min to max)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
        fig.tight_layout()
    return fig


def attention_figure(maps: Sequence[tuple[str, torch.Tensor]], train_length: int, *, title: str = ""):
    """One panel per ``(caption, weights)``: a head's attention ``(seq, seq)``, the trained length marked."""
    fig = new_figure(4.2 * len(maps), 4.4)
    with style():
        axes = fig.subplots(1, len(maps), squeeze=False)[0]
        for ax, (caption, w) in zip(axes, maps):
            w = w.detach().float().numpy()
            ax.imshow(w ** 0.5, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")  # sqrt: faint weights show
            if w.shape[0] > train_length:
                ax.axhline(train_length - 0.5, color=PALETTE["vermillion"], lw=1)
                ax.axvline(train_length - 0.5, color=PALETTE["vermillion"], lw=1)
            ax.set_title(caption, fontsize=12)
            ax.set_xlabel("key position")
            ax.grid(False)
        axes[0].set_ylabel("query position")
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig
