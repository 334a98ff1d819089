"""Figures of notebook 02: the sinusoidal position encoding (正弦位置编码) of "Attention Is All You Need".

* :func:`pe_heatmap`: the table ``PE[pos, dim]`` as an image;
* :func:`pe_columns`: a few sine columns as curves over the position;
* :func:`period_figure`: the period ``T_i = 2*pi*base^(2i/d)`` of every pair on a log scale,
  next to the period measured from the encoding itself (:func:`measured_periods`);
* :func:`binary_analogy_figure`: binary digits of 0..15 beside sinusoids whose signs are
  those digits, and the real encoding for ``d = 8`` (a "decimal" counter);
* :func:`shift_figure`: the shift property ``PE[pos + k] = M(k) PE[pos]``: the matrix ``M(k)``
  (:func:`ropelab.lesson02_positional_encoding.shift.shift_matrix`) and, pair by pair, the same
  turn by ``k * theta_i`` from every starting position;
* :func:`extrapolation_figure`: how positions beyond a trained length compare with the
  trained ones (:func:`nearest_trained_similarity`, :func:`circle_coverage`).

The numeric helpers are pure functions of tensors, so tests check them directly.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .._validate import check_base, check_even_dim, check_int, check_tensor
from ..common.figures import GREY, PALETTE, new_figure, style
from ..rope import DEFAULT_BASE, angles, inv_freq, sinusoidal_pe, wavelengths
from .shift import shift_matrix

__all__ = [
    "pe_heatmap", "pe_columns", "measured_periods", "period_figure", "binary_digits",
    "binary_sinusoids", "binary_analogy_figure", "nearest_trained_similarity", "circle_coverage",
    "extrapolation_figure", "shift_figure",
]

CMAP = "RdBu_r"        # diverging: -1 blue, 0 white, +1 red
_LINE_COLORS = [PALETTE[c] for c in ("blue", "vermillion", "green", "purple", "orange", "sky")]


# ---------------------------------------------------------------------------
# numbers behind the figures
# ---------------------------------------------------------------------------

def measured_periods(pe) -> torch.Tensor:
    """Measure the period of every sine column ``PE[:, 2i]`` from its values: float64 ``(dim // 2,)``.

    ``pe: (num_positions, dim)`` holds positions ``0, 1, 2, ...``. A sine column starts at
    0 going up; each later upward zero crossing (located by linear interpolation between
    neighbouring positions) ends one full period, so the period is the last crossing
    divided by the number of crossings. Columns with no full period inside the table
    give ``nan``: make the table longer than the slowest period.
    """
    pe = check_tensor(pe, "pe", ndim=2, shape_hint="(num_positions, dim)")
    check_even_dim(pe.shape[1], "pe.shape[1] (dim)")
    s = pe[:, 0::2].double()                      # (num_positions, dim // 2)
    a, b = s[:-1], s[1:]
    up = (a < 0) & (b >= 0)                       # an upward crossing between n and n + 1
    frac = torch.where(up, -a / (b - a), torch.zeros_like(a))
    pos = torch.arange(s.shape[0] - 1, dtype=torch.float64)[:, None] + frac
    count = up.sum(0)
    last = torch.where(up, pos, torch.full_like(pos, -1.0)).max(0).values
    periods = last / count.clamp(min=1)
    return torch.where(count > 0, periods, torch.full_like(periods, float("nan")))


def binary_digits(n: int = 16, bits: int = 4) -> torch.Tensor:
    """Binary digits of ``0 .. n-1``: int64 ``(n, bits)``, column ``k`` is the digit of ``2^k``.

    Column 0 (least significant) flips every step, column ``k`` every ``2^k`` steps: the
    digit of ``2^k`` is periodic with period ``2^(k+1)``.
    """
    n = check_int(n, "n", minimum=1)
    bits = check_int(bits, "bits", minimum=1)
    pos = torch.arange(n)
    return (pos[:, None] >> torch.arange(bits)) & 1


def binary_sinusoids(n: int = 16, bits: int = 4) -> torch.Tensor:
    """Sinusoids with the periods of the binary digits: float64 ``(n, bits)``.

    Column ``k`` is ``-sin(pi * (pos + 1/2) / 2^k)``, period ``2^(k+1)``; its sign is
    ``+`` exactly where the digit of ``2^k`` is 1 (compare :func:`binary_digits`).
    """
    n = check_int(n, "n", minimum=1)
    bits = check_int(bits, "bits", minimum=1)
    pos = torch.arange(n, dtype=torch.float64)[:, None] + 0.5
    return -torch.sin(math.pi * pos / 2.0 ** torch.arange(bits, dtype=torch.float64))


def nearest_trained_similarity(trained: int, total: int, dim: int, base: float = DEFAULT_BASE) -> torch.Tensor:
    """For every position ``p < total``: the highest cosine similarity between ``PE[p]`` and any
    trained ``PE[n]``, ``n < trained``. float64 ``(total,)``.

    It is 1 inside the trained range (``p`` itself is there). Every row has the same length and
    ``PE[m] . PE[n]`` depends on ``m - n`` only, so beyond the range it is a function of the
    distance ``p - (trained - 1)`` to the nearest trained position alone: the largest
    :func:`ropelab.lesson02_positional_encoding.shift.pe_similarity_by_distance` over the
    distances from ``p`` to the trained positions.
    """
    trained = check_int(trained, "trained", minimum=1)
    total = check_int(total, "total", minimum=trained)
    pe = sinusoidal_pe(total, dim, base).double()
    unit = pe / pe.norm(dim=-1, keepdim=True)
    return (unit @ unit[:trained].T).max(dim=1).values


def circle_coverage(trained: int, dim: int, base: float = DEFAULT_BASE) -> torch.Tensor:
    """Fraction of each pair's circle that positions ``0 .. trained-1`` visit: float64 ``(dim // 2,)``.

    Pair ``i`` turns by ``theta_i`` per position, so it sweeps ``(trained - 1) * theta_i``
    radians: the whole circle for fast pairs, a small arc for slow ones. Beyond the trained
    length the slow pairs reach angles the model never saw.
    """
    trained = check_int(trained, "trained", minimum=1)
    sweep = (trained - 1) * 2 * math.pi / wavelengths(dim, base)
    return (sweep / (2 * math.pi)).clamp(max=1.0)


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def pe_heatmap(num_positions: int = 100, dim: int = 64, base: float = DEFAULT_BASE):
    """The encoding ``PE[pos, j]`` as an image: position down, dimension across."""
    num_positions = check_int(num_positions, "num_positions", minimum=1)
    pe = sinusoidal_pe(num_positions, dim, base)
    fig = new_figure(10, 6)
    with style():
        ax = fig.add_subplot()
        im = ax.imshow(pe.numpy(), cmap=CMAP, vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
        ax.set_xlabel("dimension j   (pair i = j // 2: sin at even j, cos at odd j)")
        ax.set_ylabel("position pos")
        ax.set_title("Sinusoidal encoding: left columns oscillate fast, right columns slowly")
        ax.grid(False)
        cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        cb.set_label("PE[pos, j]")
        fig.tight_layout()
    return fig


def pe_columns(pairs=(0, 1, 3, 8), num_positions: int = 64, dim: int = 64, base: float = DEFAULT_BASE):
    """The sine columns ``PE[:, 2i]`` of a few pairs ``i`` as curves over the position.

    Dots are the table's values at integer positions; the thin line is ``sin(pos * theta_i)``
    for fractional positions, and the arrow marks one period ``T_i``.
    """
    dim = check_even_dim(dim, "dim")
    num_positions = check_int(num_positions, "num_positions", minimum=2)
    pairs = [check_int(i, "pairs[...]", minimum=0) for i in pairs]
    for i in pairs:
        if i >= dim // 2:
            raise ValueError(f"pairs must lie in 0 .. dim // 2 - 1 = {dim // 2 - 1}; got {i}")
    pe = sinusoidal_pe(num_positions, dim, base)
    fine = torch.linspace(0, num_positions - 1, 20 * num_positions)
    smooth = torch.sin(angles(fine, dim, base))
    T = wavelengths(dim, base)
    fig = new_figure(10, 1.9 * len(pairs) + 0.9)
    with style():
        axes = fig.subplots(len(pairs), 1, sharex=True, squeeze=False)[:, 0]
        for ax, i, color in zip(axes, pairs, _LINE_COLORS):
            ax.plot(fine.numpy(), smooth[:, i].numpy(), color=color, lw=1.2, alpha=0.7)
            ax.plot(np.arange(num_positions), pe[:, 2 * i].numpy(), "o", color=color, ms=4)
            ax.set_ylim(-1.25, 2.0)
            ax.set_yticks([-1, 0, 1])
            ax.set_ylabel(f"PE[:, {2 * i}]")
            Ti = float(T[i])
            label = f"pair i = {i}:  T = {Ti:.1f}"
            if Ti < num_positions:
                ax.annotate("", xy=(Ti, 1.3), xytext=(0, 1.3),
                            arrowprops=dict(arrowstyle="<->", color="black", lw=1.3))
                label += "  (arrow: one period)"
            else:
                label += "  (longer than this plot)"
            ax.text(0.995, 0.98, label, transform=ax.transAxes, ha="right", va="top", fontsize=12,
                    bbox=dict(fc="white", ec="none", alpha=0.85, pad=1.5))
        axes[-1].set_xlabel("position pos")
        axes[0].set_title(r"Column $2i$ is $\sin(pos\,/\,%g^{2i/d})$, $d = %d$: each pair has its own period"
                          % (base, dim))
        fig.tight_layout()
    return fig


def period_figure(dim: int = 64, base: float = DEFAULT_BASE):
    """``T_i = 2*pi*base^(2i/d)`` against ``i`` on a log scale, with the periods measured from the table.

    The table has ``ceil(max T_i) + 2`` rows, so every column completes at least one period.
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base, "base")
    i = np.arange(dim // 2)
    formula = 2 * math.pi * base ** (2 * i / dim)
    rows = int(math.ceil(formula.max())) + 2
    measured = measured_periods(sinusoidal_pe(rows, dim, base)).numpy()
    fig = new_figure(10, 5.8)
    with style():
        ax = fig.add_subplot()
        ax.semilogy(i, formula, "-", color=PALETTE["blue"], lw=2.5,
                    label=r"formula $T_i = 2\pi \cdot %g^{2i/d}$" % base)
        ax.semilogy(i, measured, "o", color=PALETTE["vermillion"], ms=8, mfc="none", mew=2,
                    label="measured from the table (zero crossings)")
        for y, text in ((2 * math.pi, r"$2\pi$"), (2 * math.pi * base, r"$2\pi \cdot %g$" % base)):
            ax.axhline(y, color=GREY, ls="--", lw=1)
            ax.text(i[-1], y * 1.25, text, ha="right", va="bottom", color=GREY, fontsize=13)
        ax.set_ylim(2, 2 * math.pi * base * 4)
        ax.set_xlabel(f"pair index i   (dimensions 2i, 2i+1; d = {dim})")
        ax.set_ylabel("period T_i (positions, log scale)")
        ax.set_title("Periods grow geometrically with i: a straight line on a log scale")
        ax.legend(loc="upper left")
        fig.tight_layout()
    return fig


def binary_analogy_figure(n: int = 16):
    """Three tables over positions ``0 .. n-1``: binary digits, sinusoids with those signs,
    and the sinusoidal encoding for ``d = 8`` (base 10000 makes its periods grow ten-fold per pair)."""
    n = check_int(n, "n", minimum=2)
    bits = max(1, math.ceil(math.log2(n)))
    digits = binary_digits(n, bits).numpy()
    waves = binary_sinusoids(n, bits).numpy()
    pe8 = sinusoidal_pe(n, 8)[:, 0::2].numpy()          # the four sine columns
    T8 = wavelengths(8).numpy()
    fig = new_figure(13, 6.6)
    with style():
        axes = fig.subplots(1, 3)
        panels = [
            (digits, "binary digits of pos", [f"$2^{k}$\nT={2 ** (k + 1)}" for k in range(bits)], "Greys", 0, 1.6),
            (waves, r"$-\sin(\pi\,(pos+\frac{1}{2})\,/\,2^k)$", [f"k={k}\nT={2 ** (k + 1)}" for k in range(bits)],
             CMAP, -1, 1),
            (pe8, "sinusoidal PE, d = 8 (sin columns)", [f"i={k}\nT={T8[k]:.0f}" for k in range(4)], CMAP, -1, 1),
        ]
        for ax, (data, title, labels, cmap, lo, hi) in zip(axes, panels):
            ax.imshow(data, cmap=cmap, vmin=lo, vmax=hi, aspect="auto", interpolation="nearest")
            ax.set_title(title, fontsize=14)
            ax.set_xticks(range(data.shape[1]))
            ax.set_xticklabels(labels, fontsize=11)
            ax.set_yticks(range(n))
            ax.set_yticklabels([str(p) for p in range(n)], fontsize=10)
            ax.grid(False)
            ax.tick_params(length=0)
        axes[0].set_ylabel("position pos")
        for p in range(n):
            for k in range(bits):
                axes[0].text(k, p, str(digits[p, k]), ha="center", va="center", fontsize=12,
                             color="white" if digits[p, k] else "black")
                axes[1].text(k, p, "+" if waves[p, k] > 0 else "−", ha="center", va="center", fontsize=12)
            for k in range(pe8.shape[1]):
                v = pe8[p, k]
                axes[2].text(k, p, f"{v:.3f}", ha="center",
                             va="center", fontsize=10, color="white" if abs(v) > 0.6 else "black")
        fig.suptitle("Fast and slow periodic 'digits' together name each position", fontsize=16)
        fig.tight_layout()
    return fig


def extrapolation_figure(trained: int = 128, total: int = 1024, dim: int = 64, base: float = DEFAULT_BASE):
    """Left: the best cosine similarity of each position's encoding to a trained one (a function of the
    distance to the trained range only). Right: the fraction of each pair's circle the trained positions
    visit (the slow pairs' unseen angles are what is really new beyond the trained length)."""
    dim = check_even_dim(dim, "dim")
    best = nearest_trained_similarity(trained, total, dim, base).numpy()
    cover = circle_coverage(trained, dim, base).numpy()
    fig = new_figure(13, 5.4)
    with style():
        ax, bx = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1.35, 1]))
        ax.axvspan(0, trained - 1, color=PALETTE["green"], alpha=0.15, lw=0)
        ax.text(trained / 2, 0.06, "trained\npositions", ha="center", va="bottom", fontsize=12,
                color=PALETTE["green"])
        ax.plot(np.arange(total), best, color=PALETTE["blue"], lw=1.6)
        ax.set_ylim(0, 1.05)
        ax.set_xlim(0, total - 1)
        ax.set_xlabel("position p")
        ax.set_ylabel("max cos-sim to a trained PE")
        ax.set_title(f"Beyond {trained}: similarity falls with the distance to the range", fontsize=15)
        i = np.arange(dim // 2)
        bx.bar(i, cover, color=[PALETTE["green"] if c >= 1 else PALETTE["orange"] for c in cover])
        bx.set_ylim(0, 1.08)
        bx.set_xlabel("pair index i")
        bx.set_ylabel("fraction of the circle seen")
        bx.set_title("What is new: slow pairs saw only an arc", fontsize=15)
        fig.tight_layout()
    return fig


def shift_figure(k: int = 2, dim: int = 16, pairs=(0, 1), starts=(0, 5, 11), num_positions: int = 20,
                 base: float = DEFAULT_BASE):
    """The shift property: ``PE[pos + k] = M(k) PE[pos]`` with one matrix for every ``pos``.

    Left: ``M(k)`` for ``dim`` (block diagonal; its entries contain ``k`` but no ``pos``).
    Then one panel per pair ``i`` in ``pairs``: the points ``(cos, sin)(pos * theta_i)`` of
    positions ``0 .. num_positions-1`` on the unit circle, and an arrow from each ``pos`` in
    ``starts`` to ``pos + k``: every arrow turns by the same angle ``k * theta_i``.
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base, "base")
    k = check_int(k, "k", minimum=1)
    num_positions = check_int(num_positions, "num_positions", minimum=2)
    pairs = [check_int(i, "pairs[...]", minimum=0) for i in pairs]
    starts = [check_int(p, "starts[...]", minimum=0) for p in starts]
    for i in pairs:
        if i >= dim // 2:
            raise ValueError(f"pairs must lie in 0 .. dim // 2 - 1 = {dim // 2 - 1}; got {i}")
    if starts and max(starts) + k >= num_positions:
        raise ValueError(f"every start + k must be < num_positions = {num_positions}; got start "
                         f"{max(starts)} with k = {k}")
    M = shift_matrix(k, dim, base).numpy()
    theta = inv_freq(dim, base, torch.float64).numpy()
    pos = np.arange(num_positions)
    fig = new_figure(5.6 + 5.0 * len(pairs), 5.6)
    with style():
        widths = [1.25] + [1.0] * len(pairs)
        axes = fig.subplots(1, 1 + len(pairs), gridspec_kw=dict(width_ratios=widths))
        ax = axes[0]
        im = ax.imshow(M, cmap=CMAP, vmin=-1, vmax=1, interpolation="nearest")
        ax.set_xlabel("column: dimension of PE[pos]")
        ax.set_ylabel("row: dimension of PE[pos + k]")
        ax.set_title(f"M({k}), d = {dim}: one 2×2 block per pair", fontsize=14)
        ax.set_xticks(range(0, dim, 2))
        ax.set_yticks(range(0, dim, 2))
        ax.grid(False)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03, label="entry")
        circle = np.linspace(0, 2 * math.pi, 200)
        colors = [PALETTE[c] for c in ("blue", "vermillion", "green", "purple")]
        for ax, i in zip(axes[1:], pairs):
            a = pos * theta[i]
            ax.plot(np.cos(circle), np.sin(circle), color=GREY, lw=0.8, ls=":")
            ax.plot(np.cos(a), np.sin(a), "o", color=GREY, ms=4, zorder=2)
            for j, (p, color) in enumerate(zip(starts, colors)):
                r = 1.08 + 0.1 * j                                       # one ring per arrow: no overlaps
                arc = np.linspace(a[p], a[p + k], 40)                   # along the circle, pos -> pos + k
                ax.plot(r * np.cos(arc), r * np.sin(arc), color=color, lw=2.4, zorder=3)
                ax.annotate("", xy=(r * math.cos(arc[-1]), r * math.sin(arc[-1])),
                            xytext=(r * math.cos(arc[-4]), r * math.sin(arc[-4])), zorder=3,
                            arrowprops=dict(arrowstyle="-|>", color=color, lw=2.2, mutation_scale=18,
                                            shrinkA=0, shrinkB=0))
                ax.plot(math.cos(a[p]), math.sin(a[p]), "o", color=color, ms=7, zorder=4)
                for q in (p, p + k):
                    ax.text((r + 0.17) * math.cos(a[q]), (r + 0.17) * math.sin(a[q]), str(q), color=color,
                            ha="center", va="center", fontsize=11)
            ax.set_xlim(-1.6, 1.6)
            ax.set_ylim(-1.6, 1.6)
            ax.set_aspect("equal")
            ax.set_xlabel(rf"PE[pos, {2 * i + 1}] = $\cos(\mathrm{{pos}}\,\theta_{{{i}}})$")
            ax.set_ylabel(rf"PE[pos, {2 * i}] = $\sin(\mathrm{{pos}}\,\theta_{{{i}}})$")
            ax.set_title(rf"pair {i}: +{k} turns by $%d\theta_{{{i}}}$ = {k * theta[i]:.2f} rad" % k,
                         fontsize=13)
        fig.suptitle(f"Shift property: PE[pos + {k}] = M({k}) PE[pos]: one matrix, one turn per pair, "
                     "from every position",
                     fontsize=16)
        fig.tight_layout()
    return fig
