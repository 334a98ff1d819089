"""Shared look of every ropelab figure: large fonts for a projector, colour-blind-safe colours.

Colours come from the Okabe-Ito palette. ``Q_COLOR`` and ``K_COLOR`` mean the
query and the key in every figure of the lab.
"""
from __future__ import annotations

import contextlib
import io

import matplotlib
from matplotlib.figure import Figure

__all__ = ["Q_COLOR", "K_COLOR", "PALETTE", "GREY", "new_figure", "style", "LabFigure"]

# Okabe & Ito, "Color Universal Design"
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
Q_COLOR = PALETTE["blue"]
K_COLOR = PALETTE["vermillion"]
GREY = "#7f7f7f"

RC = {
    "font.size": 14,
    "axes.titlesize": 16,
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}


@contextlib.contextmanager
def style():
    """Context manager applying the lab's matplotlib settings."""
    with matplotlib.rc_context(RC):
        yield


class LabFigure(Figure):
    """A matplotlib Figure that Jupyter displays as a PNG whatever backend is active.

    ropelab figures are standalone (not registered with pyplot), so they never pile up
    when a widget redraws, and a cell whose last expression is a figure shows it.
    """

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        with style():  # tick locators read rcParams at draw time
            self.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()


def new_figure(width: float = 7.0, height: float = 5.0, **kwargs) -> Figure:
    """A standalone :class:`LabFigure` (not tracked by pyplot) of the given size in inches."""
    with style():
        fig = LabFigure(figsize=(width, height), **kwargs)
    return fig
