"""The frequency explorer: move the base and the head dimension, watch theta_i and the decay bound."""
from __future__ import annotations

import math

import ipywidgets as widgets

from ..plots.rope_nd import FIGSIZE_FREQ, draw_frequency, frequency_readout, frequency_state, update_frequency
from ..rope import DEFAULT_BASE
from ._core import InteractiveFigure

__all__ = ["frequency_widget"]

_SLIDER = dict(continuous_update=True, layout=widgets.Layout(width="520px"),
               style={"description_width": "150px"})
BASE_RANGE = (1e2, 1e6)
DIM_RANGE = (8, 256)


def frequency_widget(base: float = DEFAULT_BASE, dim: int = 128) -> InteractiveFigure:
    """Sliders for the RoPE base (log scale, 100 to 1,000,000) and the head dimension d (8 to 256).

    Left: the frequencies ``theta_i = base^(-2i/d)`` on a log scale against ``2i/d``.
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
