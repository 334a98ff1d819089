"""The context-extension widget: pick a method, a scale factor and a target length."""
from __future__ import annotations

import ipywidgets as widgets

from ..plots.long_context import (
    EXTENSION_FIGSIZE,
    draw_extension,
    extension_readout,
    extension_state,
    update_extension,
)
from ..scaling import METHODS
from ._core import InteractiveFigure

__all__ = ["extension_widget", "TARGET_LENGTHS"]

TARGET_LENGTHS = tuple(2 ** p for p in range(10, 18))  # 1024 ... 131072
FACTOR_RANGE = (1.0, 32.0)
_LAYOUT = dict(layout=widgets.Layout(width="560px"), style={"description_width": "120px"})


def extension_widget(method: str = "yarn", factor: float = 4.0, target_len: int = 16384, dim: int = 128,
                     base: float = 10000.0, train_len: int = 4096) -> InteractiveFigure:
    """A dropdown for the method and sliders for the factor and the target length.

    Left: the wavelength of every pair before (grey) and after scaling, against the
    trained and the target length. Right: the largest angle each pair reaches in training
    (grey) and at the target length; red dots mark pairs that meet angles they never saw.
    ``dim``, ``base`` and ``train_len`` are fixed for the widget's lifetime; ``factor`` must lie
    in [1, 32] and ``target_len`` be one of ``TARGET_LENGTHS`` (the slider ranges).
    """
    state = extension_state(method, factor, target_len, dim, base, train_len)  # validates the arguments
    if not FACTOR_RANGE[0] <= state["factor"] <= FACTOR_RANGE[1]:
        raise ValueError(f"factor must be in [{FACTOR_RANGE[0]:g}, {FACTOR_RANGE[1]:g}] for the slider; got {factor}")
    if target_len not in TARGET_LENGTHS:
        raise ValueError(f"target_len must be one of {', '.join(map(str, TARGET_LENGTHS))}; got {target_len}")
    controls = {
        "method": widgets.Dropdown(options=list(METHODS), value=method, description="method", **_LAYOUT),
        "factor": widgets.FloatSlider(value=factor, min=FACTOR_RANGE[0], max=FACTOR_RANGE[1], step=0.5,
                                      description="scale factor s",
                                      continuous_update=True, readout_format=".1f", **_LAYOUT),
        "target_len": widgets.SelectionSlider(options=list(TARGET_LENGTHS), value=target_len,
                                              description="target length", continuous_update=True, **_LAYOUT),
    }

    def compute(method, factor, target_len):
        return extension_state(method, factor, target_len, dim, base, train_len)

    return InteractiveFigure(controls, compute, draw_extension, update_extension, extension_readout,
                             figsize=EXTENSION_FIGSIZE, name="extension_widget")
