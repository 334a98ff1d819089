"""The argument checks of :mod:`.internlm`, kept out of the transcribed code.

As in lesson 06 (:mod:`ropelab.lesson06_llama_rope._checks`), each public function of
``internlm.py`` is decorated with ``@validated(check)``: the check receives the call's
arguments, raises a ``TypeError`` / ``ValueError`` that names the argument and says how to fix
it, and returns the arguments the transcribed body runs with. Each check is named like the
function it guards and takes the same parameters.
"""
from __future__ import annotations

import torch

from .._validate import check_base, check_even_dim, check_int, check_tensor, shape_str
from ..lesson06_llama_rope._checks import check_qk

__all__: list[str] = []


# ---------------------------------------------------------------------------
# InternLMRotaryEmbedding
# ---------------------------------------------------------------------------

def rotary_embedding_init(self, dim, max_position_embeddings, base, device) -> tuple:
    dim = check_even_dim(dim, "dim")
    max_position_embeddings = check_int(max_position_embeddings, "max_position_embeddings", minimum=1)
    return self, dim, max_position_embeddings, check_base(base), device


def rotary_embedding_forward(self, x, seq_len) -> tuple:
    x = check_tensor(x, "x", ndim=4, shape_hint="(B, H, S, D)")
    if x.shape[-1] != self.dim:
        raise ValueError(
            f"head_dim mismatch: this rotary embedding was built for dim = {self.dim}, but x has "
            f"head_dim x.shape[-1] = {x.shape[-1]} (x: {shape_str(x)})"
        )
    seq_len = x.shape[2] if seq_len is None else check_int(seq_len, "seq_len", minimum=1)
    return self, x, seq_len


# ---------------------------------------------------------------------------
# rotate_half, apply_rotary_pos_emb, permute_for_rotate_half
# ---------------------------------------------------------------------------

def rotate_half(x) -> tuple:
    # what transformers' rotate_half takes: any tensor (..., D) with an even D, integers too
    x = check_tensor(x, "x", floating=False, min_ndim=1, shape_hint="(..., D)")
    if x.dtype == torch.bool:
        raise TypeError("x must hold numbers; got dtype torch.bool, which has no negative. Convert it first, "
                        "e.g. x.int()")
    if x.shape[-1] % 2:
        raise ValueError(f"x.shape[-1] (D) must be even, because rotate_half pairs coordinate i with "
                         f"i + D/2; got x of shape {shape_str(x)}")
    return (x,)


def _check_table(t, name: str, head_dim: int) -> torch.Tensor:
    """``(1, 1, seq_len, D)`` as returned by the rotary embedding, or ``(seq_len, D)`` viewed as such."""
    t = check_tensor(t, name, shape_hint="(1, 1, seq_len, D)")
    if t.ndim == 2:
        t = t[None, None]
    elif t.ndim != 4 or t.shape[0] != 1 or t.shape[1] != 1:
        raise ValueError(
            f"{name} must have shape (1, 1, seq_len, D) as returned by InternLMRotaryEmbedding, or "
            f"(seq_len, D); got {shape_str(t)}"
        )
    if t.shape[-1] != head_dim:
        raise ValueError(
            f"head_dim mismatch: {name} has last dimension {t.shape[-1]} but q and k have head_dim "
            f"{head_dim}; build the rotary embedding with dim = {head_dim}"
        )
    return t


def apply_rotary_pos_emb(q, k, cos, sin, position_ids) -> tuple:
    q, k = check_qk(q, k, "q", "k", "(B, H, S, D)")
    bsz, _, seqlen, head_dim = q.shape
    cos = _check_table(cos, "cos", head_dim)
    sin = _check_table(sin, "sin", head_dim)
    if cos.shape != sin.shape:
        raise ValueError(f"cos and sin must have the same shape; got {shape_str(cos[0, 0])} and {shape_str(sin[0, 0])}")
    position_ids = check_tensor(position_ids, "position_ids", floating=False, ndim=2, shape_hint="(B, S)")
    if position_ids.dtype.is_floating_point or position_ids.is_complex() or position_ids.dtype == torch.bool:
        raise TypeError(f"position_ids must be an integer tensor (B, S); got dtype {position_ids.dtype}")
    if position_ids.shape[1] != seqlen or position_ids.shape[0] not in (1, bsz):
        raise ValueError(
            f"position_ids must have shape (B, S) = ({bsz}, {seqlen}) or (1, {seqlen}); got "
            f"{shape_str(position_ids)}"
        )
    if position_ids.numel():
        lo, hi = int(position_ids.min()), int(position_ids.max())
        if lo < 0:
            raise ValueError(f"position_ids must be >= 0; got {lo}")
        if hi >= cos.shape[-2]:
            raise ValueError(
                f"position_ids go up to {hi} but cos/sin hold only positions 0 .. {cos.shape[-2] - 1}; "
                f"call the rotary embedding with seq_len >= {hi + 1}"
            )
    return q, k, cos, sin, position_ids


def permute_for_rotate_half(w, n_heads) -> tuple:
    w = check_tensor(w, "w", ndim=2, shape_hint="(n_heads * D, in_features)")
    n_heads = check_int(n_heads, "n_heads", minimum=1)
    if w.shape[0] % n_heads:
        raise ValueError(
            f"w must have n_heads * D rows; got {w.shape[0]} rows, not a multiple of n_heads = {n_heads}"
        )
    check_even_dim(w.shape[0] // n_heads, "head_dim D = w.shape[0] // n_heads")
    return w, n_heads
