"""Bridges to the installed Hugging Face ``transformers`` Llama code, for side-by-side checks.

Nothing here downloads anything: every model piece is built from a tiny
``LlamaConfig`` with random or no weights. Notebooks and tests use these to put
ropelab's numbers next to the real implementation's.

Shapes follow Hugging Face: ``q, k: (B, H, S, D)``, ``position_ids: (B, S)``.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch

from .._validate import as_positions, check_base, check_even_dim, check_int, check_tensor

__all__ = ["llama_config", "hf_rotary_embedding", "hf_cos_sin", "hf_apply_rotary_pos_emb",
           "hf_rotate_half"]


def llama_config(head_dim: int = 8, num_heads: int = 2, base: float = 10000.0,
                 max_position_embeddings: int = 2048, rope_parameters: Mapping[str, Any] | None = None,
                 num_layers: int = 1, vocab_size: int = 32, num_kv_heads: int | None = None, **kwargs):
    """A tiny ``transformers.LlamaConfig`` (no weights are ever loaded).

    ``rope_parameters`` may set a scaling type, e.g. ``{"rope_type": "linear", "factor": 4.0}``;
    ``rope_theta`` is filled in from ``base``. ``num_kv_heads`` (default ``num_heads``) below
    ``num_heads`` gives grouped-query attention.
    """
    from transformers import LlamaConfig

    head_dim = check_even_dim(head_dim, "head_dim")
    num_heads = check_int(num_heads, "num_heads", minimum=1)
    num_kv_heads = num_heads if num_kv_heads is None else check_int(num_kv_heads, "num_kv_heads", minimum=1)
    if num_heads % num_kv_heads:
        raise ValueError(f"num_heads must be a multiple of num_kv_heads; got {num_heads} and {num_kv_heads}")
    base = check_base(base)
    params = {"rope_type": "default"}
    if rope_parameters is not None:
        if not isinstance(rope_parameters, Mapping):
            raise TypeError(f"rope_parameters must be a dict; got {type(rope_parameters).__name__}")
        params.update(rope_parameters)
    params["rope_theta"] = base
    return LlamaConfig(
        hidden_size=head_dim * num_heads, num_attention_heads=num_heads, num_key_value_heads=num_kv_heads,
        head_dim=head_dim, intermediate_size=4 * head_dim * num_heads, num_hidden_layers=num_layers,
        vocab_size=vocab_size, max_position_embeddings=max_position_embeddings,
        rope_parameters=params, **kwargs,
    )


def hf_rotary_embedding(head_dim: int = 8, base: float = 10000.0, max_position_embeddings: int = 2048,
                        rope_parameters: Mapping[str, Any] | None = None):
    """``transformers``' ``LlamaRotaryEmbedding`` for a tiny config."""
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    cfg = llama_config(head_dim=head_dim, base=base, max_position_embeddings=max_position_embeddings,
                       rope_parameters=rope_parameters)
    return LlamaRotaryEmbedding(cfg)


def hf_cos_sin(positions, head_dim: int, base: float = 10000.0, dtype: torch.dtype = torch.float32,
               rope_parameters: Mapping[str, Any] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(cos, sin)`` tables from ``LlamaRotaryEmbedding``, each ``(seq, head_dim)`` (half layout)."""
    positions = as_positions(positions, "positions")
    max_pos = max(2048, int(positions.abs().max()) + 1) if positions.numel() else 2048
    rot = hf_rotary_embedding(head_dim, base, max_pos, rope_parameters)
    x = torch.zeros(1, dtype=dtype)
    cos, sin = rot(x, positions[None])
    return cos[0], sin[0]


def hf_rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``transformers``' own ``rotate_half``."""
    from transformers.models.llama.modeling_llama import rotate_half

    check_tensor(x, "x", min_ndim=1, shape_hint="(..., dim)")
    return rotate_half(x)


def hf_apply_rotary_pos_emb(q: torch.Tensor, k: torch.Tensor, positions, base: float = 10000.0
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """RoPE by ``transformers``' ``LlamaRotaryEmbedding`` + ``apply_rotary_pos_emb``.

    ``q, k: (B, H, S, D)``; ``positions: (S,)`` shared by the batch. Returns the
    rotated ``(q, k)`` exactly as the Llama model computes them (in q's dtype).
    """
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    check_tensor(q, "q", ndim=4, shape_hint="(B, H, S, D)")
    check_tensor(k, "k", ndim=4, shape_hint="(B, H, S, D)")
    positions = as_positions(positions, "positions", length=q.shape[2], length_name="S = q.shape[2]")
    max_pos = max(2048, int(positions.abs().max()) + 1) if positions.numel() else 2048
    rot = hf_rotary_embedding(q.shape[-1], base, max_pos)
    cos, sin = rot(q, positions[None].expand(q.shape[0], -1))
    return apply_rotary_pos_emb(q, k, cos, sin)
