"""The rotation widget: drag theta and watch ``z * e^{i theta}`` turn around the origin."""
from __future__ import annotations

import ipywidgets as widgets

from ..plots.euler import (SLIDER_LIMIT, WIDGET_FIGSIZE, draw_rotation_widget, rotation_readout,
                           rotation_state, update_rotation)
from ._core import InteractiveFigure

__all__ = ["rotation_widget"]

_SLIDER = dict(continuous_update=True, layout=widgets.Layout(width="520px"),
               style={"description_width": "110px"})


def rotation_widget(theta_deg: float = 60.0, x: float = 1.0, y: float = 0.5) -> InteractiveFigure:
    """Sliders for the angle theta (degrees) and the vector ``z = x + iy``.

    The figure shows ``z``, ``e^{i theta}`` on the unit circle and the rotated
    ``z * e^{i theta}``; the readout prints the complex numbers, both lengths and the
    same product written with the rotation matrix. ``x`` and ``y`` must lie in
    [-1.5, 1.5] (the slider range, which keeps every arrow inside the plot).
    """
    state = rotation_state(theta_deg, x, y)  # validates the arguments
    for name, v in (("x", state["z"].real), ("y", state["z"].imag)):
        if abs(v) > SLIDER_LIMIT:
            raise ValueError(f"{name} must lie in [-{SLIDER_LIMIT}, {SLIDER_LIMIT}] (the slider range); got {v}")
    if abs(state["theta_deg"]) > 360:
        raise ValueError(f"theta_deg must lie in [-360, 360] (the slider range); got {state['theta_deg']}")
    controls = {
        "theta_deg": widgets.FloatSlider(value=state["theta_deg"], min=-360.0, max=360.0, step=1.0,
                                         description="θ (degrees)", readout_format=".0f", **_SLIDER),
        "x": widgets.FloatSlider(value=state["z"].real, min=-SLIDER_LIMIT, max=SLIDER_LIMIT, step=0.05,
                                 description="Re z = x", **_SLIDER),
        "y": widgets.FloatSlider(value=state["z"].imag, min=-SLIDER_LIMIT, max=SLIDER_LIMIT, step=0.05,
                                 description="Im z = y", **_SLIDER),
    }
    return InteractiveFigure(controls, rotation_state, draw_rotation_widget, update_rotation, rotation_readout,
                             figsize=WIDGET_FIGSIZE, name="rotation_widget")
