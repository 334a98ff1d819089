"""The argument checks of :mod:`.llama`, kept out of the transcribed code.

Every public function of ``llama.py`` (and of lesson 07's ``internlm.py``) is decorated with
``@validated(check)``: ``check`` receives the call's arguments, defaults filled in, raises a
``TypeError`` / ``ValueError`` that names the argument and says how to fix it, and returns the
arguments the function body then runs with (integral 0-d tensors become ints, a base becomes a
float). So the body stays the line-for-line transcription of Meta's code, and every public call
is still checked.

The checks of the RoPE functions and of the attention stack are named like the function (or
``Class.method``, as ``attention_init``) they guard and take the same parameters; the helpers
:func:`check_qk` and :func:`check_complex` are shared with lesson 07.
"""
from __future__ import annotations

import torch

from .._validate import check_base, check_even_dim, check_int, check_tensor, shape_str

__all__ = ["check_qk", "check_complex"]


# ---------------------------------------------------------------------------
# shared with lesson 07: queries and keys, complex tensors
# ---------------------------------------------------------------------------

def check_qk(q, k, q_name: str, k_name: str, layout: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Queries and keys of ``layout`` ``"(B, S, H, D)"`` (Meta) or ``"(B, H, S, D)"`` (Hugging Face).

    Both 4-D floating tensors with an even head dimension ``D``; they may differ only in the
    number of heads ``H`` (fewer key heads: grouped-query attention).
    """
    for t, name in ((q, q_name), (k, k_name)):
        check_tensor(t, name, ndim=4, shape_hint=layout)
        check_even_dim(t.shape[-1], f"{name}.shape[-1] (head_dim D)")
    heads = layout.strip("()").split(", ").index("H")
    if any(q.shape[i] != k.shape[i] for i in range(4) if i != heads):
        raise ValueError(
            f"{q_name} {layout.replace('H', 'Hq')} and {k_name} {layout.replace('H', 'Hk')} must agree in B, S "
            f"and D; got {q_name} {shape_str(q)} and {k_name} {shape_str(k)}"
        )
    return q, k


def check_complex(t, name: str, shape_hint: str) -> torch.Tensor:
    """A complex tensor, such as the rotary table ``freqs_cis``."""
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


# ---------------------------------------------------------------------------
# the RoPE functions
# ---------------------------------------------------------------------------

def precompute_freqs_cis(dim, end, theta) -> tuple:
    return check_even_dim(dim, "dim"), check_int(end, "end", minimum=1), check_base(theta, "theta")


def reshape_for_broadcast(freqs_cis, x) -> tuple:
    x = check_complex(x, "x", "(B, S, H, D/2)")
    if x.ndim < 3:
        raise ValueError(
            f"x must have at least 3 dimensions (B, S, ..., D/2), usually (B, S, H, D/2); got shape "
            f"{shape_str(x)}; for one sequence use x[None]"
        )
    freqs_cis = check_complex(freqs_cis, "freqs_cis", "(S, D/2)")
    _check_table_fits(freqs_cis, x.shape[1], x.shape[-1], "S = x.shape[1]")
    return freqs_cis, x


def apply_rotary_emb(xq, xk, freqs_cis) -> tuple:
    xq, xk = check_qk(xq, xk, "xq", "xk", "(B, S, H, D)")
    freqs_cis = check_complex(freqs_cis, "freqs_cis", "(S, D/2)")
    _check_table_fits(freqs_cis, xq.shape[1], xq.shape[-1] // 2, "S = xq.shape[1]")
    return xq, xk, freqs_cis


def repeat_kv(x, n_rep) -> tuple:
    x = check_tensor(x, "x", floating=False, ndim=4, shape_hint="(B, S, n_kv_heads, head_dim)")
    return x, check_int(n_rep, "n_rep", minimum=1)


def slice_freqs_cis(freqs_cis, start_pos, seqlen) -> tuple:
    freqs_cis = check_complex(freqs_cis, "freqs_cis", "(end, D/2)")
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
    return freqs_cis, start_pos, seqlen


def causal_mask(seqlen, start_pos, dtype) -> tuple:
    return check_int(seqlen, "seqlen", minimum=1), check_int(start_pos, "start_pos", minimum=0), dtype


# ---------------------------------------------------------------------------
# the attention stack
# ---------------------------------------------------------------------------

def attention_init(self, dim, n_heads, max_batch_size, max_seq_len, n_kv_heads, rope) -> tuple:
    dim = check_int(dim, "dim", minimum=2)
    n_heads = check_int(n_heads, "n_heads", minimum=1)
    if n_kv_heads is not None:
        n_kv_heads = check_int(n_kv_heads, "n_kv_heads", minimum=1)
    if dim % n_heads:
        raise ValueError(f"dim must be a multiple of n_heads; got dim = {dim}, n_heads = {n_heads}")
    if n_kv_heads is not None and n_heads % n_kv_heads:
        raise ValueError(f"n_heads must be a multiple of n_kv_heads; got {n_heads} and {n_kv_heads}")
    check_even_dim(dim // n_heads, "head_dim = dim // n_heads")
    max_batch_size = check_int(max_batch_size, "max_batch_size", minimum=1)
    max_seq_len = check_int(max_seq_len, "max_seq_len", minimum=1)
    if rope is not None and not callable(rope):
        raise TypeError(f"rope must be a function (xq, xk, freqs_cis) -> (xq, xk); got {type(rope).__name__}")
    return self, dim, n_heads, max_batch_size, max_seq_len, n_kv_heads, rope


def attention_forward(self, x, start_pos, freqs_cis, mask) -> tuple:
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
                f"mask must have shape (S, start_pos + S) = ({seqlen}, {start_pos + seqlen}); got {shape_str(mask)}"
            )
    return self, x, start_pos, freqs_cis, mask


def tiny_llama_init(self, dim, n_heads, n_layers, max_batch_size, max_seq_len, theta, rope_positions,
                    rope) -> tuple:
    n_layers = check_int(n_layers, "n_layers", minimum=1)
    if rope_positions is not None:
        rope_positions = check_int(rope_positions, "rope_positions", minimum=1)
    return self, dim, n_heads, n_layers, max_batch_size, max_seq_len, theta, rope_positions, rope


def tiny_llama_forward(self, h, start_pos) -> tuple:
    h = check_tensor(h, "h", ndim=3, shape_hint="(B, S, dim)")
    _, start_pos, _ = slice_freqs_cis(self.freqs_cis, start_pos, h.shape[1])
    return self, h, start_pos
