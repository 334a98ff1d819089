"""The context-extension widget: pick a method, a scale factor and a target length.

The widget and its model live here together: :func:`extension_state` (pure numbers, from
:func:`ropelab.scaling.extension_profile`), :func:`draw_extension` (the static figure,
:func:`extension_figure`), :func:`extension_readout` (the HTML lines under it) and
:func:`extension_widget` (an :class:`ExtensionWidget`), which ``widget.js`` computes and draws in
the browser, every method of :data:`ropelab.scaling.METHODS` ported, with :func:`extension_state`
as its Python reference.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch
import traitlets

from .._validate import check_choice, check_int, check_real
from ..common.figures import GREY, PALETTE, new_figure, style
from ..common.widgets import BrowserWidget
from ..rope import DEFAULT_BASE
from .scaling import METHODS, extension_profile

__all__ = [
    "EXTENSION_FIGSIZE",
    "TARGET_LENGTHS",
    "extension_state",
    "draw_extension",
    "extension_readout",
    "extension_figure",
    "extension_widget",
    "ExtensionWidget",
]

EXTENSION_FIGSIZE = (14.0, 5.8)
TARGET_LENGTHS = tuple(2 ** p for p in range(10, 18))  # 1024 ... 131072
FACTOR_RANGE = (1.0, 32.0)

# fixed axis limits of the widget figure (so a slider move never needs a full redraw)
_WAVE_YLIM = (3.0, 2e8)
_ANGLE_YLIM = (1e-3, 1e6)


# ---------------------------------------------------------------------------
# the model: wavelengths and the largest angles, before and after scaling
# ---------------------------------------------------------------------------

def extension_state(method: str = "yarn", factor: float = 4.0, target_len: int = 16384, dim: int = 128,
                    base: float = DEFAULT_BASE, train_len: int = 4096) -> dict[str, Any]:
    """Numbers behind the extension picture: :func:`ropelab.scaling.extension_profile` as numpy arrays."""
    method = check_choice(method, "method", tuple(METHODS))
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
    color = PALETTE[METHODS[state["method"]].color]
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
    ax2.axhline(2 * math.pi, color=PALETTE["black"], lw=1.2, ls="--")
    ax2.text(0.5, 2 * math.pi * 1.3, "one full turn 2π", ha="left", fontsize=12)
    unseen = state["unseen_pairs"]
    h["unseen"] = ax2.scatter(pair[unseen], state["target_max_angle"][unseen], s=40, color=PALETTE["vermillion"],
                              zorder=3, label="unseen angles")
    ax2.set_xlabel("pair index i (fast → slow)")
    ax2.set_ylabel("angle (radians)")
    ax2.legend(loc="upper right", frameon=False)
    left, right = _extension_titles(state)
    h["title1"] = ax1.set_title(left)
    h["title2"] = ax2.set_title(right)
    return h


def extension_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: the method's parameters, how much the fastest and slowest pairs slow down
    (the page's readout, ``widget.js``, shows the same numbers)."""
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
# the widget
# ---------------------------------------------------------------------------

def _widget_state(method: str, factor: float, target_len: int, dim: int, base: float,
                  train_len: int) -> dict[str, Any]:
    """:func:`extension_state`, and the slider ranges: a value outside them is refused, not clamped."""
    state = extension_state(method, factor, target_len, dim, base, train_len)  # validates the arguments
    if not FACTOR_RANGE[0] <= state["factor"] <= FACTOR_RANGE[1]:
        raise ValueError(f"factor must be in [{FACTOR_RANGE[0]:g}, {FACTOR_RANGE[1]:g}] for the slider; got {factor}")
    if target_len not in TARGET_LENGTHS:
        raise ValueError(f"target_len must be one of {', '.join(map(str, TARGET_LENGTHS))}; got {target_len}")
    return state


class ExtensionWidget(BrowserWidget):
    """A dropdown for the method, sliders for the factor and the target length; the page computes
    and draws (``widget.js``), Python checks: ``state`` is :func:`extension_state`, ``numbers()``
    the readout. ``fixed`` holds ``dim``, ``base`` and ``train_len``."""

    _package = __package__
    _widget_name = "extension_widget"
    _controls = ("method", "factor", "target_len")

    method = traitlets.Unicode("yarn").tag(sync=True)
    factor = traitlets.Float(4.0).tag(sync=True)
    target_len = traitlets.Int(16384).tag(sync=True)

    def __init__(self, dim: int = 128, base: float = DEFAULT_BASE, train_len: int = 4096, **kwargs):
        super().__init__(fixed={"dim": dim, "base": float(base), "train_len": train_len}, **kwargs)

    def compute(self, method: str, factor: float, target_len: int) -> dict[str, Any]:
        return _widget_state(method, factor, target_len, **self.fixed)

    @traitlets.validate("method", "factor", "target_len")
    def _valid(self, proposal):
        self._refuse(proposal["trait"].name, proposal["value"])
        return proposal["value"]

    def numbers(self, values: Mapping[str, Any] | None = None) -> dict[str, float]:
        s = self._state_for(values)
        out = {f"param_{k}": v for k, v in s["params"].items()}
        out.update({"dim": s["dim"], "base": s["base"], "train_len": s["train_len"], "target_len": s["target_len"],
                    "fastest_ratio": s["fastest_ratio"], "slowest_ratio": s["slowest_ratio"],
                    "inv_factor": 1 / s["factor"], "attention_factor": s["attention_factor"],
                    "n_unseen": s["n_unseen"], "pairs": s["dim"] // 2})
        return out


def extension_widget(method: str = "yarn", factor: float = 4.0, target_len: int = 16384, dim: int = 128,
                     base: float = DEFAULT_BASE, train_len: int = 4096) -> ExtensionWidget:
    """A dropdown for the method and sliders for the factor and the target length.

    Left: the wavelength of every pair before (grey) and after scaling, against the
    trained and the target length. Right: the largest angle each pair reaches in training
    (grey) and at the target length; red dots mark pairs that meet angles they never saw.
    ``dim``, ``base`` and ``train_len`` are fixed for the widget's lifetime; ``factor`` must lie
    in [1, 32] and ``target_len`` be one of ``TARGET_LENGTHS`` (the slider ranges). Everything
    is computed and drawn in the browser; ``widget.method = "ntk"`` moves it from Python.
    """
    state = _widget_state(method, factor, target_len, dim, base, train_len)  # validates before any widget exists
    return ExtensionWidget(dim=state["dim"], base=state["base"], train_len=state["train_len"],
                           method=state["method"], factor=state["factor"], target_len=state["target_len"])
