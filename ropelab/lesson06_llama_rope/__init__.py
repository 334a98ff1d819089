"""Lesson 06, Meta's LLaMA RoPE code (``notebooks/06_llama_rope.ipynb``): the complex-number
form line by line, RoPE in every layer, and the KV cache.

* ``llama``: Meta's ``precompute_freqs_cis``, ``reshape_for_broadcast``, ``apply_rotary_emb``
  and ``repeat_kv``, transcribed from ``llama/model.py``, plus :func:`~.llama.slice_freqs_cis`,
  :func:`~.llama.causal_mask` and a small attention stack with a KV cache
  (:class:`~.llama.Attention`, :class:`~.llama.TinyLlama`). Also importable as ``ropelab.llama``.
* ``_checks``: the argument checks of ``llama``, run before every call by the decorator
  ``validated`` (lesson 07 uses it too), so that each function body reads like Meta's.
* ``figures``: :func:`kv_cache_figure`, which keys each query sees and which table rows each
  forward call uses while decoding with a KV cache, drawn from :func:`kv_cache_state`.
* ``exercises``: ``"06.reshape_for_broadcast"``, ``"06.apply_rotary_emb"`` and
  ``"06.causal_mask"``, and the predictions ``"06.cache_holds"`` and ``"06.shifted_block"``.
"""
from . import llama
from .figures import kv_cache_figure, kv_cache_state

__all__ = ["llama", "kv_cache_figure", "kv_cache_state"]
