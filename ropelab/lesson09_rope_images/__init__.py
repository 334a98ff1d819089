"""Lesson 09, RoPE for images (``notebooks/09_rope_images.ipynb``).

* ``vision``: 2-D axial RoPE for a grid of patches: :func:`~.vision.patch_grid` (row-major
  ``(row, col)``), :func:`~.vision.axial_inv_freq` (the two frequency splits, ``"shared"``
  and Pixtral's ``"interleaved"``), :func:`~.vision.axial_angles`, :func:`~.vision.axial_rope`,
  :func:`~.vision.axial_relative_score` (the score from the offset alone) and
  :func:`~.vision.score_map`. Also ``ropelab.vision``.
* ``figures``: :func:`axial_table_figure`, :func:`score_maps_figure`,
  :func:`translation_figure`, and :func:`same_content` (one feature vector at every patch).
* ``exercises``: ``09.axial_angles``, ``09.score_map``.

The lesson has no widget.
"""
from . import vision
from .figures import axial_table_figure, same_content, score_maps_figure, translation_figure

__all__ = ["vision", "axial_table_figure", "score_maps_figure", "translation_figure", "same_content"]
