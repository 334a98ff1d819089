"""Figures for notebook 08: what context-extension methods do to each pair, and angle-table precision.

The widget figure is drawn from :func:`extension_state` (pure numbers) by
:func:`draw_extension` / :func:`update_extension`; the other functions return finished
figures for the notebook.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from .._validate import check_choice, check_int, check_real
from ..rope import DEFAULT_BASE
from ..scaling import (
    METHODS,
    angle_error,
    angle_table,
    extension_profile,
    scores_at_distance,
)
from ._style import GREY, PALETTE, new_figure, style

__all__ = [
    "METHOD_COLORS",
    "EXTENSION_FIGSIZE",
    "extension_state",
    "draw_extension",
    "update_extension",
    "extension_readout",
    "extension_figure",
    "frequency_scaling_figure",
    "unseen_angles_figure",
    "precision_figure",
    "collapse_figure",
    "position_error_figure",
]

METHOD_COLORS = {
    "default": PALETTE["black"],
    "linear": PALETTE["sky"],
    "ntk": PALETTE["green"],
    "dynamic": PALETTE["orange"],
    "yarn": PALETTE["purple"],
    "llama3": PALETTE["blue"],
}
METHOD_STYLES = {"default": "--", "linear": "-", "ntk": "-", "dynamic": "-.", "yarn": "-", "llama3": ":"}
DTYPE_COLORS = {"float32": PALETTE["black"], "bfloat16": PALETTE["vermillion"], "float16": PALETTE["purple"],
                "fix": PALETTE["green"]}
TWO_PI = 2 * math.pi
EXTENSION_FIGSIZE = (14.0, 5.8)

# fixed axis limits of the widget figure (so a slider move never needs a full redraw)
_WAVE_YLIM = (3.0, 2e8)
_ANGLE_YLIM = (1e-3, 1e6)


# ---------------------------------------------------------------------------
# the widget figure: wavelengths and the largest angles, before and after scaling
# ---------------------------------------------------------------------------

def extension_state(method: str = "yarn", factor: float = 4.0, target_len: int = 16384, dim: int = 128,
                    base: float = DEFAULT_BASE, train_len: int = 4096) -> dict[str, Any]:
    """Numbers behind the extension picture: :func:`ropelab.scaling.extension_profile` as numpy arrays."""
    method = check_choice(method, "method", METHODS)
    factor = check_real(factor, "factor", positive=True)
    target_len = check_int(target_len, "target_len", minimum=1)
    train_len = check_int(train_len, "train_len", minimum=1)
    prof = extension_profile(dim, base, method, factor, train_len, target_len)
    state = {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in prof.items()}
    unseen = state["unseen"]
    state["unseen_pairs"] = np.nonzero(unseen)[0]
    state["fastest_ratio"] = float(state["ratio"][0])
    state["slowest_ratio"] = float(state["ratio"][-1])
    return state


def _extension_titles(state: Mapping[str, Any]) -> tuple[str, str]:
    left = f"{state['method']}: wavelengths vs the trained length"
    n = state["n_unseen"]
    right = (f"{n} pair{'s' if n != 1 else ''} meet{'s' if n == 1 else ''} angles never seen in training"
             if n else "every angle at inference was seen in training")
    return left, right


def draw_extension(fig, state: Mapping[str, Any]) -> dict[str, Any]:
    """Left: wavelength per pair (log) with the trained and target lengths. Right: largest angle per pair."""
    ax1 = fig.add_axes((0.07, 0.14, 0.38, 0.72))
    ax2 = fig.add_axes((0.56, 0.14, 0.38, 0.72))
    pair = state["pair"]
    color = METHOD_COLORS[state["method"]]
    h: dict[str, Any] = {"ax1": ax1, "ax2": ax2}

    ax1.set_yscale("log")
    ax1.set_ylim(*_WAVE_YLIM)
    ax1.set_xlim(-1, len(pair))
    ax1.plot(pair, state["wavelength"], color=GREY, lw=2.5, label="original")
    (h["wave"],) = ax1.plot(pair, state["wavelength_scaled"], color=color, lw=3, label="after scaling")
    ax1.axhline(state["train_len"], color=PALETTE["black"], lw=1.5, ls="--")
    ax1.text(0.5, state["train_len"] * 1.25, f"trained length {state['train_len']}", fontsize=12)
    h["target_line"] = ax1.axhline(state["target_len"], color=PALETTE["vermillion"], lw=1.5, ls=":")
    h["target_text"] = ax1.text(0.5, state["target_len"] * 1.25, f"target length {state['target_len']}",
                                fontsize=12, color=PALETTE["vermillion"])
    ax1.set_xlabel("pair index i (fast → slow)")
    ax1.set_ylabel("wavelength 2π/θᵢ (positions)")
    ax1.legend(loc="lower right", frameon=False)

    ax2.set_yscale("log")
    ax2.set_ylim(*_ANGLE_YLIM)
    ax2.set_xlim(-1, len(pair))
    ax2.plot(pair, state["train_max_angle"], color=GREY, lw=2.5, label="largest angle in training")
    (h["angle"],) = ax2.plot(pair, state["target_max_angle"], color=color, lw=3,
                             label="largest angle at the target length")
    ax2.axhline(TWO_PI, color=PALETTE["black"], lw=1.2, ls="--")
    ax2.text(0.5, TWO_PI * 1.3, "one full turn 2π", ha="left", fontsize=12)
    unseen = state["unseen_pairs"]
    h["unseen"] = ax2.scatter(pair[unseen], state["target_max_angle"][unseen], s=40, color=PALETTE["vermillion"],
                              zorder=3, label="unseen angles")
    ax2.set_xlabel("pair index i (fast → slow)")
    ax2.set_ylabel("angle (radians)")
    ax2.legend(loc="upper right", frameon=False)
    left, right = _extension_titles(state)
    h["title1"] = ax1.set_title(left)
    h["title2"] = ax2.set_title(right)
    h["drawn_method"] = [state["method"]]  # a list, so update can record the method it last drew
    return h


def update_extension(h: Mapping[str, Any], state: Mapping[str, Any]) -> bool:
    """Move the artists of :func:`draw_extension` to a new state (axis limits never change).

    Returns True (redraw everything) when the method changed, since the legend swatches,
    drawn once in the static background, must take the new method's colour.
    """
    color = METHOD_COLORS[state["method"]]
    method_changed = h["drawn_method"][0] != state["method"]
    h["drawn_method"][0] = state["method"]
    if method_changed:
        h["ax1"].get_legend().legend_handles[1].set_color(color)
        h["ax2"].get_legend().legend_handles[1].set_color(color)
    h["wave"].set_ydata(state["wavelength_scaled"])
    h["wave"].set_color(color)
    h["angle"].set_ydata(state["target_max_angle"])
    h["angle"].set_color(color)
    h["target_line"].set_ydata([state["target_len"], state["target_len"]])
    h["target_text"].set_y(state["target_len"] * 1.25)
    h["target_text"].set_text(f"target length {state['target_len']}")
    unseen = state["unseen_pairs"]
    if len(unseen):
        h["unseen"].set_offsets(np.column_stack([state["pair"][unseen], state["target_max_angle"][unseen]]))
    else:
        h["unseen"].set_offsets(np.empty((0, 2)))
    left, right = _extension_titles(state)
    h["title1"].set_text(left)
    h["title2"].set_text(right)
    return method_changed


def extension_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: the method's parameters, how much the fastest and slowest pairs slow down."""
    params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in state["params"].items())
    return (
        "<div style='font-size:1.2em; font-family:monospace; line-height:1.5'>"
        f"method = {state['method']}({params or 'no parameters'}) &nbsp; dim = {state['dim']}, "
        f"base = {state['base']:g}, trained on {state['train_len']} tokens, run on {state['target_len']}<br>"
        f"fastest pair: θ'₀/θ₀ = {state['fastest_ratio']:.4f} &nbsp; slowest pair: "
        f"θ'/θ = {state['slowest_ratio']:.4f} (1/factor = {1 / state['factor']:.4f})<br>"
        f"attention factor on cos/sin = {state['attention_factor']:.4f} &nbsp; "
        f"pairs with unseen angles: {state['n_unseen']} of {state['dim'] // 2}"
        "</div>"
    )


def extension_figure(method: str = "yarn", factor: float = 4.0, target_len: int = 16384, dim: int = 128,
                     base: float = DEFAULT_BASE, train_len: int = 4096):
    """The widget's picture as a plain figure."""
    state = extension_state(method, factor, target_len, dim, base, train_len)
    fig = new_figure(*EXTENSION_FIGSIZE)
    with style():
        draw_extension(fig, state)
    return fig


# ---------------------------------------------------------------------------
# all methods side by side
# ---------------------------------------------------------------------------

def frequency_scaling_figure(factor: float = 4.0, dim: int = 128, base: float = DEFAULT_BASE,
                             train_len: int = 4096, target_len: int | None = None,
                             methods: Sequence[str] = METHODS):
    """Left: ``theta'_i / theta_i`` per pair for every method. Right: the angle of each pair at the target length."""
    target_len = int(round(train_len * factor)) if target_len is None else target_len
    profiles = {m: extension_state(m, factor, target_len, dim, base, train_len) for m in methods}
    fig = new_figure(14.0, 5.8)
    with style():
        ax1, ax2 = fig.subplots(1, 2)
        for m, st in profiles.items():
            kw = dict(color=METHOD_COLORS[m], ls=METHOD_STYLES[m], lw=3 if m != "default" else 2, label=m)
            ax1.plot(st["pair"], st["ratio"], **kw)
            ax2.plot(st["pair"], st["target_max_angle"], **kw)
        ax1.set_yscale("log")
        ticks = [2.0 ** -j for j in range(0, 12) if 2.0 ** -j >= min(st["ratio"].min() for st in profiles.values()) / 2]
        ax1.set_yticks(ticks, [f"1/{2 ** j}" if j else "1" for j in range(len(ticks))])
        ax1.minorticks_off()
        ax1.axhline(1 / factor, color=GREY, lw=1, ls=":")
        ax1.text(0, 1 / factor * 1.12, f"1/factor = 1/{factor:g}", fontsize=12, color=GREY)
        ax1.set_xlabel("pair index i (fast → slow)")
        ax1.set_ylabel("θ'ᵢ / θᵢ (log scale)")
        ax1.set_title(f"How much each pair slows down (factor {factor:g})")
        ax1.legend(loc="lower left", frameon=False, ncol=2)
        first = next(iter(profiles.values()))
        ax2.plot(first["pair"], first["train_max_angle"], color=GREY, lw=6, alpha=0.35,
                 label=f"trained: position {train_len - 1}")
        ax2.axhline(TWO_PI, color=PALETTE["black"], lw=1, ls="--")
        ax2.text(len(first["pair"]) - 1, TWO_PI * 1.4, "2π", ha="right", fontsize=12)
        ax2.set_yscale("log")
        ax2.set_xlabel("pair index i (fast → slow)")
        ax2.set_ylabel("angle at the last position (rad)")
        ax2.set_title(f"Angle per pair at position {target_len - 1}")
        ax2.legend(loc="lower left", frameon=False, fontsize=11, ncol=2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.91, wspace=0.22)
    return fig


def unseen_angles_figure(factor: float = 4.0, target_len: int | None = None, dim: int = 128,
                         base: float = DEFAULT_BASE, train_len: int = 4096, methods: Sequence[str] = METHODS):
    """One panel per method: largest angle per pair in training vs at the target length."""
    target_len = int(round(train_len * factor)) if target_len is None else target_len
    cols = 3
    rows = math.ceil(len(methods) / cols)
    fig = new_figure(15.0, 4.3 * rows + 0.6)
    with style():
        axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True)).ravel()
        for ax, m in zip(axes, methods):
            st = extension_state(m, factor, target_len, dim, base, train_len)
            ax.plot(st["pair"], st["train_max_angle"], color=GREY, lw=5, alpha=0.45, label="training")
            ax.plot(st["pair"], st["target_max_angle"], color=METHOD_COLORS[m], lw=2.5, label="target")
            u = st["unseen_pairs"]
            ax.scatter(st["pair"][u], st["target_max_angle"][u], s=30, color=PALETTE["vermillion"], zorder=3,
                       label="unseen")
            ax.axhline(TWO_PI, color=PALETTE["black"], lw=1, ls="--")
            ax.set_yscale("log")
            ax.set_title(f"{m}: {st['n_unseen']} unseen pairs")
        for ax in axes[len(methods):]:
            ax.set_visible(False)
        for ax in axes[(rows - 1) * cols:]:
            ax.set_xlabel("pair index i")
        for ax in axes[::cols]:
            ax.set_ylabel("largest angle (rad)")
        axes[0].legend(loc="lower left", frameon=False, fontsize=11)
        fig.suptitle(f"Trained on {train_len} tokens, run on {target_len}: which pairs leave their trained range?",
                     fontsize=16)
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.88, wspace=0.06, hspace=0.25)
    return fig


# ---------------------------------------------------------------------------
# precision
# ---------------------------------------------------------------------------

def precision_figure(dim: int = 128, base: float = DEFAULT_BASE, max_position: int = 65536,
                     q: torch.Tensor | None = None, k: torch.Tensor | None = None, distance: int = 16,
                     step: int = 37):
    """Left: angle error of bf16/fp16 tables vs float32 by position. Right: the score drift it causes.

    ``q, k: (dim,)`` for the right panel (seeded random vectors if not given); positions
    ``distance, distance + step, ...`` up to ``max_position``.
    """
    check_int(max_position, "max_position", minimum=distance + 2)
    if q is None or k is None:
        gen = torch.Generator().manual_seed(0)
        q, k = torch.randn(dim, generator=gen), torch.randn(dim, generator=gen)
    pos = torch.cat([torch.arange(distance, max_position, step), torch.tensor([max_position - 1])]).unique()
    fig = new_figure(14.0, 5.8)
    with style():
        ax1, ax2 = fig.subplots(1, 2)
        def worst_so_far(err: np.ndarray) -> np.ndarray:
            run = np.maximum.accumulate(np.where(np.isfinite(err), err, 0.0))
            return np.where(run > 0, run, np.nan)

        for dt, name in ((torch.bfloat16, "bfloat16"), (torch.float16, "float16")):
            err = angle_error(pos, dim, base, dt, wrap=True).amax(-1).numpy()
            ok = np.isfinite(err)
            ax1.plot(pos.numpy()[ok], worst_so_far(err)[ok], color=DTYPE_COLORS[name], lw=2.5,
                     label=f"{name} table")
            if (~ok).any():
                first = pos.numpy()[~ok][0]
                ax1.axvline(first, color=DTYPE_COLORS[name], lw=1.5, ls=":")
                ax1.text(first, 0.3, f"{name} overflows: inf \nabove {torch.finfo(dt).max:.0f} ",
                         color=DTYPE_COLORS[name], fontsize=11, ha="right")
        exact = angle_table(pos, dim, base, torch.float64)
        own = (angle_table(pos, dim, base, torch.float32).double() - exact)
        own = (torch.remainder(own + math.pi, 2 * math.pi) - math.pi).abs().amax(-1).numpy()
        ax1.plot(pos.numpy(), worst_so_far(own), color=DTYPE_COLORS["float32"], lw=2.5,
                 label="float32 table (vs float64)")
        ax1.legend(loc="lower right", frameon=False)
        ax1.axhline(math.pi, color=GREY, ls="--", lw=1)
        ax1.text(pos[0].item(), math.pi * 1.3, "π: direction lost", fontsize=12, color=GREY)
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_ylim(1e-7, 30)
        ax1.set_xlabel("position m")
        ax1.set_ylabel("worst angle error up to m (rad, mod 2π)")
        ax1.set_title("A low-precision angle table loses the angle")
        ref = scores_at_distance(q, k, pos, distance, base, torch.float32).numpy()
        ax2.plot(pos.numpy(), scores_at_distance(q, k, pos, distance, base, torch.bfloat16).numpy(),
                 color=DTYPE_COLORS["bfloat16"], lw=1, label="bfloat16 angle table")
        ax2.plot(pos.numpy(), scores_at_distance(q, k, pos, distance, base, torch.bfloat16, fixed=True).numpy(),
                 color=DTYPE_COLORS["fix"], lw=2, label="fix: float32 angles, bf16 cos/sin")
        ax2.plot(pos.numpy(), ref, color=DTYPE_COLORS["float32"], lw=2, ls="--", label="float32")
        ax2.set_xscale("log")
        ax2.set_xlabel("query position m (key at m − %d)" % distance)
        ax2.set_ylabel("attention score q·k")
        ax2.set_title(f"Same distance {distance}, so the score should be constant")
        ax2.legend(loc="lower left", frameon=False)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.91, wspace=0.22)
    return fig


def collapse_figure(start: int = 65280, stop: int = 65536, dim: int = 128, base: float = DEFAULT_BASE, pair: int = 0):
    """The angle of one pair for every position in ``[start, stop)``: float32 vs bfloat16 vs float16."""
    start = check_int(start, "start", minimum=0)
    stop = check_int(stop, "stop", minimum=start + 2)
    pos = torch.arange(start, stop)
    fig = new_figure(12.0, 5.6)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        for dt, name, lw in ((torch.float32, "float32", 3), (torch.float16, "float16", 2),
                             (torch.bfloat16, "bfloat16", 2.5)):
            ang = angle_table(pos, dim, base, dt)[:, pair].double().numpy()
            ok = np.isfinite(ang)
            n = int(np.unique(ang[ok]).size)
            label = f"{name}: {n} distinct angle{'s' if n != 1 else ''}"
            if (~ok).any():
                label += f" ({int((~ok).sum())} infinite)"
            ax.step(pos.numpy()[ok], ang[ok], where="post", color=DTYPE_COLORS[name], lw=lw, label=label)
        ax.set_xlabel("position m")
        ax.set_ylabel(f"angle of pair {pair} (rad)")
        ax.set_title(f"{stop - start} positions, far fewer distinct rotations in low precision")
        ax.legend(loc="upper left", frameon=False)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.9)
    return fig


def position_error_figure(errors: Mapping[str, Any], title: str, ylabel: str = "max |cos error|",
                          colors: Mapping[str, str] | None = None):
    """Error curves by position: ``errors`` maps a label to a 1-D array (one value per position)."""
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError("errors must be a non-empty dict: label -> 1-D tensor or array of errors per position")
    palette = [PALETTE["vermillion"], PALETTE["green"], PALETTE["blue"], PALETTE["orange"]]
    fig = new_figure(12.0, 5.2)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        for i, (label, values) in enumerate(errors.items()):
            arr = values.detach().double().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, float)
            if arr.ndim != 1:
                raise ValueError(f"errors[{label!r}] must be 1-D (one value per position); got shape {arr.shape}")
            color = (colors or {}).get(label, palette[i % len(palette)])
            ax.plot(np.arange(arr.size), arr, color=color, lw=1.5 if i == 0 else 2.5, label=label)
        ax.set_xlabel("position")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.1), frameon=True, framealpha=0.9)
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.9)
    return fig
