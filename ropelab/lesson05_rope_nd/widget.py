"""The frequency explorer: move the base and the head dimension, watch theta_j and the decay bound.

One widget, one file: the pure model (:func:`frequency_state`, numbers only), the drawing
(:func:`draw_frequency`, :func:`update_frequency`), the HTML readout (:func:`frequency_readout`)
and the widget itself (:func:`frequency_widget`), which redraws on every slider move. The same
picture as a plain figure is :func:`ropelab.lesson05_rope_nd.figures.frequency_figure`.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import ipywidgets as widgets
import numpy as np
import torch

from .._validate import check_base, check_even_dim
from ..common.figures import GREY, K_COLOR, Q_COLOR
from ..common.widgets import InteractiveFigure
from ..rope import DEFAULT_BASE, inv_freq
from .decay import decay_bound

__all__ = [
    "frequency_widget",
    "frequency_state",
    "draw_frequency",
    "update_frequency",
    "frequency_readout",
    "FIGSIZE_FREQ",
]


# ---------------------------------------------------------------------------
# the pure model and its drawing
# ---------------------------------------------------------------------------

FIGSIZE_FREQ = (13.0, 5.4)
THETA_YLIM = (3e-7, 2.0)
DISTANCE_MAX = 4096
FAR = (1024, 4096)  # the readout averages the bound over this range of distances


def _decay_distances() -> np.ndarray:
    # dense near 0, sparser further out: every distance to 64, then a log-spaced grid
    far = np.unique(np.round(np.logspace(np.log10(64), np.log10(DISTANCE_MAX), 300)).astype(int))
    return np.concatenate([np.arange(0, 64), far[far > 63]])


_DISTANCES = _decay_distances()


def frequency_state(base: float = DEFAULT_BASE, dim: int = 128) -> dict[str, Any]:
    """Numbers behind the frequency explorer for a given ``base`` and ``dim``.

    Returns ``pair_frac = 2j/d``, ``theta`` (``ropelab.inv_freq``), ``wavelength``,
    ``distances`` and ``bound``: :func:`ropelab.lesson05_rope_nd.decay.decay_bound` divided by its value at
    distance 0, ``(d/2 + 1)/2``, so every curve starts at 1. ``half_distance`` is the first
    distance where the normalised bound drops below 1/2; ``far_mean`` its average over the
    grid distances in ``FAR`` (the wiggles make a single distance a poor summary).
    """
    base = check_base(base, "base")
    dim = check_even_dim(dim, "dim")
    theta = inv_freq(dim, base).double().numpy()
    raw = decay_bound(torch.from_numpy(_DISTANCES), dim, base).numpy()
    bound = raw / ((dim // 2 + 1) / 2)
    below = np.nonzero(bound < 0.5)[0]
    return {
        "base": base, "dim": dim, "pairs": dim // 2,
        "pair_frac": np.arange(0, dim, 2) / dim,
        "theta": theta,
        "wavelength": 2 * np.pi / theta,
        "distances": _DISTANCES,
        "bound": bound,
        "half_distance": int(_DISTANCES[below[0]]) if len(below) else None,
        "far_mean": float(bound[(_DISTANCES >= FAR[0]) & (_DISTANCES <= FAR[1])].mean()),
    }


def _freq_titles(state: Mapping[str, Any]) -> tuple[str, str]:
    return (f"base = {state['base']:,.0f}, d = {state['dim']}: {state['pairs']} frequencies",
            "Relative upper bound, 1 at distance 0")


def draw_frequency(fig, state: Mapping[str, Any]) -> dict[str, Any]:
    """Left: ``theta_j`` against ``2j/d`` (log scale). Right: the normalised decay bound."""
    h: dict[str, Any] = {}
    ax = fig.add_axes((0.07, 0.14, 0.38, 0.74))
    h["ax"] = ax
    ax.set_yscale("log")
    ax.set_xlim(-0.02, 1.0)
    ax.set_ylim(*THETA_YLIM)
    ax.set_xlabel("pair position 2j/d")
    ax.set_ylabel(r"frequency $\theta_j$ (rad / position)")
    ref = frequency_state() if (state["base"], state["dim"]) != (DEFAULT_BASE, 128) else state
    ax.plot(ref["pair_frac"], ref["theta"], color=GREY, lw=1.2, alpha=0.7, label="base 10,000, d = 128")
    (h["theta"],) = ax.plot(state["pair_frac"], state["theta"], "o-", color=Q_COLOR, ms=3, lw=1.5,
                            label="current")
    ax.legend(loc="lower left", fontsize=11, frameon=True, framealpha=0.9)
    h["title"] = ax.set_title(_freq_titles(state)[0], fontsize=15)
    ax2 = fig.add_axes((0.56, 0.14, 0.41, 0.74))
    h["ax2"] = ax2
    ax2.set_xscale("symlog", linthresh=10, linscale=0.6)
    ax2.set_xlim(0, DISTANCE_MAX)
    ax2.set_ylim(0, 1.05)
    ax2.set_xlabel("relative distance |m − n| (symlog)")
    ax2.set_ylabel("bound / bound at 0")
    ax2.plot(ref["distances"], ref["bound"], color=GREY, lw=1.2, alpha=0.7)
    (h["bound"],) = ax2.plot(state["distances"], state["bound"], color=K_COLOR, lw=2)
    ax2.axhline(0.5, color=GREY, lw=1, ls="--")
    x_half = state["half_distance"] if state["half_distance"] is not None else float("nan")
    (h["half"],) = ax2.plot([x_half], [0.5], "o", color="black", ms=8)
    ax2.set_title(_freq_titles(state)[1], fontsize=15)
    return h


def update_frequency(h: Mapping[str, Any], state: Mapping[str, Any]) -> None:
    """Move the artists of :func:`draw_frequency` to a new state (axis limits stay fixed)."""
    h["theta"].set_data(state["pair_frac"], state["theta"])
    h["bound"].set_ydata(state["bound"])
    x_half = state["half_distance"] if state["half_distance"] is not None else float("nan")
    h["half"].set_data([x_half], [0.5])
    h["title"].set_text(_freq_titles(state)[0])


def frequency_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: pair count, fastest and slowest frequency and wavelength, where the bound halves."""
    th, wl = state["theta"], state["wavelength"]
    half = (f"{state['half_distance']:,}" if state["half_distance"] is not None
            else f"beyond {DISTANCE_MAX:,}")
    return (
        "<div style='font-size:1.25em; font-family:monospace; line-height:1.55'>"
        f"base = {state['base']:,.0f} &nbsp; d = {state['dim']} &nbsp; pairs d/2 = {state['pairs']}<br>"
        f"fastest θ<sub>0</sub> = {th[0]:.4g} (wavelength {wl[0]:.2f} positions) &nbsp; "
        f"slowest θ<sub>{state['pairs'] - 1}</sub> = {th[-1]:.4g} (wavelength {wl[-1]:,.0f} positions)<br>"
        f"bound falls below half of its distance-0 value at distance {half}; "
        f"its average over distances {FAR[0]:,} to {FAR[1]:,} is {state['far_mean']:.3f}"
        "</div>"
    )


# ---------------------------------------------------------------------------
# the widget
# ---------------------------------------------------------------------------

_SLIDER = dict(continuous_update=True, layout=widgets.Layout(width="520px"),
               style={"description_width": "150px"})
BASE_RANGE = (1e2, 1e6)
DIM_RANGE = (8, 256)


def frequency_widget(base: float = DEFAULT_BASE, dim: int = 128) -> InteractiveFigure:
    """Sliders for the RoPE base (log scale, 100 to 1,000,000) and the head dimension d (8 to 256).

    Left: the frequencies ``theta_j = base^(-2j/d)`` on a log scale against ``2j/d``.
    Right: the RoFormer relative upper bound against distance, divided by its value at
    distance 0. The grey curves are base 10,000 and d = 128 for comparison. The readout gives
    the fastest and slowest frequency with their wavelengths and where the bound halves.
    """
    state = frequency_state(base, dim)  # validates the arguments
    if not BASE_RANGE[0] <= state["base"] <= BASE_RANGE[1]:
        raise ValueError(f"base must be in [{BASE_RANGE[0]:g}, {BASE_RANGE[1]:g}] for the slider; got {base}")
    if not DIM_RANGE[0] <= state["dim"] <= DIM_RANGE[1]:
        raise ValueError(f"dim must be in [{DIM_RANGE[0]}, {DIM_RANGE[1]}] for the slider; got {dim}")
    controls = {
        "base": widgets.FloatLogSlider(value=state["base"], base=10, min=math.log10(BASE_RANGE[0]),
                                       max=math.log10(BASE_RANGE[1]), step=0.05, description="base",
                                       readout_format=",.0f", **_SLIDER),
        "dim": widgets.IntSlider(value=state["dim"], min=DIM_RANGE[0], max=DIM_RANGE[1], step=2,
                                 description="head dim d", **_SLIDER),
    }
    return InteractiveFigure(controls, frequency_state, draw_frequency, update_frequency, frequency_readout,
                             figsize=FIGSIZE_FREQ, name="frequency_widget")
