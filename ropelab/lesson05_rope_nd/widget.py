"""The frequency explorer: move the base and the head dimension, watch theta_j and the decay bound.

One widget, one file: the pure model (:func:`frequency_state`, numbers only), the drawing of the
static figure (:func:`draw_frequency`, used by
:func:`ropelab.lesson05_rope_nd.figures.frequency_figure`), the HTML readout
(:func:`frequency_readout`) and the widget itself
(:func:`frequency_widget`, a :class:`FrequencyWidget`), which ``widget.js`` computes and draws in
the browser with :func:`frequency_state` as its Python reference.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
import traitlets

from .._validate import check_base, check_even_dim
from ..common.figures import GREY, K_COLOR, Q_COLOR
from ..common.widgets import BrowserWidget
from ..rope import DEFAULT_BASE, inv_freq
from .decay import decay_bound

__all__ = [
    "frequency_widget",
    "FrequencyWidget",
    "frequency_state",
    "draw_frequency",
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


def frequency_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: pair count, fastest and slowest frequency and wavelength, where the bound halves
    (the page's readout, ``widget.js``, shows the same numbers)."""
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

BASE_RANGE = (1e2, 1e6)
DIM_RANGE = (8, 256)


class FrequencyWidget(BrowserWidget):
    """Sliders for the base (log scale) and the head dimension d; the page computes and draws
    (``widget.js``), Python checks: ``state`` is :func:`frequency_state`, ``numbers()`` the readout.

    ``fixed`` holds the grid of distances the bound is evaluated at, the averaging range ``FAR``
    and ``DISTANCE_MAX``, so the page evaluates the same points as :func:`frequency_state`.
    """

    _package = __package__
    _widget_name = "frequency_widget"
    _controls = ("base", "dim")

    base = traitlets.Float(DEFAULT_BASE).tag(sync=True)
    dim = traitlets.Int(128).tag(sync=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("fixed", {"distances": [int(d) for d in _DISTANCES], "far": list(FAR),
                                    "distance_max": DISTANCE_MAX})
        super().__init__(**kwargs)

    def compute(self, base: float, dim: int) -> dict[str, Any]:
        state = frequency_state(base, dim)  # validates the arguments
        if not BASE_RANGE[0] <= state["base"] <= BASE_RANGE[1]:
            raise ValueError(f"base must be in [{BASE_RANGE[0]:g}, {BASE_RANGE[1]:g}] for the slider; got {base}")
        if not DIM_RANGE[0] <= state["dim"] <= DIM_RANGE[1]:
            raise ValueError(f"dim must be in [{DIM_RANGE[0]}, {DIM_RANGE[1]}] for the slider; got {dim}")
        return state

    @traitlets.validate("base", "dim")
    def _valid(self, proposal):
        self._refuse(proposal["trait"].name, proposal["value"])
        return proposal["value"]

    def numbers(self, values: Mapping[str, Any] | None = None) -> dict[str, float]:
        s = self._state_for(values)
        th, wl = s["theta"], s["wavelength"]
        out = {"base": s["base"], "dim": s["dim"], "pairs": s["pairs"],
               "fast_theta": float(th[0]), "fast_wavelength": float(wl[0]),
               "slow_index": s["pairs"] - 1, "slow_theta": float(th[-1]), "slow_wavelength": float(wl[-1]),
               "far_lo": FAR[0], "far_hi": FAR[1], "far_mean": s["far_mean"]}
        if s["half_distance"] is None:
            out["distance_max"] = DISTANCE_MAX
        else:
            out["half_distance"] = s["half_distance"]
        return out


def frequency_widget(base: float = DEFAULT_BASE, dim: int = 128) -> FrequencyWidget:
    """Sliders for the RoPE base (log scale, 100 to 1,000,000) and the head dimension d (8 to 256).

    Left: the frequencies ``theta_j = base^(-2j/d)`` on a log scale against ``2j/d``.
    Right: the RoFormer relative upper bound against distance, divided by its value at
    distance 0. The grey curves are base 10,000 and d = 128 for comparison. The readout gives
    the fastest and slowest frequency with their wavelengths and where the bound halves.
    A value outside the slider range is refused, not clamped. Everything is computed and drawn
    in the browser; ``widget.base = 500_000`` moves it from Python.
    """
    state = FrequencyWidget.compute(None, base, dim)  # validates the arguments before any widget exists
    return FrequencyWidget(base=state["base"], dim=state["dim"])
