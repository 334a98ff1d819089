"""Lesson 00, start here (``notebooks/00_start_here.ipynb``): how the course works.

The notebook tours the tools every later lesson uses: :func:`ropelab.apply_rope`, a
figure and a widget of lesson 03 (:func:`ropelab.lesson03_euler_formula.rotation_figure`,
:func:`ropelab.widgets.rotation_widget`) and the exercise checker
(:func:`ropelab.exercises.check`). This package holds only

* ``exercises``: the warm-up exercise ``"00.pair_norms"`` (the length of every pair
  ``(2i, 2i+1)``), registered with :func:`ropelab.common.exercises.register`.

It has no public names of its own.
"""
__all__: list[str] = []
