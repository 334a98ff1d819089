"""ipywidgets UIs: sliders wired to the pure plot functions of :mod:`ropelab.plots`."""
from ._core import InteractiveFigure, render_png
from .euler import rotation_widget

__all__ = ["InteractiveFigure", "render_png", "rotation_widget"]
from .rope2d import rope2d_widget; __all__ += ["rope2d_widget"]  # noqa: E402,E702
from .long_context import extension_widget; __all__ += ["extension_widget"]  # noqa: E402,E702
from .frequency import frequency_widget; __all__ += ["frequency_widget"]  # noqa: E402,E702
