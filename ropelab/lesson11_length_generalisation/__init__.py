"""Lesson 11, length generalisation measured on tiny trained models (``notebooks/11_length_generalisation.ipynb``).

* ``lengthgen``: the experiment, also ``ropelab.lengthgen``. The induction-copy task
  (:func:`~.lengthgen.make_batch`), the tiny decoder with seven position encodings
  (:data:`~.lengthgen.VARIANTS`: nope, learned, sinusoidal, alibi, rope, rope_small, rope_pi),
  :func:`~.lengthgen.train` (exactly what ``./lab train`` runs), :func:`~.lengthgen.load` (the
  committed checkpoints in ``checkpoints/``), :func:`~.lengthgen.evaluate` (accuracy at a length,
  optionally with a context-extension method of ``ropelab.scaling``), :func:`~.lengthgen.attention`,
  :func:`~.lengthgen.induction_score` and :func:`~.lengthgen.load_results` (the committed 3-seed
  table ``results.json``).
* ``figures``: :func:`accuracy_figure` (accuracy against evaluation length, mean and spread over
  seeds) and :func:`attention_figure` (one head's attention inside and beyond the trained length).
* ``exercises``: ``11.best_at_4L`` (predict, then check: which variant holds up best at 4L?).
"""
from . import lengthgen
from .figures import accuracy_figure, attention_figure

__all__ = ["lengthgen", "accuracy_figure", "attention_figure"]
