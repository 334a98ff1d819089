"""One LLaMA-style attention layer, to measure what share of it rotary position embedding is.

The layer is the attention block of a Llama decoder layer without its norm and KV cache:
``q, k, v`` projections, RoPE on ``q`` and ``k``, causal scaled dot-product attention, and
the output projection, written like Hugging Face's ``LlamaAttention.forward``::

    q = q_proj(x).view(B, S, H, D).transpose(1, 2)        # (B, H, S, D), memory (B, S, H, D)
    k = k_proj(x).view(B, S, H, D).transpose(1, 2)
    v = v_proj(x).view(B, S, H, D).transpose(1, 2)
    q, k = rope(q, k)                                      # the step whose share we measure
    o = scaled_dot_product_attention(q, k, v, is_causal=True)
    return o_proj(o.transpose(1, 2).reshape(B, S, H * D))

Shapes: ``x: (B, S, hidden)``, ``positions: (S,)``; ``hidden = heads * head_dim``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._validate import check_choice, check_even_dim, check_int, check_tensor
from ..rope import apply_rope_qk, apply_rope_qk_

__all__ = ["AttentionLayer", "attention_layer", "ROPES"]

#: How the layer applies RoPE: ropelab in place (the numba loop), ropelab into new tensors,
#: transformers' eager ``apply_rotary_pos_emb``, or not at all.
ROPES = ("ropelab in place", "ropelab", "transformers", "none")


@dataclass
class AttentionLayer:
    """The four projection matrices ``(hidden, hidden)`` of one attention layer, and its head count."""

    wq: torch.Tensor
    wk: torch.Tensor
    wv: torch.Tensor
    wo: torch.Tensor
    heads: int

    @property
    def head_dim(self) -> int:
        return self.wq.shape[0] // self.heads

    def qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The projections of ``x: (B, S, hidden)``, each ``(B, H, S, D)`` (views of ``(B, S, H, D)`` memory)."""
        b, s, _ = x.shape
        return tuple(F.linear(x, w).view(b, s, self.heads, self.head_dim).transpose(1, 2)
                     for w in (self.wq, self.wk, self.wv))

    def rope(self, q: torch.Tensor, k: torch.Tensor, positions: torch.Tensor, rope: str, tables=None):
        """``q, k`` rotated by ``rope`` (one of :data:`ROPES`); ``tables``: transformers' ``(1, S, D)`` cos, sin."""
        if rope == "ropelab in place":
            return apply_rope_qk_(q, k, positions, layout="half")
        if rope == "ropelab":
            return apply_rope_qk(q, k, positions, layout="half")
        if rope == "transformers":
            from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

            return apply_rotary_pos_emb(q, k, *tables)
        return q, k

    def forward(self, x: torch.Tensor, positions: torch.Tensor, rope: str = "ropelab in place",
                tables=None) -> torch.Tensor:
        """The layer's output ``(B, S, hidden)`` for ``x: (B, S, hidden)``."""
        rope = check_choice(rope, "rope", ROPES)
        x = check_tensor(x, "x", ndim=3, shape_hint="(B, S, hidden)")
        if x.shape[-1] != self.wq.shape[1]:
            raise ValueError(f"x must have hidden = {self.wq.shape[1]} features (its last dim); got {x.shape[-1]}")
        if rope == "transformers" and tables is None:
            from ..common.hf import hf_cos_sin

            cos, sin = hf_cos_sin(positions, self.head_dim, dtype=x.dtype)
            tables = (cos[None], sin[None])
        b, s, _ = x.shape
        q, k, v = self.qkv(x)
        q, k = self.rope(q, k, positions, rope, tables)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return F.linear(o.transpose(1, 2).reshape(b, s, -1), self.wo)


def attention_layer(hidden: int = 1024, heads: int = 16, seed: int = 0) -> AttentionLayer:
    """A layer with random weights (scaled like a trained one's, ``1 / sqrt(hidden)``), float32."""
    hidden = check_int(hidden, "hidden", minimum=2)
    heads = check_int(heads, "heads", minimum=1)
    if hidden % heads:
        raise ValueError(f"hidden = {hidden} must be a multiple of heads = {heads} (hidden = heads * head_dim)")
    check_even_dim(hidden // heads, "head_dim = hidden // heads")
    g = torch.Generator().manual_seed(seed)
    ws = [torch.randn(hidden, hidden, generator=g) / hidden ** 0.5 for _ in range(4)]
    return AttentionLayer(*ws, heads=heads)
