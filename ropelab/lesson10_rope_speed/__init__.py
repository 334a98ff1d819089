"""Lesson 10, RoPE at memory speed (``notebooks/10_rope_speed.ipynb``).

The fast path itself is :func:`ropelab.apply_rope` (kernels in ``ropelab/_kernels.py``)
and the timer is :func:`ropelab.common.timing.measure`; this package holds what the
lesson adds around them:

* ``traffic``: :func:`memory_traffic` runs any function of tensors and counts the bytes
  each operation reads, writes and allocates (:class:`Traffic`, in "passes" over ``x``);
  :func:`half_pair_views` shows the two strided views behind the two-pass half layout.
* ``figures``: :func:`passes_figure` (counted passes per form), :func:`ratio_figure`
  (measured times over ``clone``'s) and :func:`matrix_traffic_figure` (bytes read by the
  dense matrix form as the head dim grows).

The lesson has no widget and no exercises.
"""
from .figures import matrix_traffic_figure, passes_figure, ratio_figure
from .traffic import Traffic, half_pair_views, memory_traffic

__all__ = ["Traffic", "memory_traffic", "half_pair_views", "passes_figure", "ratio_figure", "matrix_traffic_figure"]
