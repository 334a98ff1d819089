"""Lesson 05's static figures: the block-diagonal rotation, the frequencies, the angle table,
the long-term decay (远程衰减), and what the dense matrix form costs.

:func:`frequency_figure` draws the frequency explorer's picture with the widget's own model
(:mod:`.widget`), so it shows exactly what :func:`ropelab.widgets.frequency_widget` shows.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from matplotlib.patches import Rectangle

from .._validate import check_base, check_even_dim, check_int, check_real
from ..common.figures import GREY, PALETTE, new_figure, style
from ..rope import DEFAULT_BASE, angles, inv_freq, rotation_matrix
from .decay import decay_bound, mean_abs_score, rope_op_counts
from .widget import FIGSIZE_FREQ, draw_frequency, frequency_state

__all__ = [
    "rotation_matrix_figure",
    "frequencies_figure",
    "angle_table_figure",
    "decay_state",
    "decay_figure",
    "op_count_figure",
    "frequency_figure",
]


# ---------------------------------------------------------------------------
# the block-diagonal rotation
# ---------------------------------------------------------------------------

def rotation_matrix_figure(positions: Sequence[int] = (1, 5), dim: int = 16, base: float = DEFAULT_BASE):
    """``R_{Theta,m}`` (``ropelab.rotation_matrix``) drawn as an image, one panel per position."""
    dim = check_even_dim(dim, "dim")
    positions = [check_real(p, "positions entry") for p in positions]
    if not positions:
        raise ValueError("positions must hold at least one position")
    fig = new_figure(6.0 * len(positions) + 1.2, 5.8)
    with style():
        axes = [fig.add_subplot(1, len(positions), j + 1) for j in range(len(positions))]
        for ax, m in zip(axes, positions):
            R = rotation_matrix(m, dim, base).numpy()
            im = ax.imshow(R, cmap="PuOr_r", vmin=-1, vmax=1, interpolation="nearest")
            for i in range(dim // 2):
                ax.add_patch(Rectangle((2 * i - 0.5, 2 * i - 0.5), 2, 2, fill=False, ec="black", lw=1.2))
            ax.set_title(f"$R_{{\\Theta,m}}$ for m = {m:g}, d = {dim}", fontsize=15)
            ax.set_xlabel("column of R")
            ax.set_ylabel("row of R")
            ax.set_xticks(range(0, dim, 2))
            ax.set_yticks(range(0, dim, 2))
            ax.grid(False)
        fig.colorbar(im, ax=axes, shrink=0.85, label="entry value")
        fig.suptitle(f"Block diagonal: {dim // 2} separate 2×2 rotations, zeros everywhere else",
                     fontsize=16)
    return fig


# ---------------------------------------------------------------------------
# frequencies and the angle table
# ---------------------------------------------------------------------------

def frequencies_figure(dim: int = 128, bases: Sequence[float] = (DEFAULT_BASE,)):
    """``theta_j = base^(-2j/d)`` against the pair index ``j`` on a log scale, with the wavelengths ``2*pi/theta_j``."""
    dim = check_even_dim(dim, "dim")
    fig = new_figure(10.5, 5.2)
    colors = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"], PALETTE["purple"]]
    with style():
        ax = fig.add_subplot(1, 1, 1)
        for j, base in enumerate(bases):
            base = check_base(base, "bases entry")
            th = inv_freq(dim, base).double().numpy()
            ax.semilogy(np.arange(dim // 2), th, "o-", ms=3.5, lw=1.8, color=colors[j % len(colors)],
                        label=f"base = {base:,.0f}")
        ax.set_xlabel("pair index j")
        ax.set_ylabel(r"frequency $\theta_j$ (radians per position)")
        ax.set_title(rf"$\theta_j = \mathrm{{base}}^{{-2j/d}}$, d = {dim}: a straight line on a log scale")
        sec = ax.secondary_yaxis("right", functions=(lambda t: 2 * np.pi / np.clip(t, 1e-12, None),
                                                     lambda w: 2 * np.pi / np.clip(w, 1e-12, None)))
        sec.set_ylabel(r"wavelength $2\pi/\theta_j$ (positions)")
        ax.legend(loc="upper right", frameon=True, framealpha=0.9)
        fig.tight_layout()
    return fig


def angle_table_figure(num_positions: int = 256, dim: int = 128, base: float = DEFAULT_BASE):
    """Heatmap of the angle table ``m * theta_j`` (``ropelab.angles``), wrapped to ``[0, 2*pi)``."""
    num_positions = check_int(num_positions, "num_positions", minimum=1)
    table = angles(torch.arange(num_positions), dim, base).double()
    wrapped = torch.remainder(table, 2 * math.pi).numpy()
    fig = new_figure(11, 5.6)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        im = ax.imshow(wrapped, aspect="auto", cmap="twilight", vmin=0, vmax=2 * np.pi,
                       interpolation="nearest", origin="upper")
        ax.set_xlabel("pair index j (fast → slow)")
        ax.set_ylabel("position m")
        ax.set_title(r"Angle table $m\,\theta_j$ mod $2\pi$: early pairs spin, late pairs barely move")
        ax.grid(False)
        cb = fig.colorbar(im, ax=ax, ticks=[0, np.pi / 2, np.pi, 3 * np.pi / 2, 2 * np.pi])
        cb.ax.set_yticklabels(["0", "π/2", "π", "3π/2", "2π"])
        cb.set_label("angle (radians)")
        fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# long-term decay
# ---------------------------------------------------------------------------

def decay_state(dim: int = 128, base: float = DEFAULT_BASE, max_distance: int = 1024, step: int = 2,
                n_samples: int = 1000, correlations: Sequence[float] = (0.0, 0.5, 1.0),
                seed: int = 0) -> dict[str, Any]:
    """The numbers behind :func:`decay_figure`: the RoFormer bound and measured ``mean |score|``.

    ``distances = 0, step, 2*step, ... <= max_distance``; ``bound`` is
    :func:`ropelab.lesson05_rope_nd.decay.decay_bound`; ``mean_abs[rho]`` is
    :func:`ropelab.lesson05_rope_nd.decay.mean_abs_score` for each correlation ``rho``.
    """
    dim = check_even_dim(dim, "dim")
    max_distance = check_int(max_distance, "max_distance", minimum=1)
    step = check_int(step, "step", minimum=1)
    distances = torch.arange(0, max_distance + 1, step)
    return {
        "dim": dim, "base": check_base(base, "base"),
        "distances": distances.numpy(),
        "bound": decay_bound(distances, dim, base).numpy(),
        "mean_abs": {float(rho): mean_abs_score(distances, dim, n_samples, rho, base, seed).numpy()
                     for rho in correlations},
        "n_samples": n_samples,
    }


def decay_figure(state: Mapping[str, Any]):
    """Left: the RoFormer relative upper bound. Right: the real average ``|score|`` of random q, k."""
    r = state["distances"]
    fig = new_figure(14, 5.4)
    with style():
        ax = fig.add_subplot(1, 2, 1)
        ax.plot(r, state["bound"], color=PALETTE["blue"], lw=1.8)
        ax.set_xlabel("relative distance |m − n|")
        ax.set_ylabel(r"relative upper bound  mean$_j\,|S_j|$")
        ax.set_title(f"RoFormer's upper bound falls with distance (d = {state['dim']})", fontsize=15)
        ax.set_ylim(bottom=0)
        ax2 = fig.add_subplot(1, 2, 2)
        colors = {0.0: GREY, 0.5: PALETTE["orange"], 1.0: PALETTE["green"]}
        labels = {0.0: "q, k independent", 1.0: "k = q (correlation 1)"}
        for rho, curve in state["mean_abs"].items():
            ax2.plot(r, curve, lw=1.8, color=colors.get(rho, PALETTE["purple"]),
                     label=labels.get(rho, f"correlation(q, k) = {rho:g}"))
        ax2.set_xlabel("relative distance |m − n|")
        ax2.set_ylabel(r"average $|q^\top R_{n-m}\, k|$")
        ax2.set_title(f"Measured over {state['n_samples']} random pairs: decay needs q ≈ k", fontsize=15)
        ax2.set_ylim(bottom=0)
        ax2.legend(loc="upper right", frameon=True, framealpha=0.9)
        fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# the cost of the dense form
# ---------------------------------------------------------------------------

def op_count_figure(dims: Sequence[int] = (16, 32, 64, 128, 256, 512), rows: Sequence[Mapping[str, Any]] = ()):
    """Arithmetic per vector, dense vs elementwise (log-log); measured ms next to it if ``rows`` given.

    ``rows`` is what :func:`ropelab.lesson05_rope_nd.decay.measure_rope_cost` returns.
    """
    dims = [check_even_dim(d, "dims entry") for d in dims]
    dense = [rope_op_counts(d)["dense"]["total"] for d in dims]
    elem = [rope_op_counts(d)["elementwise"]["total"] for d in dims]
    ncols = 2 if rows else 1
    fig = new_figure(7.0 * ncols, 5.2)
    with style():
        ax = fig.add_subplot(1, ncols, 1)
        ax.loglog(dims, dense, "o-", color=PALETTE["vermillion"], lw=2, label=r"dense $R x$: $2d^2 - d$")
        ax.loglog(dims, elem, "s-", color=PALETTE["green"], lw=2, label=r"elementwise: $3.5\,d$")
        ax.set_xticks(dims)
        ax.set_xticklabels([str(d) for d in dims])
        ax.minorticks_off()
        ax.set_xlabel("head dimension d")
        ax.set_ylabel("arithmetic operations per vector")
        ax.set_title("Counted: the dense form grows like d²", fontsize=15)
        ax.legend(loc="upper left", frameon=True, framealpha=0.9)
        if rows:
            ax2 = fig.add_subplot(1, ncols, 2)
            d_ = [row["dim"] for row in rows]
            ax2.loglog(d_, [row["dense_ms"] for row in rows], "o-", color=PALETTE["vermillion"], lw=2,
                       label="dense, full call (rope_matrix)")
            ax2.loglog(d_, [row["elementwise_ms"] for row in rows], "s-", color=PALETTE["green"], lw=2,
                       label="elementwise, full call (rope_interleaved)")
            if "dense_apply_ms" in rows[0]:
                ax2.loglog(d_, [row["dense_apply_ms"] for row in rows], "o--", color=PALETTE["vermillion"],
                           lw=1.5, alpha=0.7, label="dense, tables prebuilt")
                ax2.loglog(d_, [row["elementwise_apply_ms"] for row in rows], "s--", color=PALETTE["green"],
                           lw=1.5, alpha=0.7, label="elementwise, tables prebuilt")
            ax2.set_xticks(d_)
            ax2.set_xticklabels([str(d) for d in d_])
            ax2.minorticks_off()
            ax2.set_xlabel("head dimension d")
            ax2.set_ylabel("milliseconds (median)")
            ax2.set_title("Measured on this machine (noisy)", fontsize=15)
            ax2.legend(loc="upper left", fontsize=10.5, frameon=True, framealpha=0.9)
        fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# the frequency explorer as a plain figure
# ---------------------------------------------------------------------------

def frequency_figure(base: float = DEFAULT_BASE, dim: int = 128):
    """The frequency explorer as a plain figure: what :func:`ropelab.widgets.frequency_widget` shows
    at these values."""
    state = frequency_state(base, dim)
    fig = new_figure(*FIGSIZE_FREQ)
    with style():
        draw_frequency(fig, state)
    return fig
