"""Lesson 07, the Hugging Face / InternLM RoPE code (``notebooks/07_internlm_rope.ipynb``):
``rotate_half`` and the half layout, its permutation to Meta's interleaved layout, and
``persistent=False`` buffers.

* ``internlm``: ``InternLMRotaryEmbedding``, ``rotate_half`` and ``apply_rotary_pos_emb``,
  transcribed from InternLM's ``modeling_internlm.py`` (Hugging Face's Llama code before 2024),
  and :func:`~.internlm.permute_for_rotate_half`, the weight permutation of Hugging Face's
  conversion script. Also importable as ``ropelab.internlm``.
* ``_checks``: the argument checks of ``internlm``, run before every call by lesson 06's
  decorator ``validated``, so that each function body reads like the original.
* ``partial``: partial rotary (GPT-NeoX ``rotary_pct``, ``transformers``' ``partial_rotary_factor``):
  :func:`~.partial.partial_rope` rotates the first ``rotary_dim`` coordinates of each head and passes
  the rest through; :func:`~.partial.rotary_dim` says how many.
* ``figures``: :func:`layout_pairs_figure`, which coordinates rotate together in each layout,
  drawn from :func:`layout_pairs_state`.
* ``exercises``: ``"07.rotate_half"``, ``"07.apply_rotary_pos_emb"`` and
  ``"07.permute_for_rotate_half"``, and the prediction ``"07.mixed_top1"``.
"""
from . import internlm, partial
from .figures import layout_pairs_figure, layout_pairs_state

__all__ = ["internlm", "partial", "layout_pairs_figure", "layout_pairs_state"]
