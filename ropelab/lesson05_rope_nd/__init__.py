"""Lesson 05, RoPE in d dimensions (``notebooks/05_rope_nd.ipynb``): pairs and frequencies, the
block-diagonal rotation, the efficient elementwise form, and the long-term decay (远程衰减).

The scores themselves (:func:`~ropelab.lesson04_rope_2d.rope_score`,
:func:`~ropelab.lesson04_rope_2d.relative_score`) come from lesson 04; the RoPE forms from
the core, :mod:`ropelab.rope`.

* :mod:`.decay`: the decay bound (:func:`partial_sums`, :func:`decay_bound`,
  :func:`score_bound`), the measured decay (:func:`mean_abs_score`), and the cost of the dense
  matrix form (:func:`rope_op_counts`, :func:`rope_traffic`, :func:`measure_rope_cost`).
* :mod:`.figures`: :func:`rotation_matrix_figure`, :func:`frequencies_figure`,
  :func:`angle_table_figure`, :func:`decay_state` and :func:`decay_figure`,
  :func:`op_count_figure`, :func:`frequency_figure`.
* :mod:`.widget`: :func:`frequency_widget` (also in :mod:`ropelab.widgets`) with its pure model
  :func:`frequency_state`, its drawing and its readout.
* :mod:`.exercises`: the exercises ``05.rope_elementwise``, ``05.rotation_matrix`` and
  ``05.relative_property`` and the predictions ``05.nonzero_entries`` and ``05.random_qk_decay``,
  registered with :func:`ropelab.exercises.check`.
"""
from .decay import (
    decay_bound,
    mean_abs_score,
    measure_rope_cost,
    partial_sums,
    rope_op_counts,
    rope_traffic,
    score_bound,
)
from .figures import (
    angle_table_figure,
    decay_figure,
    decay_state,
    frequencies_figure,
    frequency_figure,
    op_count_figure,
    rotation_matrix_figure,
)
from .widget import frequency_state, frequency_widget

__all__ = [
    "partial_sums",
    "decay_bound",
    "score_bound",
    "mean_abs_score",
    "rope_op_counts",
    "rope_traffic",
    "measure_rope_cost",
    "rotation_matrix_figure",
    "frequencies_figure",
    "angle_table_figure",
    "decay_state",
    "decay_figure",
    "op_count_figure",
    "frequency_figure",
    "frequency_widget",
    "frequency_state",
]
