"""Lesson 08, longer contexts and precision (``notebooks/08_long_context.ipynb``).

* ``scaling``: context extension. One registry, :data:`~.scaling.METHODS`, of one
  :class:`~.scaling.Method` record per method (default, linear, ntk, dynamic, yarn, llama3):
  its parameters, its frequency function, its ``transformers`` rope type, its colour.
  :func:`~.scaling.scaled_inv_freq`, :func:`~.scaling.scaled_angles` and
  :func:`~.scaling.apply_scaled_rope` apply a method; :func:`~.scaling.transformers_inv_freq`
  asks the installed ``transformers`` for the same numbers; :func:`~.scaling.extension_profile`
  measures what a method does beyond the trained length. Also ``ropelab.scaling``.
* ``precision``: the angle table in bfloat16 / float16 (:func:`~.precision.angle_table`,
  :func:`~.precision.angle_error`, :func:`~.precision.distinct_positions`,
  :func:`~.precision.scores_at_distance`) and the fix, :func:`~.precision.cos_sin_table`
  (also re-exported by ``scaling``).
* ``widget``: :func:`extension_widget` (method, scale factor, target length) with its model
  (``extension_state``, ``draw_extension``, ``extension_readout``; the page computes and draws
  it in ``widget.js``) and
  :func:`extension_figure`, the same picture as a plain figure.
* ``figures``: every method as one rule, the per-pair scale factor
  (:func:`interpolate_extrapolate_figure`, from :func:`interpolation_state`), every method side by side
  (:func:`frequency_scaling_figure`, :func:`unseen_angles_figure`) and the precision figures (:func:`precision_figure`,
  :func:`collapse_figure`, :func:`position_error_figure`).
* ``exercises``: ``08.interpolated_angles``, ``08.ntk_inv_freq``, ``08.safe_cos_sin``, and the
  predictions ``08.ntk_exponent`` and ``08.bf16_first_collision``.
"""
from . import precision, scaling
from .figures import (
    collapse_figure,
    frequency_scaling_figure,
    interpolate_extrapolate_figure,
    interpolation_state,
    position_error_figure,
    precision_figure,
    unseen_angles_figure,
)
from .widget import extension_figure, extension_widget

__all__ = [
    "scaling",
    "precision",
    "extension_widget",
    "extension_figure",
    "frequency_scaling_figure",
    "interpolate_extrapolate_figure",
    "interpolation_state",
    "unseen_angles_figure",
    "precision_figure",
    "collapse_figure",
    "position_error_figure",
]
