"""Every widget of the course, by the name the notebooks use (each lives with its lesson)."""
from .lesson03_euler_formula.widget import rotation_widget
from .lesson04_rope_2d.widget import rope2d_widget
from .lesson05_rope_nd.widget import frequency_widget
from .lesson08_long_context.widget import extension_widget

__all__ = ["rotation_widget", "rope2d_widget", "frequency_widget", "extension_widget"]
