"""Figures for notebook 08: every context-extension method side by side, and angle-table precision.

Each function returns a finished figure. Colours and line styles of the methods come from
their records in :data:`ropelab.scaling.METHODS`; the widget's own picture
(:func:`extension_figure`) lives with the widget in ``widget.py``.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from .._validate import check_int
from ..common.figures import GREY, PALETTE, new_figure, style
from ..rope import DEFAULT_BASE
from .precision import angle_error, angle_table, scores_at_distance
from .scaling import METHODS
from .widget import extension_state

__all__ = [
    "interpolation_state",
    "interpolate_extrapolate_figure",
    "frequency_scaling_figure",
    "unseen_angles_figure",
    "precision_figure",
    "collapse_figure",
    "position_error_figure",
]

DTYPE_COLORS = {"float32": PALETTE["black"], "bfloat16": PALETTE["vermillion"], "float16": PALETTE["purple"],
                "fix": PALETTE["green"]}
TWO_PI = 2 * math.pi


# ---------------------------------------------------------------------------
# all methods side by side
# ---------------------------------------------------------------------------

def interpolation_state(factor: float = 4.0, dim: int = 128, base: float = DEFAULT_BASE, train_len: int = 4096,
                        target_len: int | None = None, methods: Sequence[str] = tuple(METHODS)) -> dict[str, Any]:
    """Per-pair numbers of :func:`interpolate_extrapolate_figure`, one entry per method of the registry.

    * ``pair``: ``0 .. dim/2 - 1``; ``turns``: how many full turns pair ``i`` makes over the trained
      context, ``train_len * theta_i / (2 pi)`` (many for fast pairs, below 1 for slow ones).
    * ``scale[method]``: the per-pair scale factor ``theta_i / theta'_i`` (1: the pair is kept, it
      *extrapolates*; ``factor``: it is divided by the factor, it *interpolates*).
    * ``share[method]``: ``ln(scale) / ln(factor)``, the share of interpolation (0 kept, 1 interpolated;
      above 1 for dynamic NTK beyond ``factor`` times the trained length).
    * ``target_len`` (``factor * train_len`` unless given) and the inputs.
    """
    target_len = int(round(train_len * factor)) if target_len is None else target_len
    profiles = {m: extension_state(m, factor, target_len, dim, base, train_len) for m in methods}
    first = next(iter(profiles.values()))
    scale = {m: 1.0 / st["ratio"] for m, st in profiles.items()}
    log_f = math.log(factor) if factor > 1 else 1.0
    return {
        "factor": float(factor), "dim": dim, "base": float(base), "train_len": train_len, "target_len": target_len,
        "pair": first["pair"], "turns": train_len / first["wavelength"],
        "scale": scale, "share": {m: np.log(v) / log_f for m, v in scale.items()},
    }


def interpolate_extrapolate_figure(factor: float = 4.0, dim: int = 128, base: float = DEFAULT_BASE,
                                   train_len: int = 4096, target_len: int | None = None,
                                   methods: Sequence[str] = tuple(METHODS)):
    """Every method as one rule: the per-pair scale factor ``theta_i / theta'_i`` against the pair index.

    Fast pairs (many turns over the trained context) are kept (scale 1: extrapolated), slow pairs (less
    than one turn) are divided by the factor (interpolated); the methods differ in where and how they
    pass from one to the other. The top axis gives the turns over the trained context.
    """
    st = interpolation_state(factor, dim, base, train_len, target_len, methods)
    pair = st["pair"]
    fig = new_figure(13.0, 6.4)
    with style():
        ax = fig.add_axes((0.08, 0.12, 0.62, 0.68))
        # the pair index where a pair makes `r` turns over the trained context (log turns is linear in i)
        def pair_at(r: float) -> float:
            return float(dim * math.log(train_len / (2 * math.pi * r)) / (2 * math.log(base)))

        one_turn = pair_at(1.0)
        ax.axvspan(one_turn, pair[-1] + 0.5, color=PALETTE["sky"], alpha=0.15, lw=0)
        ax.text(0.01, 0.97, "many turns in training:\nextrapolate (keep θ)", transform=ax.transAxes, ha="left",
                va="top", fontsize=11, color=GREY)
        ax.text(0.99, 0.97, "under one turn\nin training:\ninterpolate", transform=ax.transAxes, ha="right",
                va="top", fontsize=11, color=GREY)
        for r in (32.0, 4.0, 1.0):
            x = pair_at(r)
            if 0 <= x <= pair[-1]:
                ax.axvline(x, color=GREY, lw=1, ls=":")
        for m, scale in st["scale"].items():
            rec = METHODS[m]
            ax.plot(pair, scale, color=PALETTE[rec.color], ls=rec.linestyle, lw=3 if m != "default" else 2, label=m)
        ax.set_yscale("log", base=2)
        top = max(float(v.max()) for v in st["scale"].values())
        ticks = sorted({1.0, factor, top} | {2.0 ** j for j in range(1, int(math.log2(max(top, 2))) + 1)})
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_ylim(0.75, top * 2.2)
        ax.axhline(factor, color=GREY, lw=1, ls="--")
        ax.set_xlim(-0.5, pair[-1] + 0.5)
        ax.set_xlabel("pair index i (fast → slow)")
        ax.set_ylabel("scale factor θᵢ / θ'ᵢ (log scale)")
        # top axis: turns over the trained context at the pair index below
        top_ax = ax.twiny()
        top_ax.set_xlim(ax.get_xlim())
        marks = [r for r in (256.0, 32.0, 4.0, 1.0, 0.1) if 0 <= pair_at(r) <= pair[-1]]
        top_ax.set_xticks([pair_at(r) for r in marks], [f"{r:g}" for r in marks])
        top_ax.grid(False)
        top_ax.set_xlabel(f"turns over the trained {train_len} positions")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="method")
        fig.text(0.72, 0.12, "yarn: ramp from 32 turns to 1 turn\nllama3: blend from 4 turns to 1 turn\n"
                 "ntk: straight line on this scale\ndynamic: at the target length", fontsize=11, color=GREY,
                 va="bottom")
        fig.suptitle(f"Interpolate the low frequencies, extrapolate the high ones (factor {factor:g}, "
                     f"{st['target_len']} positions)", x=0.02, ha="left", fontsize=16)
    return fig


def frequency_scaling_figure(factor: float = 4.0, dim: int = 128, base: float = DEFAULT_BASE,
                             train_len: int = 4096, target_len: int | None = None,
                             methods: Sequence[str] = tuple(METHODS)):
    """Left: ``theta'_i / theta_i`` per pair for every method. Right: the angle of each pair at the target length."""
    target_len = int(round(train_len * factor)) if target_len is None else target_len
    profiles = {m: extension_state(m, factor, target_len, dim, base, train_len) for m in methods}
    fig = new_figure(14.0, 5.8)
    with style():
        ax1, ax2 = fig.subplots(1, 2)
        for m, st in profiles.items():
            kw = dict(color=PALETTE[METHODS[m].color], ls=METHODS[m].linestyle, lw=3 if m != "default" else 2,
                      label=m)
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
                         base: float = DEFAULT_BASE, train_len: int = 4096, methods: Sequence[str] = tuple(METHODS)):
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
            ax.plot(st["pair"], st["target_max_angle"], color=PALETTE[METHODS[m].color], lw=2.5,
                    label="target")
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
                # the first number that rounds to inf: the largest finite one plus half its spacing
                fi = torch.finfo(dt)
                limit = fi.max + 2.0 ** math.floor(math.log2(fi.max)) * fi.eps / 2
                ax1.axvline(limit, color=DTYPE_COLORS[name], lw=1.5, ls=":")
                ax1.text(limit, 0.3, f"{name} overflows: inf \nfrom {limit:.0f} on ",
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
