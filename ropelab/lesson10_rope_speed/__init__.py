"""Lesson 10, RoPE at memory speed (``notebooks/10_rope_speed.ipynb``).

The fast paths themselves are :func:`ropelab.apply_rope`, :func:`ropelab.apply_rope_` and
friends (kernels in ``ropelab/_kernels.py``, the numba loops in ``ropelab/_numba_rope.py``)
and the timer is :func:`ropelab.common.timing.measure`; this package holds what the lesson
adds around them:

* ``traffic``: :func:`memory_traffic` runs any function of tensors and counts the bytes
  each operation reads, writes and allocates (:class:`Traffic`, in passes over ``x``: a
  pass is one read or one write of ``x``'s size); :func:`half_pair_views` shows the two
  strided views behind the two-operation half layout of the PyTorch path.
* ``memory``: :func:`page_faults` (what fresh memory costs the operating system),
  :func:`pytorch_path` (RoPE without the numba loops) and :func:`numba_in_use`.
* ``layer``: :func:`attention_layer`, one LLaMA-style attention layer, to measure RoPE's
  share of it.
* ``figures``: :func:`passes_figure` (counted passes per form), :func:`ratio_figure`
  (measured times over their floor's) and :func:`matrix_traffic_figure` (bytes read by the
  dense matrix form as the head dim grows).

The lesson has no widget and no exercises.
"""
from .figures import matrix_traffic_figure, passes_figure, ratio_figure
from .layer import ROPES, AttentionLayer, attention_layer
from .memory import numba_in_use, page_faults, pytorch_path
from .traffic import Traffic, half_pair_views, memory_traffic

__all__ = ["Traffic", "memory_traffic", "half_pair_views", "page_faults", "pytorch_path", "numba_in_use",
           "AttentionLayer", "attention_layer", "ROPES", "passes_figure", "ratio_figure", "matrix_traffic_figure"]
