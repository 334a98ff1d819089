"""Lesson 09, RoPE for images (``notebooks/09_rope_images.ipynb``).

* ``vision``: 2-D axial RoPE for a grid of patches: :func:`~.vision.patch_grid` (row-major
  ``(row, col)``), :func:`~.vision.axial_inv_freq` (the two frequency splits, ``"shared"``
  and Pixtral's ``"interleaved"``), :func:`~.vision.axial_angles`, :func:`~.vision.axial_rope`,
  :func:`~.vision.axial_relative_score` (the score from the offset alone) and
  :func:`~.vision.score_map`; RoPE-ViT's column-first table (:func:`~.vision.rope_vit_axial_cis`) and
  RoPE-Mixed (:func:`~.vision.mixed_init_freqs`, :func:`~.vision.mixed_angles`, :func:`~.vision.mixed_rope`)
  with what separates it from axial RoPE (:func:`~.vision.additive_part`, :func:`~.vision.interaction`,
  :func:`~.vision.mixed_fit`). Also ``ropelab.vision``.
* ``figures``: :func:`axial_table_figure`, :func:`score_maps_figure` (``q = k`` and ``W_q != W_k``, one
  colour scale), :func:`translation_figure`, :func:`diagonal_limit_figure` (from :func:`diagonal_state`:
  axial vs RoPE-Mixed on a diagonal target), :func:`same_content` (one feature vector at every patch) and
  :func:`projected_content` (that vector projected by two different matrices).
* ``exercises``: ``09.axial_angles``, ``09.score_map``, and the prediction ``09.peak_moves``.

The lesson has no widget.
"""
from . import vision
from .figures import (
    axial_table_figure,
    diagonal_limit_figure,
    diagonal_state,
    projected_content,
    same_content,
    score_maps_figure,
    translation_figure,
)

__all__ = ["vision", "axial_table_figure", "score_maps_figure", "translation_figure", "same_content",
           "projected_content", "diagonal_state", "diagonal_limit_figure"]
