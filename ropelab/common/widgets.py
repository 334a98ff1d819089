"""The one pattern every ropelab widget follows: sliders -> pure state -> figure -> PNG.

A widget is three plain functions wired to controls:

* ``compute(**values) -> state``: pure; turns slider values into the numbers to show.
* ``draw(fig, state) -> handles``: draws the figure once and returns the artists to update.
* ``update(handles, state)``: moves those artists to a new state. Returning ``True``
  asks for a full redraw (e.g. when axis limits changed); otherwise only the
  artists in ``handles`` are redrawn over a cached background (blitting), which
  keeps a slider move well under 50 ms.

A value that ``compute`` (or drawing) refuses, e.g. a NaN set from code, does not
leave the widget broken: the controls go back to the last values that worked, the
figure and readout show those again with the reason in red under the readout, and the
error is raised to whoever set the value.

Tests call ``compute`` and the widget directly (set ``widget.controls[name].value``
and read ``widget.state`` / ``widget.readout.value``), so nothing needs a browser.
The figure is a standalone matplotlib figure rendered to PNG into an
``ipywidgets.Image``: it works the same in JupyterLab, Voila and a static export.
"""
from __future__ import annotations

import html
import io
import time
from typing import Any, Callable, Mapping

import ipywidgets as widgets
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image as _PILImage

from .figures import new_figure, style

__all__ = ["InteractiveFigure"]


def _canvas_png(canvas: FigureCanvasAgg) -> bytes:
    """PNG bytes of what the Agg canvas holds now (fast zlib level: the image is re-sent often)."""
    w, h = canvas.get_width_height()
    img = _PILImage.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    img = img.convert("RGB")  # the figure is opaque; 3 channels encode about twice as fast
    buf = io.BytesIO()
    img.save(buf, format="png", compress_level=1)
    return buf.getvalue()


def _artists(handles: Any) -> list[Artist]:
    """Every matplotlib artist found in ``handles`` (a dict, list or single artist), axes excluded."""
    from matplotlib.axes import Axes

    found: list[Artist] = []
    items = handles.values() if isinstance(handles, Mapping) else (
        handles if isinstance(handles, (list, tuple)) else [handles])
    for item in items:
        if isinstance(item, (Mapping, list, tuple)):
            found.extend(_artists(item))
        elif isinstance(item, Artist) and not isinstance(item, Axes):
            found.append(item)
    return found


class InteractiveFigure(widgets.VBox):
    """Controls, a figure and an HTML readout, redrawn whenever a control moves.

    Attributes useful in tests and notebooks:

    * ``controls``: dict name -> control widget (set ``.value`` to move a slider).
    * ``state``: what ``compute`` returned for the current values.
    * ``readout``: the ``ipywidgets.HTML`` under the figure.
    * ``figure``: the matplotlib figure; ``image``: the ``ipywidgets.Image`` showing it.
    * ``redraw_ms``: wall time of every redraw so far, in milliseconds.
    """

    def __init__(
        self,
        controls: Mapping[str, widgets.ValueWidget],
        compute: Callable[..., Mapping[str, Any]],
        draw: Callable[[Any, Mapping[str, Any]], Any],
        update: Callable[[Any, Mapping[str, Any]], None] | None = None,
        readout: Callable[[Mapping[str, Any]], str] | None = None,
        figsize: tuple[float, float] = (7.0, 6.0),
        name: str = "InteractiveFigure",
        layout_controls: str = "vertical",
    ):
        self.controls = dict(controls)
        self._compute = compute
        self._draw = draw
        self._update = update
        self._readout_fn = readout
        self._name = name
        self.redraw_ms: list[float] = []
        self._reverting = False
        self.figure = new_figure(*figsize)
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="auto", max_width="100%"))
        self.readout = widgets.HTML(layout=widgets.Layout(min_height="2em"))
        self._good_values = self.values()
        self.state = compute(**self._good_values)
        self._canvas = FigureCanvasAgg(self.figure)
        self._background = None
        with style():  # tick locators read the font size at draw time: draw and render in style
            self._handles = draw(self.figure, self.state)
            self.image.value = self._render(full=True)
        self.readout.value = readout(self.state) if readout else ""
        box = widgets.VBox if layout_controls == "vertical" else widgets.HBox
        control_box = box(list(self.controls.values()))
        super().__init__([control_box, self.image, self.readout])
        for control in self.controls.values():
            control.observe(self._on_value, names="value")

    def values(self) -> dict[str, Any]:
        """Current value of every control, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def _on_value(self, change) -> None:
        if not self._reverting:  # putting the last good values back must not redraw once per control
            self.on_control_change(change)

    def on_control_change(self, change=None) -> None:
        """Called with the traitlets ``change`` dict when any control moves; redraws.

        Subclasses override it to couple controls (e.g. move two sliders together)
        and then call :meth:`refresh` once.
        """
        self.refresh()

    def refresh(self) -> None:
        """Recompute the state and redraw (called automatically when a control moves).

        If the new values are refused, the widget returns to the last good values
        (see :meth:`_recover`) and the error is raised.
        """
        t0 = time.perf_counter()
        values = self.values()
        try:
            self._redraw(values)
        except Exception as err:
            self._recover(err)
            raise
        self._good_values = values
        self.redraw_ms.append((time.perf_counter() - t0) * 1000.0)

    def _redraw(self, values: Mapping[str, Any]) -> None:
        self.state = self._compute(**values)
        with style():
            if self._update is not None:
                full = bool(self._update(self._handles, self.state))
            else:
                self.figure.clear()
                self._handles = self._draw(self.figure, self.state)
                full = True
            png = self._render(full)
        if self._readout_fn is not None:
            self.readout.value = self._readout_fn(self.state)
        self.image.value = png

    def _recover(self, err: Exception) -> None:
        """Put the controls back to the last good values, redraw those in full and say why in the readout."""
        self._reverting = True
        try:
            for name, value in self._good_values.items():
                if self.controls[name].value != value:  # NaN differs from everything, itself included
                    self.controls[name].value = value
        finally:
            self._reverting = False
        self.state = self._compute(**self._good_values)
        with style():
            self.figure.clear()
            self._handles = self._draw(self.figure, self.state)
            self.image.value = self._render(full=True)
        readout = self._readout_fn(self.state) if self._readout_fn is not None else ""
        self.readout.value = (readout + "<div style='color:#b00020'>⚠ not applied: "
                              f"{html.escape(str(err))}. Back to the last values that worked.</div>")

    def _render(self, full: bool) -> bytes:
        """Draw the figure into the Agg canvas and return it as PNG.

        With an ``update`` function, the artists in the handles are *animated*: the
        static rest of the figure is drawn once and cached, and a slider move only
        restores that background and draws the moving artists on top.
        """
        moving = _artists(self._handles) if self._update is not None else []
        if full or self._background is None:
            for a in moving:
                a.set_animated(True)
            self._canvas.draw()  # draws everything that is not animated
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
        else:
            self._canvas.restore_region(self._background)
        renderer = self._canvas.get_renderer()
        for a in moving:
            a.draw(renderer)
        return _canvas_png(self._canvas)

    def __repr__(self) -> str:  # short and deterministic: stored notebook outputs show it
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.values().items())
        return f"{self._name}({args})"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v)
