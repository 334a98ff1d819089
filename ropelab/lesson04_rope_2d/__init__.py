"""Lesson 04, RoPE in two dimensions (``notebooks/04_rope_2d.ipynb``): rotate instead of add,
and the score of a query at ``m`` and a key at ``n`` depends only on ``m - n``.

* :mod:`.scores`: :func:`rope_score` (rotate, then dot), :func:`relative_score`
  (``g(q, k, m - n)`` in complex form), :func:`additive_vs_rotary` and :func:`score_tables`
  (one token pair moved around: sinusoidal PE added vs RoPE), :func:`additive_terms` (the
  additive score term by term). Lesson 05 builds on them.
* :mod:`.figures`: :func:`rope2d_figure`, :func:`additive_vs_rotary_figure`,
  :func:`score_tables_figure`.
* :mod:`.widget`: :func:`rope2d_widget` (also in :mod:`ropelab.widgets`) with its pure model
  :func:`rope2d_state`, its drawing and its readout.
* :mod:`.exercises`: the exercises ``04.rope_2d`` and ``04.relative_score_2d`` and the predictions
  ``04.moved_together`` and ``04.score_period``, registered with :func:`ropelab.exercises.check`.
"""
from .figures import additive_vs_rotary_figure, rope2d_figure, score_tables_figure
from .scores import additive_terms, additive_vs_rotary, relative_score, rope_score, score_tables
from .widget import rope2d_state, rope2d_widget

__all__ = [
    "rope_score",
    "relative_score",
    "additive_vs_rotary",
    "score_tables",
    "additive_terms",
    "rope2d_figure",
    "additive_vs_rotary_figure",
    "score_tables_figure",
    "rope2d_widget",
    "rope2d_state",
]
