"""Lesson 03, Euler's formula (``notebooks/03_euler_formula.ipynb``): multiplying by
``e^{i theta}`` rotates a 2-D vector, the step from rotations to RoPE.

RoPE's rotations are in the core (:func:`ropelab.rotation_matrix`, which takes a *position*,
:func:`ropelab.rope_complex`, :func:`ropelab.rotate_pairs`); this package holds

* ``rotation``: :func:`rotation_2d`, the 2x2 rotation by an *angle*;
* ``widget``: :func:`rotation_widget` (sliders for theta and ``z``) with its model:
  :func:`rotation_state` (the numbers), :func:`draw_rotation` (the complex plane, for the
  static figure) and :func:`rotation_readout` (the numbers as HTML); the page computes and
  draws the same in ``widget.js``;
* ``figures``: :func:`rotation_figure`, the same picture as a static figure with a panel
  of the numbers;
* ``exercises``: ``"03.rotate_points"``, ``"03.complex_to_matrix"`` and ``"03.matrix_to_complex"``, and the
  predictions ``"03.turned_length"`` and ``"03.transposed_view"``.
"""
from .figures import rotation_figure
from .rotation import rotation_2d
from .widget import draw_rotation, rotation_readout, rotation_state, rotation_widget

__all__ = ["rotation_2d", "rotation_figure", "rotation_widget", "rotation_state", "draw_rotation",
           "rotation_readout"]
