"""Pictures of tensor layout (memory, strides, views) and of broadcasting (广播).

* :func:`memory_layout_figure`: a small 2-D tensor, its transpose (a view: same
  memory, new strides) and the transpose made contiguous (a copy), each drawn as a
  grid next to the storage strip, with the order in which a row-by-row read visits
  memory.
* :func:`broadcast_figure`: ``a op b`` for two small tensors, with the stretched
  (reused, not copied) entries drawn faded.
"""
from __future__ import annotations

import operator
from typing import Any, Mapping, Sequence

import torch
from matplotlib.patches import FancyArrowPatch, Rectangle

from .._validate import check_choice, check_tensor, shape_str
from ..common.figures import GREY, PALETTE, new_figure, style
from .tensors import element_offsets, explain_broadcast, layout, memory_order

__all__ = ["layout_state", "memory_layout_figure", "broadcast_state", "broadcast_figure"]

MAX_STORAGE = 24
MAX_SIDE = 8
_SLOT_COLORS = [PALETTE[k] for k in ("sky", "orange", "green", "purple", "yellow", "blue", "vermillion")]
STEP_COLOR = PALETTE["green"]
JUMP_COLOR = PALETTE["vermillion"]


def _num(v: Any) -> str:
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e6 else f"{v:.2f}"
    return str(v)


def _slot_color(slot: int) -> str:
    return _SLOT_COLORS[slot % len(_SLOT_COLORS)]


# ---------------------------------------------------------------------------
# memory layout
# ---------------------------------------------------------------------------

def layout_state(t: torch.Tensor) -> dict[str, Any]:
    """Numbers behind one row of :func:`memory_layout_figure` for a 1-D or 2-D tensor ``t``.

    Returns a dict with ``shape``, ``stride``, ``offset``, ``contiguous``,
    ``values`` (nested lists, row by row), ``offsets`` (storage position of each
    element, same nesting), ``storage`` (every value of the underlying storage, in
    memory order), ``order`` (storage positions visited by a row-by-row read) and
    ``jumps`` (the steps between consecutive reads; all 1 when contiguous).
    """
    t = check_tensor(t, "t", floating=False, shape_hint="(rows, cols) or (n,)")
    if t.ndim not in (1, 2):
        raise ValueError(f"t must be 1-D or 2-D to be drawn as a grid; got shape {shape_str(t)}")
    lay = layout(t)
    if lay.storage_size > MAX_STORAGE:
        raise ValueError(
            f"t's storage holds {lay.storage_size} elements; the picture is readable for at most "
            f"{MAX_STORAGE}. Draw a small example such as torch.arange(6).view(2, 3)"
        )
    t2 = t if t.ndim == 2 else t.unsqueeze(0)  # a 1-D tensor is drawn as one row
    storage = torch.as_strided(t.detach().cpu(), (lay.storage_size,), (1,), 0)
    order = memory_order(t).tolist()
    return {
        "shape": lay.shape,
        "stride": lay.stride,
        "offset": lay.storage_offset,
        "contiguous": lay.contiguous,
        "values": t2.tolist(),
        "offsets": element_offsets(t2).tolist(),
        "storage": storage.tolist(),
        "order": order,
        "jumps": [b - a for a, b in zip(order, order[1:])],
    }


def _draw_grid(ax, state: Mapping[str, Any], ids: Sequence[Sequence[int]], x0: float, y0: float) -> None:
    """Grid of values, cell (i, j) at (x0 + j, y0 + rows - 1 - i); colour by element identity."""
    values, offs = state["values"], state["offsets"]
    rows, cols = len(values), len(values[0]) if values else 0
    for i in range(rows):
        for j in range(cols):
            x, y = x0 + j, y0 + rows - 1 - i
            ax.add_patch(Rectangle((x, y), 1, 1, facecolor=_slot_color(ids[i][j]), alpha=0.45,
                                   edgecolor="black", lw=1.5))
            ax.text(x + 0.5, y + 0.55, _num(values[i][j]), ha="center", va="center", fontsize=18,
                    fontweight="bold")
            ax.text(x + 0.95, y + 0.06, f"@{offs[i][j]}", ha="right", va="bottom", fontsize=10)


def _draw_strip(ax, state: Mapping[str, Any], ids: Sequence[int]) -> None:
    """Storage cells at y = 0..1, read order #k above, arrows for each step of the row-by-row walk."""
    storage, order = state["storage"], state["order"]
    used = set(order)
    for s, v in enumerate(storage):
        ax.add_patch(Rectangle((s, 0), 1, 1, facecolor=_slot_color(ids[s]) if s in used else "white",
                               alpha=0.45 if s in used else 1.0, edgecolor="black", lw=1.5))
        ax.text(s + 0.5, 0.5, _num(v), ha="center", va="center", fontsize=16, fontweight="bold")
        ax.text(s + 0.5, -0.15, str(s), ha="center", va="top", fontsize=11, color=GREY)
    for k, s in enumerate(order):
        ax.text(s + 0.5, 1.08, f"#{k + 1}", ha="center", va="bottom", fontsize=11)
    for a, b in zip(order, order[1:]):
        color = STEP_COLOR if b - a == 1 else JUMP_COLOR
        ax.add_patch(FancyArrowPatch((a + 0.5, 1.55), (b + 0.5, 1.55),
                                     connectionstyle=f"arc3,rad={-0.45 if b > a else 0.45}",
                                     arrowstyle="-|>", mutation_scale=14, lw=1.8, color=color))


def _walk(order: Sequence[int]) -> str:
    s = "→".join(str(o) for o in order)
    return s if len(s) <= 34 else s[:31] + "..."


def memory_layout_figure(x: torch.Tensor | None = None):
    """``x``, ``x.t()`` and ``x.t().contiguous()`` drawn as grids above their memory.

    ``x`` is a small contiguous 2-D tensor (default ``torch.arange(6).view(2, 3)``).
    Each grid cell shows its value and ``@k``, the storage address it lives at; an
    element keeps its colour wherever it goes. Under each grid is the storage strip
    (addresses in grey); ``#1, #2, ...`` mark the order in which reading the tensor
    row by row visits memory: green arrows are steps of one element, red arrows jumps.
    """
    if x is None:
        x = torch.arange(6).view(2, 3)
    x = check_tensor(x, "x", floating=False, ndim=2, shape_hint="(rows, cols)")
    if not x.is_contiguous() or x.storage_offset() != 0 or x.untyped_storage().nbytes() != x.numel() * x.element_size():
        raise ValueError("x must be a freshly made contiguous tensor (not a view or a slice), so the picture "
                         "starts from plain memory; call x.clone() first")
    if x.numel() > MAX_STORAGE or max(x.shape) > MAX_SIDE or x.numel() == 0:
        raise ValueError(f"x must be small to be drawn readably: at least 1 and at most {MAX_STORAGE} elements, "
                         f"at most {MAX_SIDE} per side; got shape {shape_str(x)}. "
                         "Try torch.arange(6).view(2, 3)")
    ids = torch.arange(x.numel()).view(x.shape)
    xt = x.t()
    xc = xt.contiguous()
    idc = ids.t().contiguous()
    panels = [
        ("x", x, ids, "the original"),
        ("x.t()", xt, ids.t(), "a view: same memory"),
        ("x.t().contiguous()", xc, idc, "a copy: new memory"),
    ]
    n = x.numel()
    side = max(x.shape)
    width = max(n, side) + 0.4
    grid_y0 = 2.9
    height = grid_y0 + side + 0.2
    fig = new_figure(max(4.6 * width / 3.4, 13.0), 2.1 + 0.62 * height)
    with style():
        gs = fig.add_gridspec(1, 3, left=0.05, right=0.99, top=0.7, bottom=0.04, wspace=0.12)
        for c, (name, t, id_t, note) in enumerate(panels):
            ax = fig.add_subplot(gs[0, c])
            st = layout_state(t)
            id_storage = torch.as_strided(id_t, (len(st["storage"]),), (1,), 0).tolist()
            rows, cols = len(st["values"]), len(st["values"][0])
            _draw_grid(ax, st, id_t.tolist(), (n - cols) / 2, grid_y0 + (side - rows))
            _draw_strip(ax, st, id_storage)
            ax.set_xlim(-0.2, width - 0.2)
            ax.set_ylim(-0.7, height)
            ax.set_aspect("equal")
            ax.axis("off")
            verdict = "contiguous" if st["contiguous"] else "NOT contiguous"
            ax.set_title(f"{name}: {note}\nshape {shape_str(st['shape'])}, stride {shape_str(st['stride'])}\n"
                         f"reads memory {_walk(st['order'])}\n({verdict})", fontsize=13)
            if c == 0:
                ax.text(-0.3, 0.5, "memory", ha="right", va="center", fontsize=12, rotation=90, color=GREY)
                ax.text(-0.3, grid_y0 + side / 2, "tensor", ha="right", va="center", fontsize=12, rotation=90,
                        color=GREY)
        fig.suptitle("transpose changes the strides, not the memory; contiguous() copies into the new order",
                     fontsize=16)
    return fig


# ---------------------------------------------------------------------------
# broadcasting
# ---------------------------------------------------------------------------

_OPS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
}


def _as_small(t, name: str) -> torch.Tensor:
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        t = torch.tensor(t)
    t = check_tensor(t, name, floating=False, shape_hint="(rows, cols), (n,) or ()")
    if t.ndim > 2:
        raise ValueError(f"{name} must have at most 2 dimensions to be drawn; got shape {shape_str(t)}")
    return t


def broadcast_state(a, b, op: str = "+", names: tuple[str, str] = ("a", "b")) -> dict[str, Any]:
    """Numbers behind :func:`broadcast_figure`.

    ``a``, ``b``: tensors (or Python numbers) with at most 2 dimensions whose shapes
    broadcast. Returns ``shape`` (the 2-D shape drawn), ``a``/``b``/``out`` (values
    on that grid), ``a_real``/``b_real`` (True where the entry is stored in the
    operand, False where it is a stretched reuse) and the broadcast explanation.
    """
    a = _as_small(a, "a")
    b = _as_small(b, "b")
    op = check_choice(op, "op", tuple(_OPS))
    exp = explain_broadcast(a, b, names=names)
    if not exp.ok:
        raise ValueError(f"a and b do not broadcast:\n{exp.text}")
    shape = exp.result
    if any(s > MAX_SIDE for s in shape):
        raise ValueError(f"the result shape {shape_str(shape)} is too large to draw; keep each side <= {MAX_SIDE}")
    grid = (1,) * (2 - len(shape)) + tuple(shape)
    out = _OPS[op](a, b)

    def on_grid(t: torch.Tensor) -> tuple[list, list]:
        t2 = t.reshape((1,) * (2 - t.ndim) + tuple(t.shape))
        vals = t2.expand(grid).tolist()
        # an entry is "real" when it is the stored one, i.e. index 0 along every stretched dimension
        real = [[(t2.shape[0] != 1 or i == 0) and (t2.shape[1] != 1 or j == 0) for j in range(grid[1])]
                for i in range(grid[0])]
        return vals, real

    av, ar = on_grid(a)
    bv, br = on_grid(b)
    return {
        "shape": grid, "result_shape": tuple(shape), "op": op, "names": tuple(names),
        "a_shape": tuple(a.shape), "b_shape": tuple(b.shape),
        "a": av, "b": bv, "a_real": ar, "b_real": br,
        "out": out.reshape(grid).tolist(), "explanation": exp,
    }


def _draw_panel(ax, vals, real, color: str, title: str, bool_colors: bool = False) -> None:
    rows, cols = len(vals), len(vals[0])
    for i in range(rows):
        for j in range(cols):
            v = vals[i][j]
            fc = color
            if bool_colors:
                fc = PALETTE["green"] if v else "white"
            solid = real is None or real[i][j]
            ax.add_patch(Rectangle((j, rows - 1 - i), 1, 1, facecolor=fc, alpha=0.5 if solid else 0.12,
                                   edgecolor="black" if solid else GREY, lw=1.5 if solid else 1.0,
                                   ls="-" if solid else "--"))
            ax.text(j + 0.5, rows - 1 - i + 0.5, _num(v), ha="center", va="center",
                    fontsize=15 if max(rows, cols) <= 5 else 12,
                    color="black" if solid else GREY, fontweight="bold" if solid else "normal")
    ax.set_xlim(-0.1, cols + 0.1)
    ax.set_ylim(-0.1, rows + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=13)


def broadcast_figure(a, b, op: str = "+", names: tuple[str, str] = ("a", "b"),
                     colors: tuple[str, str] | None = None):
    """Draw ``a op b`` for small tensors (at most 2-D): both operands stretched to the result's shape.

    Solid cells are the values each operand stores; faded, dashed cells are the same
    values reused along a stretched (size-1 or missing) dimension: broadcasting
    reads them again, it does not copy them. ``op`` is one of
    ``+ - * >= > <= < ==``; comparison results are drawn as T/F. ``colors`` fills the
    two operands (default sky and orange; pass ``(Q_COLOR, K_COLOR)`` when they are
    query and key positions).
    """
    st = broadcast_state(a, b, op, names)
    if colors is None:
        colors = (PALETTE["sky"], PALETTE["orange"])
    if (not isinstance(colors, (tuple, list)) or len(colors) != 2
            or not all(isinstance(c, str) for c in colors)):
        raise TypeError(f"colors must be a pair of matplotlib colours such as ('#0072B2', '#D55E00'); got {colors!r}")
    na, nb = st["names"]
    rows, cols = st["shape"]
    fig = new_figure(min(3.0 * cols * 0.75 + 4, 16), max(2.6, 0.75 * rows + 2.0))
    with style():
        gs = fig.add_gridspec(1, 5, width_ratios=(cols, 0.45, cols, 0.45, cols), left=0.02, right=0.98,
                              top=0.72, bottom=0.05, wspace=0.1)
        a_s, b_s, r_s = shape_str(st["a_shape"]), shape_str(st["b_shape"]), shape_str(st["result_shape"])
        _draw_panel(fig.add_subplot(gs[0, 0]), st["a"], st["a_real"], colors[0], f"{na} {a_s} → {r_s}")
        _draw_panel(fig.add_subplot(gs[0, 2]), st["b"], st["b_real"], colors[1], f"{nb} {b_s} → {r_s}")
        is_bool = isinstance(st["out"][0][0], bool)
        _draw_panel(fig.add_subplot(gs[0, 4]), st["out"], None, PALETTE["green"], f"{na} {st['op']} {nb}: {r_s}",
                    bool_colors=is_bool)
        for k, sym in ((1, st["op"]), (3, "=")):
            ax = fig.add_subplot(gs[0, k])
            ax.axis("off")
            ax.text(0.5, 0.5, sym, ha="center", va="center", fontsize=24, transform=ax.transAxes)
        fig.suptitle(f"broadcasting {a_s} with {b_s} gives {r_s}: faded cells are reused, not copied",
                     fontsize=14)
    return fig
