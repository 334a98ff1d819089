"""Euler's formula (欧拉公式) as a picture: multiplying by e^{i theta} rotates a 2-D vector.

:func:`rotation_figure` is what :func:`ropelab.lesson03_euler_formula.widget.rotation_widget`
shows, as a plain figure with a panel of the numbers; the state and the drawing it uses
live with the widget (``widget.py``), so the figure, the widget and the tests share the
same numbers.
"""
from __future__ import annotations

from ..common.figures import new_figure, style
from .widget import FIGSIZE, draw_rotation, rotation_state

__all__ = ["rotation_figure"]


def rotation_figure(theta_deg: float = 60.0, x: float = 1.0, y: float = 0.5):
    """The rotation picture as a plain figure (what the widget shows at these values)."""
    state = rotation_state(theta_deg, x, y)
    fig = new_figure(*FIGSIZE)
    with style():
        draw_rotation(fig, state)
    return fig
