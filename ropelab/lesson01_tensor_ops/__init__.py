"""Lesson 01, tensor operations (``notebooks/01_tensor_ops.ipynb``): the shapes, views and
broadcasts that the LLaMA / InternLM attention and RoPE code is made of.

* ``tensors``: how a tensor sits in memory (:func:`layout`, :class:`Layout`,
  :func:`element_offsets`, :func:`memory_order`, :func:`shares_storage`) and how two
  shapes broadcast (:func:`explain_broadcast`, :class:`BroadcastExplanation`, :class:`Clash`).
* ``figures``: :func:`memory_layout_figure` (a tensor, its transpose and a contiguous copy
  over their memory) and :func:`broadcast_figure` (``a op b`` with the reused entries
  faded), drawn from :func:`layout_state` and :func:`broadcast_state`.
* ``exercises``: the lesson's eight exercises (``"01.merge_heads"`` ... ``"01.select_positions"``).
"""
from .figures import broadcast_figure, broadcast_state, layout_state, memory_layout_figure
from .tensors import (
    BroadcastExplanation,
    Clash,
    Layout,
    element_offsets,
    explain_broadcast,
    layout,
    memory_order,
    shares_storage,
)

__all__ = [
    "BroadcastExplanation", "Clash", "explain_broadcast",
    "Layout", "layout", "element_offsets", "memory_order", "shares_storage",
    "layout_state", "memory_layout_figure", "broadcast_state", "broadcast_figure",
]
