"""Figures for notebook 09: 2-D axial RoPE on a grid of image patches, and ``same_content`` to feed them."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .._validate import check_base, check_int
from ..common.figures import GREY, PALETTE, Q_COLOR, new_figure, style
from .vision import VISION_BASE, axial_angles, axial_relative_score, patch_grid, score_map

__all__ = ["axial_table_figure", "score_maps_figure", "translation_figure", "same_content"]

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
    """Score of one patch's query against every patch's key, one panel per encoding (same content everywhere)."""
    qr, qc = (check_int(query[0], "query[0]", minimum=0), check_int(query[1], "query[1]", minimum=0))
    if qr >= rows or qc >= cols:
        raise ValueError(f"query must be a (row, col) inside the {rows} x {cols} grid; got {tuple(query)}")
    base = check_base(base, "base")
    feats = same_content(rows, cols, dim, seed)
    maps = {m: score_map(feats, feats, rows, cols, qr * cols + qc, base, mode=m).numpy() for m in modes}
    # each panel has its own colour scale; a constant map ("none") borrows a rotated map's range
    rotated = [m for name, m in maps.items() if name != "none"] or list(maps.values())
    fallback = (min(m.min() for m in rotated), max(m.max() for m in rotated))
    fig = new_figure(5.3 * len(modes), 5.8)
    with style():
        width = 1.0 / len(modes)
        for i, (mode, m) in enumerate(maps.items()):
            ax = fig.add_axes((0.04 + i * width, 0.1, width * 0.68, 0.72))
            cax = fig.add_axes((0.04 + i * width + width * 0.7, 0.1, 0.012, 0.72))
            lo, hi = (m.min(), m.max()) if m.max() - m.min() > 1e-6 * max(1.0, abs(m.max())) else fallback
            im = ax.imshow(m, cmap="viridis", vmin=lo, vmax=hi)
            _mark(ax, qr, qc)
            ax.set_title(_MODE_TITLES.get(mode, mode))
            ax.set_xlabel("column")
            ax.grid(False)
            fig.colorbar(im, cax=cax)
            if i == 0:
                ax.set_ylabel("row")
        fig.suptitle(f"Score q·k of the query at patch ({qr}, {qc}) (star) with every key; same content at every patch",
                     fontsize=16)
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
