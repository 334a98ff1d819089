"""Meta's LLaMA RoPE code, rewritten with checks: the complex-number form, plus a tiny attention stack.

The three functions mirror the reference implementation's API (``llama/model.py``)
line for line, so a learner can read them side by side:

* :func:`precompute_freqs_cis`: the complex table ``e^{i m theta_j}``, complex64
  ``(end, dim // 2)``, built once for the whole model.
* :func:`reshape_for_broadcast`: the ``(S, D/2)`` table viewed as ``(1, S, 1, D/2)`` so
  it multiplies a complex ``(B, S, H, D/2)`` tensor.
* :func:`apply_rotary_emb`: ``xq, xk: (B, S, H, D)`` -> pairs ``(2j, 2j+1)`` read as complex
  numbers, multiplied by the table, turned back into reals. The **interleaved** layout.

:class:`Attention` is a LLaMA-style attention block (projections ``wq, wk, wv, wo``,
RoPE on the queries and keys only, causal mask, KV cache written at ``start_pos``) and
:class:`TinyLlama` stacks a few of them the way Meta's ``Transformer`` does: it owns
one ``freqs_cis`` table and hands the rows ``start_pos : start_pos + S`` to every layer.

Shapes follow Meta: ``x: (B, S, H, D)`` for queries and keys (batch, sequence, heads,
head dimension), hidden states ``h: (B, S, dim)`` with ``dim = H * D``.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from ._validate import check_base, check_even_dim, check_int, check_tensor, shape_str
from .rope import DEFAULT_BASE, _as_complex_pairs, inv_freq

__all__ = [
    "precompute_freqs_cis",
    "reshape_for_broadcast",
    "apply_rotary_emb",
    "slice_freqs_cis",
    "causal_mask",
    "Attention",
    "TinyLlama",
]


# ---------------------------------------------------------------------------
# the three RoPE functions of Meta's model.py
# ---------------------------------------------------------------------------

def precompute_freqs_cis(dim: int, end: int, theta: float = DEFAULT_BASE) -> torch.Tensor:
    """The table ``freqs_cis[m, j] = e^{i m theta_j}``: complex64 ``(end, dim // 2)``.

    ``dim`` is the head dimension, ``end`` the number of positions (Meta uses twice
    the maximum sequence length), ``theta`` the base (10000 in LLaMA 1 and 2).
    Steps, as in Meta's code: frequencies ``1 / theta ** (arange(0, dim, 2) / dim)``
    ``(dim//2,)``; positions ``t = arange(end)`` ``(end,)``; ``outer(t, freqs)``
    ``(end, dim//2)``; ``polar(ones, angles)`` -> unit complex numbers.
    """
    dim = check_even_dim(dim, "dim")
    end = check_int(end, "end", minimum=1)
    theta = check_base(theta, "theta")
    freqs = inv_freq(dim, theta)                   # (dim//2,) float32
    t = torch.arange(end, dtype=torch.float32)     # (end,)
    freqs = torch.outer(t, freqs)                  # (end, dim//2): angle m * theta_j
    return torch.polar(torch.ones_like(freqs), freqs)  # complex64 (end, dim//2)


def _check_complex(t, name: str, shape_hint: str) -> torch.Tensor:
    t = check_tensor(t, name, floating=False, shape_hint=shape_hint)
    if not t.is_complex():
        raise TypeError(
            f"{name} must be a complex tensor of shape {shape_hint} (e.g. from precompute_freqs_cis or "
            f"torch.view_as_complex); got dtype {t.dtype}"
        )
    return t


def _check_table_fits(freqs_cis: torch.Tensor, seq: int, half: int, seq_name: str) -> None:
    """The table must be exactly ``(S, D/2)``: explain which side is off and how to fix it."""
    if freqs_cis.ndim != 2:
        raise ValueError(
            f"freqs_cis must have 2 dimensions (S, D/2) = ({seq}, {half}); got shape {shape_str(freqs_cis)}"
        )
    rows, cols = freqs_cis.shape
    if cols != half:
        raise ValueError(
            f"head_dim mismatch: freqs_cis has {cols} columns, i.e. it was built for head_dim "
            f"{2 * cols}, but the input has head_dim {2 * half} (needs D/2 = {half} columns)"
        )
    if rows != seq:
        fix = (f"slice the rows of this token block first: freqs_cis[start_pos : start_pos + {seq}]"
               if rows > seq else
               f"the table has only {rows} positions; build it with precompute_freqs_cis(dim, end >= "
               f"start_pos + {seq})")
        raise ValueError(
            f"freqs_cis has {rows} rows but the input has {seq_name} = {seq} tokens: it must have shape "
            f"(S, D/2) = ({seq}, {half}); {fix}"
        )


def reshape_for_broadcast(freqs_cis: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """View the table ``(S, D/2)`` as ``(1, S, 1, D/2)`` so it broadcasts against ``x``.

    ``x`` is the complex query or key, ``(B, S, H, D/2)``; only its sequence axis
    (dim 1) and last axis keep their size, every other axis becomes 1. No copy is made.
    As in Meta's code, any ``x`` with the sequence at dim 1 works: ``(B, S, D/2)`` gives
    ``(1, S, D/2)``.
    """
    x = _check_complex(x, "x", "(B, S, H, D/2)")
    if x.ndim < 3:
        raise ValueError(
            f"x must have at least 3 dimensions (B, S, ..., D/2), usually (B, S, H, D/2); got shape "
            f"{shape_str(x)}; for one sequence use x[None]"
        )
    freqs_cis = _check_complex(freqs_cis, "freqs_cis", "(S, D/2)")
    _check_table_fits(freqs_cis, x.shape[1], x.shape[-1], "S = x.shape[1]")
    shape = [d if i == 1 or i == x.ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


def _check_qk(t, name: str) -> torch.Tensor:
    t = check_tensor(t, name, floating=True, ndim=4, shape_hint="(B, S, H, D)")
    check_even_dim(t.shape[-1], f"{name}.shape[-1] (head_dim D)")
    return t


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
    xq = _check_qk(xq, "xq")
    xk = _check_qk(xk, "xk")
    if xk.shape[0] != xq.shape[0] or xk.shape[1] != xq.shape[1] or xk.shape[3] != xq.shape[3]:
        raise ValueError(
            f"xq (B, S, Hq, D) and xk (B, S, Hk, D) must agree in B, S and D; got xq {shape_str(xq)} "
            f"and xk {shape_str(xk)}"
        )
    freqs_cis = _check_complex(freqs_cis, "freqs_cis", "(S, D/2)")
    _check_table_fits(freqs_cis, xq.shape[1], xq.shape[-1] // 2, "S = xq.shape[1]")
    real = torch.float64 if xq.dtype == torch.float64 else torch.float32
    cplx = torch.complex128 if real == torch.float64 else torch.complex64
    # (B, S, H, D) -> (B, S, H, D/2, 2) -> complex (B, S, H, D/2); Meta writes
    # torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2)), which fails for S = 0
    # (-1 is ambiguous) and for slices at an odd offset (no complex view): _as_complex_pairs
    # spells out D/2 and copies when no view exists
    xq_ = _as_complex_pairs(xq.to(real))
    xk_ = _as_complex_pairs(xk.to(real))
    freqs_cis = reshape_for_broadcast(freqs_cis.to(device=xq.device, dtype=cplx), xq_)  # (1, S, 1, D/2)
    # multiply, back to (B, S, H, D/2, 2), merge the last two axes -> (B, S, H, D)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


# ---------------------------------------------------------------------------
# helpers of the model code: table rows for a block of tokens, the causal mask
# ---------------------------------------------------------------------------

def slice_freqs_cis(freqs_cis: torch.Tensor, start_pos: int, seqlen: int) -> torch.Tensor:
    """Rows ``start_pos : start_pos + seqlen`` of the table: the positions of a new token block.

    Meta's table is computed once, at a fixed length, and cannot grow; asking for
    positions beyond its end raises (plain slicing would silently return fewer rows).
    """
    freqs_cis = _check_complex(freqs_cis, "freqs_cis", "(end, D/2)")
    if freqs_cis.ndim != 2:
        raise ValueError(f"freqs_cis must have 2 dimensions (end, D/2); got shape {shape_str(freqs_cis)}")
    start_pos = check_int(start_pos, "start_pos", minimum=0)
    seqlen = check_int(seqlen, "seqlen", minimum=1)
    end = freqs_cis.shape[0]
    if start_pos + seqlen > end:
        raise ValueError(
            f"positions {start_pos} .. {start_pos + seqlen - 1} are beyond the rotary table, which holds "
            f"positions 0 .. {end - 1} (end = {end}); Meta's freqs_cis is precomputed once and cannot "
            f"grow: build it with a larger end"
        )
    return freqs_cis[start_pos:start_pos + seqlen]


def causal_mask(seqlen: int, start_pos: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Additive causal mask ``(seqlen, start_pos + seqlen)``: 0 where allowed, ``-inf`` above the diagonal.

    The new tokens sit at positions ``start_pos .. start_pos + seqlen - 1`` and may see
    every cached position before ``start_pos`` (the leading zero columns) and
    themselves and earlier new tokens, never later ones. As in Meta's ``Transformer.forward``.
    """
    seqlen = check_int(seqlen, "seqlen", minimum=1)
    start_pos = check_int(start_pos, "start_pos", minimum=0)
    mask = torch.full((seqlen, seqlen), float("-inf"), dtype=dtype).triu(1)
    return torch.hstack([torch.zeros(seqlen, start_pos, dtype=dtype), mask])


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
    pass another to trace the calls or to try a different rotation.
    """

    def __init__(self, dim: int, n_heads: int, max_batch_size: int = 4, max_seq_len: int = 64,
                 n_kv_heads: int | None = None, rope: Callable | None = None):
        super().__init__()
        dim = check_int(dim, "dim", minimum=2)
        n_heads = check_int(n_heads, "n_heads", minimum=1)
        n_kv_heads = n_heads if n_kv_heads is None else check_int(n_kv_heads, "n_kv_heads", minimum=1)
        if dim % n_heads:
            raise ValueError(f"dim must be a multiple of n_heads; got dim = {dim}, n_heads = {n_heads}")
        if n_heads % n_kv_heads:
            raise ValueError(f"n_heads must be a multiple of n_kv_heads; got {n_heads} and {n_kv_heads}")
        self.n_heads, self.n_kv_heads = n_heads, n_kv_heads
        self.head_dim = check_even_dim(dim // n_heads, "head_dim = dim // n_heads")
        self.max_batch_size = check_int(max_batch_size, "max_batch_size", minimum=1)
        self.max_seq_len = check_int(max_seq_len, "max_seq_len", minimum=1)
        if rope is not None and not callable(rope):
            raise TypeError(f"rope must be a function (xq, xk, freqs_cis) -> (xq, xk); got {type(rope).__name__}")
        self.rope = rope if rope is not None else apply_rotary_emb
        self.wq = nn.Linear(dim, n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(n_heads * self.head_dim, dim, bias=False)
        cache_shape = (self.max_batch_size, self.max_seq_len, n_kv_heads, self.head_dim)
        self.register_buffer("cache_k", torch.zeros(cache_shape), persistent=False)
        self.register_buffer("cache_v", torch.zeros(cache_shape), persistent=False)

    def forward(self, x: torch.Tensor, start_pos: int, freqs_cis: torch.Tensor,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        x = check_tensor(x, "x", ndim=3, shape_hint="(B, S, dim)")
        bsz, seqlen, dim = x.shape
        if dim != self.wq.in_features:
            raise ValueError(f"x must have shape (B, S, dim) with dim = {self.wq.in_features}; got {shape_str(x)}")
        if bsz > self.max_batch_size:
            raise ValueError(f"batch size {bsz} exceeds the KV cache's max_batch_size = {self.max_batch_size}")
        start_pos = check_int(start_pos, "start_pos", minimum=0)
        if start_pos + seqlen > self.max_seq_len:
            raise ValueError(
                f"positions {start_pos} .. {start_pos + seqlen - 1} do not fit the KV cache, which holds "
                f"max_seq_len = {self.max_seq_len} positions"
            )
        if mask is not None:
            mask = check_tensor(mask, "mask", ndim=2, shape_hint="(S, start_pos + S)")
            if tuple(mask.shape) != (seqlen, start_pos + seqlen):
                raise ValueError(
                    f"mask must have shape (S, start_pos + S) = ({seqlen}, {start_pos + seqlen}); "
                    f"got {shape_str(mask)}"
                )

        # projections, split into heads: (B, S, H, D), Meta's layout
        xq = self.wq(x).view(bsz, seqlen, self.n_heads, self.head_dim)
        xk = self.wk(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)
        xv = self.wv(x).view(bsz, seqlen, self.n_kv_heads, self.head_dim)

        # RoPE on queries and keys only; values carry content, not position
        xq, xk = self.rope(xq, xk, freqs_cis)

        # write this block into the cache, read everything up to it
        self.cache_k = self.cache_k.to(xq)
        self.cache_v = self.cache_v.to(xq)
        self.cache_k[:bsz, start_pos:start_pos + seqlen] = xk.detach()
        self.cache_v[:bsz, start_pos:start_pos + seqlen] = xv.detach()
        keys = self.cache_k[:bsz, :start_pos + seqlen]      # (B, start_pos + S, Hk, D)
        values = self.cache_v[:bsz, :start_pos + seqlen]
        rep = self.n_heads // self.n_kv_heads
        if rep > 1:
            keys = keys.repeat_interleave(rep, dim=2)
            values = values.repeat_interleave(rep, dim=2)

        # (B, H, S, D) @ (B, H, D, T) -> scores (B, H, S, T), T = start_pos + S
        xq, keys, values = xq.transpose(1, 2), keys.transpose(1, 2), values.transpose(1, 2)
        scores = torch.matmul(xq, keys.transpose(2, 3)) / math.sqrt(self.head_dim)
        if mask is not None:
            scores = scores + mask.to(scores)
        scores = torch.softmax(scores.float(), dim=-1).type_as(xq)
        out = torch.matmul(scores, values)                   # (B, H, S, D)
        out = out.transpose(1, 2).contiguous().view(bsz, seqlen, -1)
        return self.wo(out)


class TinyLlama(nn.Module):
    """A stack of :class:`Attention` layers with residual connections, the way Meta's ``Transformer`` wires RoPE.

    The model owns one table ``freqs_cis: (rope_positions, head_dim/2)`` (Meta uses
    ``2 * max_seq_len``); ``forward(h, start_pos)`` takes the rows ``start_pos : start_pos + S``
    and gives the **same rows to every layer**: positions enter each attention layer
    afresh instead of being added once to the input. ``h: (B, S, dim)`` -> ``(B, S, dim)``.
    (No feed-forward blocks or norms: only what matters for positions.)
    """

    def __init__(self, dim: int = 32, n_heads: int = 4, n_layers: int = 2, max_batch_size: int = 4,
                 max_seq_len: int = 64, theta: float = DEFAULT_BASE, rope_positions: int | None = None,
                 rope: Callable | None = None):
        super().__init__()
        n_layers = check_int(n_layers, "n_layers", minimum=1)
        self.layers = nn.ModuleList(
            Attention(dim, n_heads, max_batch_size, max_seq_len, rope=rope) for _ in range(n_layers)
        )
        head_dim = self.layers[0].head_dim
        max_seq_len = self.layers[0].max_seq_len
        rope_positions = 2 * max_seq_len if rope_positions is None else check_int(
            rope_positions, "rope_positions", minimum=1)
        self.register_buffer("freqs_cis", precompute_freqs_cis(head_dim, rope_positions, theta),
                             persistent=False)

    def forward(self, h: torch.Tensor, start_pos: int = 0) -> torch.Tensor:
        h = check_tensor(h, "h", ndim=3, shape_hint="(B, S, dim)")
        seqlen = h.shape[1]
        freqs_cis = slice_freqs_cis(self.freqs_cis, start_pos, seqlen)
        mask = causal_mask(seqlen, start_pos).to(h) if seqlen > 1 else None
        for layer in self.layers:
            h = h + layer(h, start_pos, freqs_cis, mask)
        return h
