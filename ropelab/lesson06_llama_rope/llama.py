"""Meta's LLaMA RoPE code (``llama/model.py``), transcribed: the complex-number form, plus a tiny attention stack.

The functions keep Meta's names, argument order, shapes and lines, so a learner can read
them side by side with the original:

* :func:`precompute_freqs_cis`: the complex table ``e^{i m theta_j}``, complex64
  ``(end, dim // 2)``, built once for the whole model.
* :func:`reshape_for_broadcast`: the ``(S, D/2)`` table viewed as ``(1, S, 1, D/2)`` so
  it multiplies a complex ``(B, S, H, D/2)`` tensor.
* :func:`apply_rotary_emb`: ``xq, xk: (B, S, H, D)`` -> pairs ``(2j, 2j+1)`` read as complex
  numbers, multiplied by the table, turned back into reals. The **interleaved** layout.
* :func:`repeat_kv`: key / value heads repeated for grouped-query attention (LLaMA 2).

:class:`Attention` is a LLaMA-style attention block (projections ``wq, wk, wv, wo``,
RoPE on the queries and keys only, causal mask, KV cache written at ``start_pos``) and
:class:`TinyLlama` stacks a few of them the way Meta's ``Transformer`` does: it owns
one ``freqs_cis`` table and hands the rows ``start_pos : start_pos + S`` to every layer.
:func:`slice_freqs_cis` and :func:`causal_mask` are those two steps of ``Transformer.forward``.

The argument checks are not in the function bodies: ``@validated(...)`` runs the checks of
``_checks.py`` on every call first, and they raise a ``TypeError`` / ``ValueError`` that says
what is wrong and how to fix it. Where the bodies differ from Meta's, a comment says why.

Shapes follow Meta: ``x: (B, S, H, D)`` for queries and keys (batch, sequence, heads,
head dimension), hidden states ``h: (B, S, dim)`` with ``dim = H * D``.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import validated
from ..rope import DEFAULT_BASE, compute_dtype, inv_freq
from . import _checks

__all__ = [
    "precompute_freqs_cis",
    "reshape_for_broadcast",
    "apply_rotary_emb",
    "repeat_kv",
    "slice_freqs_cis",
    "causal_mask",
    "Attention",
    "TinyLlama",
]


# ---------------------------------------------------------------------------
# the RoPE functions of Meta's model.py
# ---------------------------------------------------------------------------

@validated(_checks.precompute_freqs_cis)
def precompute_freqs_cis(dim: int, end: int, theta: float = DEFAULT_BASE) -> torch.Tensor:
    """The table ``freqs_cis[m, j] = e^{i m theta_j}``: complex64 ``(end, dim // 2)``.

    ``dim`` is the head dimension, ``end`` the number of positions (Meta uses twice
    the maximum sequence length), ``theta`` the base (10000 in LLaMA 1 and 2).
    Frequencies ``(dim//2,)``, positions ``t: (end,)``, their outer product ``(end, dim//2)``,
    then ``polar(ones, angles)``: unit complex numbers.
    """
    # Meta: 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim)), bit for bit
    freqs = inv_freq(dim, theta)
    t = torch.arange(end, device=freqs.device)
    freqs = torch.outer(t, freqs).float()
    freqs_cis = torch.polar(torch.ones_like(freqs), freqs)  # complex64
    return freqs_cis


@validated(_checks.reshape_for_broadcast)
def reshape_for_broadcast(freqs_cis: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """View the table ``(S, D/2)`` as ``(1, S, 1, D/2)`` so it broadcasts against ``x``.

    ``x`` is the complex query or key, ``(B, S, H, D/2)``; only its sequence axis
    (dim 1) and last axis keep their size, every other axis becomes 1. No copy is made.
    As in Meta's code, any ``x`` with the sequence at dim 1 works: ``(B, S, D/2)`` gives
    ``(1, S, D/2)``.
    """
    ndim = x.ndim
    assert 0 <= 1 < ndim
    assert freqs_cis.shape == (x.shape[1], x.shape[-1])
    shape = [d if i == 1 or i == ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


@validated(_checks.apply_rotary_emb)
def apply_rotary_emb(xq: torch.Tensor, xk: torch.Tensor, freqs_cis: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate queries and keys: ``xq: (B, S, Hq, D)``, ``xk: (B, S, Hk, D)``, ``freqs_cis: (S, D/2)``.

    Each adjacent pair ``(x[2j], x[2j+1])`` of a token at position ``m`` is read as the
    complex number ``x[2j] + i x[2j+1]`` and multiplied by ``freqs_cis[m, j] =
    e^{i m theta_j}``. Row ``s`` of ``freqs_cis`` belongs to token ``s`` of this block
    (pass ``freqs_cis[start_pos : start_pos + S]`` when decoding with a cache).
    Returns ``(xq_out, xk_out)`` with the shapes and dtypes of the inputs; the
    arithmetic is done in float32 (complex64), or float64 for float64 inputs.
    """
    real = compute_dtype(xq.dtype)  # Meta: xq.float(); float64 inputs keep float64 here
    xq_ = torch.view_as_complex(_pairs(xq.to(real)))  # (B, S, H, D) -> complex (B, S, H, D/2)
    xk_ = torch.view_as_complex(_pairs(xk.to(real)))
    freqs_cis = reshape_for_broadcast(freqs_cis, xq_).to(xq_)  # (1, S, 1, D/2), on xq's device
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)  # (B, S, H, D/2, 2) -> (B, S, H, D)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


def _pairs(x: torch.Tensor) -> torch.Tensor:
    """``(..., D)`` -> ``(..., D/2, 2)``, in memory that ``torch.view_as_complex`` can view.

    Meta writes ``x.reshape(*x.shape[:-1], -1, 2)``, whose ``-1`` is ambiguous for an empty
    sequence (``unflatten`` infers it from the last axis alone). And a slice at an odd offset
    such as ``x[..., 1:9]`` has no complex view (that needs whole complex numbers in memory):
    such inputs are copied first.
    """
    pairs = x.unflatten(-1, (-1, 2))
    if pairs.is_contiguous() and pairs.storage_offset() % 2 == 0:
        return pairs
    return pairs.clone(memory_format=torch.contiguous_format)


@validated(_checks.repeat_kv)
def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """``torch.repeat_interleave(x, dim=2, repeats=n_rep)``: ``(B, S, n_kv_heads, D)`` -> ``(B, S, H, D)``.

    ``H = n_kv_heads * n_rep``. Grouped-query attention: query head ``h`` reads key / value
    head ``h // n_rep``.
    """
    bs, slen, n_kv_heads, head_dim = x.shape
    if n_rep == 1:
        return x
    return (
        x[:, :, :, None, :]
        .expand(bs, slen, n_kv_heads, n_rep, head_dim)
        .reshape(bs, slen, n_kv_heads * n_rep, head_dim)
    )


# ---------------------------------------------------------------------------
# two steps of Meta's Transformer.forward: table rows for a token block, the causal mask
# ---------------------------------------------------------------------------

@validated(_checks.slice_freqs_cis)
def slice_freqs_cis(freqs_cis: torch.Tensor, start_pos: int, seqlen: int) -> torch.Tensor:
    """Rows ``start_pos : start_pos + seqlen`` of the table: the positions of a new token block.

    Meta's table is computed once, at a fixed length, and cannot grow. Slicing past its end
    returns fewer rows than tokens, and Meta's ``reshape_for_broadcast`` then stops at its
    ``assert`` (a bare ``AssertionError``); this function raises before that and says why.
    """
    return freqs_cis[start_pos : start_pos + seqlen]


@validated(_checks.causal_mask)
def causal_mask(seqlen: int, start_pos: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Additive causal mask ``(seqlen, start_pos + seqlen)``: 0 where allowed, ``-inf`` above the diagonal.

    The new tokens sit at positions ``start_pos .. start_pos + seqlen - 1`` and may see
    every cached position before ``start_pos`` (the leading zero columns) and
    themselves and earlier new tokens, never later ones. As in Meta's ``Transformer.forward``.
    """
    mask = torch.full((seqlen, seqlen), float("-inf"), dtype=dtype)
    mask = torch.triu(mask, diagonal=1)
    return torch.hstack([torch.zeros((seqlen, start_pos), dtype=dtype), mask])


# ---------------------------------------------------------------------------
# a small LLaMA-style attention stack with a KV cache
# ---------------------------------------------------------------------------

class Attention(nn.Module):
    """LLaMA-style multi-head attention with RoPE on q and k, a causal mask and a KV cache.

    ``forward(x, start_pos, freqs_cis, mask)``: ``x: (B, S, dim)`` hidden states of the
    new tokens, which sit at positions ``start_pos .. start_pos + S - 1``;
    ``freqs_cis: (S, head_dim/2)`` the table rows of those positions; ``mask``
    ``(S, start_pos + S)`` additive or ``None``. The rotated keys and the (never rotated)
    values are written into ``cache_k, cache_v: (max_batch_size, max_seq_len, n_kv_heads,
    head_dim)`` at ``start_pos``, and the queries attend to every cached position up to
    their own. Returns ``(B, S, dim)``.

    ``rope`` is the function used to rotate ``(xq, xk)`` (default :func:`apply_rotary_emb`);
    pass another to trace the calls or to try a different rotation. (Meta's ``Attention``
    takes ``ModelArgs`` and splits heads over model-parallel ranks; here there is one rank.)
    """

    @validated(_checks.attention_init)
    def __init__(self, dim: int, n_heads: int, max_batch_size: int = 4, max_seq_len: int = 64,
                 n_kv_heads: int | None = None, rope: Callable | None = None):
        super().__init__()
        self.n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        self.n_heads = n_heads
        self.n_rep = self.n_heads // self.n_kv_heads
        self.head_dim = dim // n_heads
        self.max_batch_size, self.max_seq_len = max_batch_size, max_seq_len
        self.rope = apply_rotary_emb if rope is None else rope

        self.wq = nn.Linear(dim, n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(dim, self.n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(dim, self.n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(n_heads * self.head_dim, dim, bias=False)

        cache_shape = (max_batch_size, max_seq_len, self.n_kv_heads, self.head_dim)
        self.register_buffer("cache_k", torch.zeros(cache_shape), persistent=False)
        self.register_buffer("cache_v", torch.zeros(cache_shape), persistent=False)

    @validated(_checks.attention_forward)
    def forward(self, x: torch.Tensor, start_pos: int, freqs_cis: torch.Tensor,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        bsz, seqlen, _ = x.shape
        xq, xk, xv = self.wq(x), self.wk(x), self.wv(x)

        xq = xq.view(bsz, seqlen, self.n_heads, self.head_dim)
        xk = xk.view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xv = xv.view(bsz, seqlen, self.n_kv_heads, self.head_dim)

        xq, xk = self.rope(xq, xk, freqs_cis)  # RoPE on queries and keys only: values carry content

        self.cache_k = self.cache_k.to(xq)
        self.cache_v = self.cache_v.to(xq)

        # Meta runs under torch.inference_mode(); detach() keeps the cache out of autograd here
        self.cache_k[:bsz, start_pos : start_pos + seqlen] = xk.detach()
        self.cache_v[:bsz, start_pos : start_pos + seqlen] = xv.detach()

        keys = self.cache_k[:bsz, : start_pos + seqlen]  # (B, start_pos + S, Hk, D)
        values = self.cache_v[:bsz, : start_pos + seqlen]

        # repeat k/v heads if n_kv_heads < n_heads
        keys = repeat_kv(keys, self.n_rep)  # (B, start_pos + S, H, D)
        values = repeat_kv(values, self.n_rep)

        xq = xq.transpose(1, 2)  # (B, H, S, D)
        keys = keys.transpose(1, 2)  # (B, H, start_pos + S, D)
        values = values.transpose(1, 2)
        scores = torch.matmul(xq, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = scores + mask.to(scores)  # (B, H, S, start_pos + S)
        scores = F.softmax(scores.float(), dim=-1).type_as(xq)
        output = torch.matmul(scores, values)  # (B, H, S, D)
        output = output.transpose(1, 2).contiguous().view(bsz, seqlen, -1)
        return self.wo(output)


class TinyLlama(nn.Module):
    """A stack of :class:`Attention` layers with residual connections, the way Meta's ``Transformer`` wires RoPE.

    The model owns one table ``freqs_cis: (rope_positions, head_dim/2)`` (Meta uses
    ``2 * max_seq_len``); ``forward(h, start_pos)`` takes the rows ``start_pos : start_pos + S``
    and gives the **same rows to every layer**: positions enter each attention layer
    afresh instead of being added once to the input. ``h: (B, S, dim)`` -> ``(B, S, dim)``.

    As in Meta's code the table is a plain attribute, not a registered buffer: ``model.to(...)``
    does not touch it (it stays complex64 on its device, and is not in ``state_dict()``), and
    ``forward`` moves it to the input's device by hand (``self.freqs_cis.to(h.device)``).
    (No embeddings, feed-forward blocks or norms: only what matters for positions.)
    """

    @validated(_checks.tiny_llama_init)
    def __init__(self, dim: int = 32, n_heads: int = 4, n_layers: int = 2, max_batch_size: int = 4,
                 max_seq_len: int = 64, theta: float = DEFAULT_BASE, rope_positions: int | None = None,
                 rope: Callable | None = None):
        super().__init__()
        self.layers = nn.ModuleList(
            Attention(dim, n_heads, max_batch_size, max_seq_len, rope=rope) for _ in range(n_layers)
        )
        rope_positions = max_seq_len * 2 if rope_positions is None else rope_positions
        # as Meta: a plain attribute, not a buffer, so model.to(...) neither moves nor casts it
        # (a complex buffer cast to bfloat16 would lose its imaginary part); forward moves it by hand
        self.freqs_cis = precompute_freqs_cis(dim // n_heads, rope_positions, theta)

    @validated(_checks.tiny_llama_forward)
    def forward(self, h: torch.Tensor, start_pos: int = 0) -> torch.Tensor:
        _bsz, seqlen, _ = h.shape
        self.freqs_cis = self.freqs_cis.to(h.device)
        freqs_cis = self.freqs_cis[start_pos : start_pos + seqlen]

        mask = None
        if seqlen > 1:
            mask = causal_mask(seqlen, start_pos).type_as(h)

        for layer in self.layers:
            h = h + layer(h, start_pos, freqs_cis, mask)  # Meta: the residual sits in TransformerBlock
        return h
