"""Lesson 03, Euler's formula (``notebooks/03_euler_formula.ipynb``): multiplying by
``e^{i theta}`` rotates a 2-D vector, the step from rotations to RoPE.

The rotations themselves are in the core (:func:`ropelab.rotation_matrix`,
:func:`ropelab.rope_complex`, :func:`ropelab.rotate_pairs`); this package holds

* ``widget``: :func:`rotation_widget` (sliders for theta and ``z``) with its model:
  :func:`rotation_state` (the numbers), :func:`draw_rotation` / :func:`update_rotation`
  (the complex plane) and :func:`rotation_readout` (the HTML under it);
* ``figures``: :func:`rotation_figure`, the same picture as a static figure with a panel
  of the numbers;
* ``exercises``: ``"03.rotate_points"``, ``"03.complex_to_matrix"`` and ``"03.matrix_to_complex"``.
"""
from .figures import rotation_figure
from .widget import draw_rotation, rotation_readout, rotation_state, rotation_widget, update_rotation

__all__ = ["rotation_figure", "rotation_widget", "rotation_state", "draw_rotation", "update_rotation",
           "rotation_readout"]
