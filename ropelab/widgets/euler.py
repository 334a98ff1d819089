"""The rotation widget: drag theta and watch ``z * e^{i theta}`` turn around the origin."""
from __future__ import annotations

import ipywidgets as widgets

from ..plots.euler import FIGSIZE, draw_rotation, rotation_readout, rotation_state, update_rotation
from ._core import InteractiveFigure

__all__ = ["rotation_widget"]

_SLIDER = dict(continuous_update=True, layout=widgets.Layout(width="520px"),
               style={"description_width": "110px"})


def rotation_widget(theta_deg: float = 60.0, x: float = 1.0, y: float = 0.5) -> InteractiveFigure:
    """Sliders for the angle theta (degrees) and the vector ``z = x + iy``.

    The figure shows ``z``, ``e^{i theta}`` on the unit circle and the rotated
    ``z * e^{i theta}``; the readout prints the complex numbers and both lengths.
    """
    state = rotation_state(theta_deg, x, y)  # validates the arguments
    controls = {
        "theta_deg": widgets.FloatSlider(value=state["theta_deg"], min=-360.0, max=360.0, step=1.0,
                                         description="θ (degrees)", readout_format=".0f", **_SLIDER),
        "x": widgets.FloatSlider(value=x, min=-2.0, max=2.0, step=0.05, description="Re z = x", **_SLIDER),
        "y": widgets.FloatSlider(value=y, min=-2.0, max=2.0, step=0.05, description="Im z = y", **_SLIDER),
    }
    return InteractiveFigure(controls, rotation_state, draw_rotation, update_rotation, rotation_readout,
                             figsize=FIGSIZE, name="rotation_widget")
