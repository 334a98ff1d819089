"""Figures for notebook 09: 2-D axial RoPE on a grid of image patches, and ``same_content`` to feed them."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .._validate import check_base, check_int
from ..common.figures import GREY, PALETTE, Q_COLOR, new_figure, style
from .vision import (
    VISION_BASE,
    additive_part,
    axial_angles,
    axial_relative_score,
    mixed_fit,
    patch_grid,
    score_map,
)

__all__ = ["axial_table_figure", "score_maps_figure", "translation_figure", "same_content", "projected_content",
           "diagonal_state", "diagonal_limit_figure"]

_MODE_TITLES = {
    "none": "no rotation",
    "flat": "1-D RoPE on the raster order",
    "axial": "2-D axial RoPE",
}


def same_content(rows: int, cols: int, dim: int, seed: int = 0) -> torch.Tensor:
    """The same random feature vector at every patch: float32 ``(rows * cols, dim)``.

    With identical content, any pattern in a score map comes from the positions alone.
    """
    rows = check_int(rows, "rows", minimum=1)
    cols = check_int(cols, "cols", minimum=1)
    dim = check_int(dim, "dim", minimum=1)
    v = torch.randn(dim, generator=torch.Generator().manual_seed(check_int(seed, "seed", minimum=0)))
    return v.expand(rows * cols, dim).clone()


def projected_content(rows: int, cols: int, dim: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The same content at every patch, projected by two different matrices: ``(q, k)``, each ``(rows * cols, dim)``.

    ``x`` is :func:`same_content`'s vector; ``q = W_q x`` and ``k = W_k x`` with ``W_q != W_k``
    (seeded Gaussian, scaled by ``1 / sqrt(dim)`` so ``|q|`` and ``|k|`` are about ``|x|``). The positions
    are still the only thing that differs between patches, but ``q`` and ``k`` are no longer parallel.
    """
    x = same_content(rows, cols, dim, seed)[0]
    gen = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0) + 1)
    w_q = torch.randn(dim, dim, generator=gen) / dim ** 0.5
    w_k = torch.randn(dim, dim, generator=gen) / dim ** 0.5
    n = rows * cols
    return (w_q @ x).expand(n, dim).clone(), (w_k @ x).expand(n, dim).clone()


def _mark(ax, r: int, c: int) -> None:
    ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec=Q_COLOR, lw=3))
    ax.plot([c], [r], marker="*", color="white", ms=16, mec=Q_COLOR, mew=1.5)


def axial_table_figure(rows: int = 3, cols: int = 4, dim: int = 16, base: float = VISION_BASE):
    """Left: patches numbered in raster order with their (row, col). Right: the axial angle table."""
    grid = patch_grid(rows, cols)
    table = axial_angles(grid, dim, base).numpy()
    n, half = table.shape
    fig = new_figure(14.0, 5.6)
    with style():
        ax1 = fig.add_axes((0.04, 0.12, 0.3, 0.74))
        ax2 = fig.add_axes((0.43, 0.12, 0.5, 0.74))
        cax = fig.add_axes((0.945, 0.12, 0.012, 0.74))
        ax1.imshow(np.zeros((rows, cols)), cmap="Greys", vmin=0, vmax=1)
        for t, (r, c) in enumerate(grid.tolist()):
            ax1.text(c, r, f"token {t}\n({r}, {c})", ha="center", va="center", fontsize=12)
        ax1.set_xticks(range(cols))
        ax1.set_yticks(range(rows))
        ax1.set_xticks(np.arange(-0.5, cols), minor=True)
        ax1.set_yticks(np.arange(-0.5, rows), minor=True)
        ax1.grid(which="minor", color=GREY, lw=1.5)
        ax1.grid(which="major", visible=False)
        ax1.set_xlabel("column")
        ax1.set_ylabel("row")
        ax1.set_title("Patches in raster order")
        im = ax2.imshow(table, aspect="auto", cmap="viridis")
        ax2.axvline(half / 2 - 0.5, color="white", lw=3)
        ax2.text(half / 4 - 0.5, -0.7, "pairs turned by the row", ha="center", fontsize=13)
        ax2.text(3 * half / 4 - 0.5, -0.7, "pairs turned by the column", ha="center", fontsize=13)
        ax2.set_yticks(range(n))
        ax2.set_yticklabels([f"{t} ({r},{c})" for t, (r, c) in enumerate(grid.tolist())], fontsize=10)
        ax2.set_xticks(range(half))
        ax2.set_xlabel("pair index")
        ax2.set_ylabel("token (row, col)")
        ax2.set_title(f"Axial angle table: {n} tokens × {half} pairs, base {base:g}", pad=28)
        ax2.grid(False)
        fig.colorbar(im, cax=cax, label="angle (rad)")
    return fig


def score_maps_figure(rows: int = 14, cols: int = 14, dim: int = 64, query: Sequence[int] = (4, 6),
                      base: float = VISION_BASE, modes: Sequence[str] = ("none", "flat", "axial"), seed: int = 0):
    """Score of one patch's query against every key, one panel per encoding, on one colour scale.

    Top row: the same content at every patch with ``q = k`` (``W_q = W_k``). Bottom row: the same content,
    but ``q = W_q x`` and ``k = W_k x`` with ``W_q != W_k`` (:func:`projected_content`). A circle marks
    each map's largest score; the star marks the query's own patch.
    """
    qr, qc = (check_int(query[0], "query[0]", minimum=0), check_int(query[1], "query[1]", minimum=0))
    if qr >= rows or qc >= cols:
        raise ValueError(f"query must be a (row, col) inside the {rows} x {cols} grid; got {tuple(query)}")
    base = check_base(base, "base")
    feats = same_content(rows, cols, dim, seed)
    q2, k2 = projected_content(rows, cols, dim, seed)
    index = qr * cols + qc
    cases = {"q = k (W_q = W_k)": (feats, feats), "q ≠ k (W_q ≠ W_k)": (q2, k2)}
    maps = {(label, m): score_map(q, k, rows, cols, index, base, mode=m).numpy()
            for label, (q, k) in cases.items() for m in modes}
    lo = min(v.min() for v in maps.values())
    hi = max(v.max() for v in maps.values())
    n = len(modes)
    fig = new_figure(4.6 * n + 1.8, 9.6)
    with style():
        width = 0.86 / n
        for row, label in enumerate(cases):
            for i, mode in enumerate(modes):
                m = maps[(label, mode)]
                ax = fig.add_axes((0.07 + i * width, 0.52 - row * 0.45, width * 0.86, 0.36))
                im = ax.imshow(m, cmap="viridis", vmin=lo, vmax=hi)
                _mark(ax, qr, qc)
                if m.max() - m.min() > 1e-6 * max(1.0, abs(m.max())):
                    pr, pc = divmod(int(np.argmax(m)), cols)
                    ax.plot([pc], [pr], marker="o", ms=15, mfc="none", mec=PALETTE["orange"], mew=3)
                ax.set_title(_MODE_TITLES.get(mode, mode), fontsize=14)
                ax.set_xlabel("column")
                ax.grid(False)
                if i == 0:
                    ax.set_ylabel(f"{label}\nrow")
        cax = fig.add_axes((0.93, 0.07, 0.013, 0.81))
        fig.colorbar(im, cax=cax, label="score q·k (one scale for all panels)")
        fig.suptitle(f"Query at patch ({qr}, {qc}) (star) against every key, same content at every patch; "
                     "circle: the largest score", fontsize=15)
    return fig


def diagonal_state(radius: int = 7, width: float = 1.0, dim: int = 32, theta: float = 10.0) -> dict:
    """Numbers of :func:`diagonal_limit_figure`: a score that prefers one diagonal, and who can produce it.

    Offsets ``drow, dcol`` in ``[-radius, radius]``; ``target = exp(-(drow - dcol)^2 / (2 width^2))``, a
    ridge along the diagonal through the query. ``axial``: its best fit ``g_row(drow) + g_col(dcol)``
    (:func:`~.vision.additive_part`), the least error *any* axial RoPE can reach. ``mixed``: the best
    RoPE-Mixed score (:func:`~.vision.mixed_fit`) with ``dim // 2`` frequency vectors ``(-f, f)``, ``f``
    RoPE-Mixed's initial magnitudes ``theta ** (-4j / dim)`` (each used twice: the initialisation has two
    directions), pointing along the diagonal. ``unexplained``: the share of the target's variance each misses.
    """
    radius = check_int(radius, "radius", minimum=1)
    off = torch.arange(-radius, radius + 1, dtype=torch.float64)
    drow, dcol = torch.meshgrid(off, off, indexing="ij")
    target = torch.exp(-((drow - dcol) ** 2) / (2 * float(width) ** 2))
    mag = 1 / (float(theta) ** (torch.arange(0, dim, 4)[: dim // 4].double() / dim))
    freqs = torch.stack([-mag, mag])
    fits = {"axial": additive_part(target), "mixed": mixed_fit(target, drow, dcol, freqs)}
    var = ((target - target.mean()) ** 2).sum()
    unexplained = {k: float(((target - v) ** 2).sum() / var) for k, v in fits.items()}
    return {"drow": drow, "dcol": dcol, "target": target, "fits": fits, "unexplained": unexplained,
            "freqs": freqs, "radius": radius}


def diagonal_limit_figure(radius: int = 7, width: float = 1.0, dim: int = 32, theta: float = 10.0):
    """Target (a diagonal ridge), the best any axial RoPE can do, and RoPE-Mixed: one colour scale."""
    st = diagonal_state(radius, width, dim, theta)
    r = st["radius"]
    panels = [("wanted: prefer the diagonal", st["target"]),
              (f"best axial, g_row + g_col: misses {st['unexplained']['axial']:.0%}", st["fits"]["axial"]),
              (f"RoPE-Mixed, diagonal frequencies: misses {st['unexplained']['mixed']:.0%}", st["fits"]["mixed"])]
    lo = min(float(p.min()) for _, p in panels)
    hi = max(float(p.max()) for _, p in panels)
    fig = new_figure(16.0, 5.9)
    with style():
        for i, (title, m) in enumerate(panels):
            ax = fig.add_axes((0.05 + i * 0.3, 0.12, 0.25, 0.68))
            im = ax.imshow(m.numpy(), cmap="viridis", vmin=lo, vmax=hi, extent=(-r - 0.5, r + 0.5, r + 0.5, -r - 0.5))
            ax.plot([0], [0], marker="*", color="white", ms=14, mec=Q_COLOR, mew=1.5)
            ax.set_title(title, fontsize=13)
            ax.set_xlabel("Δcol (key − query)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(False)
            if i == 0:
                ax.set_ylabel("Δrow (key − query)")
        cax = fig.add_axes((0.94, 0.12, 0.012, 0.68))
        fig.colorbar(im, cax=cax, label="score")
        fig.suptitle("An axial score is g_row(Δrow) + g_col(Δcol): it cannot prefer a diagonal; RoPE-Mixed can",
                     x=0.02, ha="left", fontsize=16)
    return fig


def translation_figure(rows: int = 10, cols: int = 10, dim: int = 64,
                       queries: Sequence[Sequence[int]] = ((2, 3), (6, 7)), base: float = VISION_BASE, seed: int = 0):
    """Axial score maps for two query patches, and the one function of (drow, dcol) both are cut from."""
    for r, c in queries:
        if not (0 <= check_int(r, "query row") < rows and 0 <= check_int(c, "query col") < cols):
            raise ValueError(f"every query must be a (row, col) inside the {rows} x {cols} grid; got {(r, c)}")
    feats = same_content(rows, cols, dim, seed)
    v = feats[0]
    # offsets key - query, so each map is an upright crop of this picture
    kr = torch.arange(-(rows - 1), rows)
    kc = torch.arange(-(cols - 1), cols)
    g = axial_relative_score(v, v, -kr[:, None], -kc[None, :], base).numpy()
    maps = [score_map(feats, feats, rows, cols, r * cols + c, base).numpy() for r, c in queries]
    lo, hi = g.min(), g.max()
    colors = [PALETTE["orange"], PALETTE["sky"], PALETTE["green"]]
    n = len(queries)
    fig = new_figure(5.0 * n + 6.5, 6.0)
    with style():
        total = 5.0 * n + 6.5
        axes = [fig.add_axes(((0.8 + i * 5.0) / total, 0.1, 4.0 / total, 0.72)) for i in range(n)]
        axg = fig.add_axes(((1.2 + n * 5.0) / total, 0.1, 5.0 / total, 0.72))
        for i, (ax, (r, c), m) in enumerate(zip(axes, queries, maps)):
            ax.imshow(m, cmap="viridis", vmin=lo, vmax=hi)
            _mark(ax, r, c)
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color(colors[i % 3])
                spine.set_linewidth(4)
            ax.set_title(f"query at ({r}, {c})")
            ax.set_xlabel("column")
            ax.grid(False)
        axes[0].set_ylabel("row")
        axg.imshow(g, cmap="viridis", vmin=lo, vmax=hi,
                   extent=(kc[0] - 0.5, kc[-1] + 0.5, kr[-1] + 0.5, kr[0] - 0.5))
        for i, (r, c) in enumerate(queries):
            # the keys of this query's map sit at offsets (row - r, col - c)
            axg.add_patch(Rectangle((-c - 0.5, -r - 0.5), cols, rows, fill=False, ec=colors[i % 3], lw=3))
        axg.plot([0], [0], marker="*", color="white", ms=16, mec=Q_COLOR, mew=1.5)
        axg.xaxis.set_major_locator(MaxNLocator(integer=True))
        axg.yaxis.set_major_locator(MaxNLocator(integer=True))
        axg.set_xlabel("key col − query col")
        axg.set_ylabel("key row − query row")
        axg.set_title("g(Δrow, Δcol): one function")
        axg.grid(False)
        fig.suptitle("Each score map is a window of the same function of the offset", fontsize=16)
    return fig
