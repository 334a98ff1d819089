"""Lesson 02, positional encoding (``notebooks/02_positional_encoding.ipynb``): why attention
needs positions, and the sinusoidal encoding of "Attention Is All You Need".

The encoding itself and its periods are in the core (:func:`ropelab.sinusoidal_pe`,
:func:`ropelab.wavelengths`); this package holds what the lesson adds:

* ``attention``: a tiny single-head self-attention, :func:`self_attention` (optionally with
  RoPE on ``q`` and ``k``), built from :func:`attention_weights` and the module's
  ``attention`` function; :func:`projection_weights` makes seeded ``W_q, W_k, W_v``.
  (The function ``attention`` is not re-exported here, so that
  ``ropelab.lesson02_positional_encoding.attention`` stays the module.)
* ``figures``: the encoding as a heatmap and as curves (:func:`pe_heatmap`, :func:`pe_columns`),
  its periods (:func:`period_figure`, measured by :func:`measured_periods`), the binary-counter
  analogy (:func:`binary_analogy_figure`, :func:`binary_digits`, :func:`binary_sinusoids`) and
  what happens beyond the trained length (:func:`extrapolation_figure`,
  :func:`nearest_trained_similarity`, :func:`circle_coverage`).
* ``shift``: the shift property ``PE[pos + k] = M(k) PE[pos]``: :func:`shift_matrix` (``M(k)``, which
  is RoPE's ``R_{Theta,-k}``), :func:`pair_angles` (where each pair sits on its circle) and
  :func:`pe_similarity_by_distance` (the similarity of two encodings depends on their distance
  only); drawn by ``figures.shift_figure``.
* ``exercises``: ``"02.sinusoidal_pe"``, ``"02.wavelengths"``, ``"02.shift_matrix"`` and the
  prediction ``"02.full_turns"``.
"""
from .attention import attention_weights, projection_weights, self_attention
from .figures import (
    binary_analogy_figure,
    binary_digits,
    binary_sinusoids,
    circle_coverage,
    extrapolation_figure,
    measured_periods,
    nearest_trained_similarity,
    pe_columns,
    pe_heatmap,
    period_figure,
    shift_figure,
)
from .shift import pair_angles, pe_similarity_by_distance, shift_matrix

__all__ = [
    "attention_weights", "self_attention", "projection_weights",
    "pe_heatmap", "pe_columns", "measured_periods", "period_figure", "binary_digits", "binary_sinusoids",
    "binary_analogy_figure", "nearest_trained_similarity", "circle_coverage", "extrapolation_figure",
    "shift_matrix", "pair_angles", "pe_similarity_by_distance", "shift_figure",
]
