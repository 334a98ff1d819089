"""A tiny single-head self-attention (自注意力) for demonstrations.

Small enough to read in one screen, so the notebooks can show what attention does
with positions and what it does without them:

* :func:`attention_weights`: ``softmax(q k^T / sqrt(d))``, optionally causal;
* :func:`attention`: those weights applied to the values;
* :func:`self_attention`: project ``x`` to ``q, k, v`` and attend, optionally rotating
  ``q`` and ``k`` with RoPE first (never ``v``), as LLaMA does in every layer;
* :func:`projection_weights`: seeded random ``W_q, W_k, W_v`` for demos.

Shapes: ``x: (..., seq, d_model)``; ``W: (d_model, d_head)``; ``q, k: (..., seq, d_head)``;
``v: (..., seq, d_v)``; weights ``(..., seq_q, seq_k)``. Leading dimensions (batch,
heads) broadcast. Scores and the softmax are computed in float32 or better; results
are cast back to the input dtype.
"""
from __future__ import annotations

import functools
import math

import torch

from .._validate import as_positions, check_base, check_choice, check_even_dim, check_int, check_tensor
from ..rope import DEFAULT_BASE, LAYOUTS, apply_rope, compute_dtype

__all__ = ["attention_weights", "attention", "self_attention", "projection_weights"]


def _compute_dtype(*tensors: torch.Tensor) -> torch.dtype:
    """The core's rule (:func:`ropelab.rope.compute_dtype`) for the tensors' common dtype:
    float64 if any of them is float64, else float32."""
    return compute_dtype(functools.reduce(torch.promote_types, (t.dtype for t in tensors)))


def _check_qk(q, k) -> tuple[torch.Tensor, torch.Tensor]:
    q = check_tensor(q, "q", min_ndim=2, shape_hint="(..., seq_q, d_head)")
    k = check_tensor(k, "k", min_ndim=2, shape_hint="(..., seq_k, d_head)")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same last dimension d_head (a dot product pairs them); "
            f"got q {tuple(q.shape)} and k {tuple(k.shape)}"
        )
    return q, k


def attention_weights(q, k, causal: bool = False) -> torch.Tensor:
    """Attention weights ``softmax(q k^T / sqrt(d_head))`` of shape ``(..., seq_q, seq_k)``.

    Row ``i`` says how much query ``i`` takes from each key; every row sums to 1.
    With ``causal=True`` query ``i`` only sees keys ``j <= i`` (needs ``seq_q == seq_k``).
    """
    q, k = _check_qk(q, k)
    if not isinstance(causal, bool):
        raise TypeError(f"causal must be True or False; got {causal!r}")
    dtype = _compute_dtype(q, k)
    scores = q.to(dtype) @ k.to(dtype).transpose(-1, -2) / math.sqrt(q.shape[-1])
    if causal:
        sq, sk = q.shape[-2], k.shape[-2]
        if sq != sk:
            raise ValueError(f"causal attention needs as many queries as keys; got seq_q = {sq}, seq_k = {sk}")
        mask = torch.ones(sq, sk, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1).to(q.dtype)


def attention(q, k, v, causal: bool = False) -> torch.Tensor:
    """Scaled dot-product attention: ``softmax(q k^T / sqrt(d_head)) @ v``, shape ``(..., seq_q, d_v)``.

    ``q: (..., seq_q, d_head)``, ``k: (..., seq_k, d_head)``, ``v: (..., seq_k, d_v)``.
    """
    q, k = _check_qk(q, k)
    v = check_tensor(v, "v", min_ndim=2, shape_hint="(..., seq_k, d_v)")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(
            f"v must have one row per key: k has seq_k = {k.shape[-2]} rows but v has shape {tuple(v.shape)}"
        )
    dtype = _compute_dtype(q, k, v)
    w = attention_weights(q.to(dtype), k.to(dtype), causal=causal)
    return (w @ v.to(dtype)).to(q.dtype)


def _check_weight(w, name: str, d_model: int) -> torch.Tensor:
    w = check_tensor(w, name, ndim=2, shape_hint="(d_model, d_head)")
    if w.shape[0] != d_model:
        raise ValueError(
            f"{name} must have shape (d_model, d_head) with d_model = x.shape[-1] = {d_model}; "
            f"got {tuple(w.shape)}"
        )
    return w


def self_attention(x, w_q, w_k, w_v, positions=None, causal: bool = False,
                   base: float = DEFAULT_BASE, layout: str = "interleaved",
                   return_weights: bool = False):
    """Single-head self-attention of the tokens ``x: (..., seq, d_model)``.

    ``q = x @ w_q``, ``k = x @ w_k``, ``v = x @ w_v`` with weights ``(d_model, d_head)``
    (``w_v`` may have another width ``d_v``). Without ``positions`` nothing in here
    knows the order of the tokens: permuting the rows of ``x`` permutes the rows of the
    output the same way. With ``positions`` (``(seq,)``), ``q`` and ``k`` are rotated by
    RoPE (:func:`ropelab.apply_rope`) before the scores; ``v`` is never rotated.

    Returns the output ``(..., seq, d_v)``, or ``(output, weights)`` with
    ``return_weights=True`` (weights ``(..., seq, seq)``).
    """
    x = check_tensor(x, "x", min_ndim=2, shape_hint="(..., seq, d_model)")
    d_model = x.shape[-1]
    w_q = _check_weight(w_q, "w_q", d_model)
    w_k = _check_weight(w_k, "w_k", d_model)
    w_v = _check_weight(w_v, "w_v", d_model)
    if w_q.shape != w_k.shape:
        raise ValueError(f"w_q and w_k must have the same shape (d_model, d_head); got {tuple(w_q.shape)} "
                         f"and {tuple(w_k.shape)}")
    layout = check_choice(layout, "layout", LAYOUTS)
    base = check_base(base)
    q, k, v = x @ w_q, x @ w_k, x @ w_v
    if positions is not None:
        check_even_dim(w_q.shape[1], "d_head = w_q.shape[1]")
        positions = as_positions(positions, "positions", length=x.shape[-2], length_name="seq = x.shape[-2]")
        q = apply_rope(q, positions, base=base, layout=layout)
        k = apply_rope(k, positions, base=base, layout=layout)
    weights = attention_weights(q, k, causal=causal)
    dtype = _compute_dtype(v)
    out = (weights.to(dtype) @ v.to(dtype)).to(x.dtype)
    return (out, weights) if return_weights else out


def projection_weights(d_model: int, d_head: int, seed: int = 0, d_v: int | None = None):
    """Seeded random projections ``(w_q, w_k, w_v)`` for demos, float32.

    ``w_q, w_k: (d_model, d_head)``, ``w_v: (d_model, d_v)`` (``d_v = d_head`` by
    default), entries ``N(0, 1/d_model)`` so that ``x @ w`` keeps unit scale. Uses
    its own generator: it neither reads nor changes the global random state.
    """
    d_model = check_int(d_model, "d_model", minimum=1)
    d_head = check_int(d_head, "d_head", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    d_v = d_head if d_v is None else check_int(d_v, "d_v", minimum=1)
    gen = torch.Generator().manual_seed(seed)
    scale = 1.0 / math.sqrt(d_model)
    w_q = torch.randn(d_model, d_head, generator=gen) * scale
    w_k = torch.randn(d_model, d_head, generator=gen) * scale
    w_v = torch.randn(d_model, d_v, generator=gen) * scale
    return w_q, w_k, w_v
