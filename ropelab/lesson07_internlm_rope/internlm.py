"""InternLM's RoPE code (the Hugging Face style), rewritten with checks.

* :class:`InternLMRotaryEmbedding`: ``cos`` / ``sin`` tables ``(1, 1, max, dim)`` built once
  from ``einsum('i,j->ij', t, inv_freq)`` and ``cat((freqs, freqs), -1)``, held in
  non-persistent buffers, grown when a longer sequence arrives.
* :func:`rotate_half`: ``cat(-B, A)`` for the halves ``A, B`` of the last dimension.
* :func:`apply_rotary_pos_emb`: look the rows of ``position_ids`` up in the tables and
  rotate: ``q * cos + rotate_half(q) * sin``. The **half** layout: pair ``i`` is the
  coordinates ``(i, i + dim/2)``.
* :func:`permute_for_rotate_half`: the fixed row permutation of ``W_q`` / ``W_k`` that
  turns weights trained for the interleaved layout (Meta) into weights for this code,
  as Hugging Face does when it converts Meta checkpoints.

Shapes follow Hugging Face: ``q, k: (B, H, S, D)``, ``position_ids: (B, S)``,
``cos, sin: (1, 1, seq_len, D)``.
"""
from __future__ import annotations

import torch
from torch import nn

from ._validate import check_base, check_even_dim, check_int, check_tensor, shape_str
from .rope import DEFAULT_BASE, interleaved_to_half_index, inv_freq

__all__ = [
    "InternLMRotaryEmbedding",
    "rotate_half",
    "apply_rotary_pos_emb",
    "permute_for_rotate_half",
]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


class InternLMRotaryEmbedding(nn.Module):
    """The cos/sin tables of InternLM (and of Hugging Face's Llama before 2024).

    ``dim`` is the head dimension. ``__init__`` builds, for positions
    ``t = 0 .. max_position_embeddings - 1``:

    * ``inv_freq``: ``1 / base ** (arange(0, dim, 2) / dim)``, ``(dim // 2,)``
    * ``freqs = einsum('i,j->ij', t, inv_freq)``: ``(max, dim // 2)``, the angle ``m * theta_i``
    * ``emb = cat((freqs, freqs), -1)``: ``(max, dim)``, the half layout
    * ``cos_cached``, ``sin_cached``: ``(1, 1, max, dim)``

    All three are buffers registered with ``persistent=False``: they live on the module
    and move with ``.to(device)``, but are left out of ``state_dict()`` because they can
    be recomputed. ``forward(x, seq_len)`` returns the first ``seq_len`` rows, cast to
    ``x``'s dtype, growing the tables first when ``seq_len`` exceeds them.

    The tables stay in float32 even if the module is cast with ``.to(torch.bfloat16)``
    or ``.half()`` (a bfloat16 table would misplace positions); float64 is kept.
    """

    def __init__(self, dim: int, max_position_embeddings: int = 2048, base: float = DEFAULT_BASE,
                 device: torch.device | str | None = None):
        super().__init__()
        self.dim = check_even_dim(dim, "dim")
        self.max_position_embeddings = check_int(max_position_embeddings, "max_position_embeddings",
                                                 minimum=1)
        self.base = check_base(base)
        self.register_buffer("inv_freq", inv_freq(self.dim, self.base).to(device), persistent=False)
        self._set_cos_sin_cache(self.max_position_embeddings, self.inv_freq.device)

    def _cos_sin(self, seq_len: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        t = torch.arange(seq_len, device=device, dtype=self.inv_freq.dtype)   # (max,)
        freqs = torch.einsum("i,j->ij", t, self.inv_freq.to(device))           # (max, dim/2)
        emb = torch.cat((freqs, freqs), dim=-1)                                # (max, dim)
        return emb.cos()[None, None, :, :], emb.sin()[None, None, :, :]

    def _set_cos_sin_cache(self, seq_len: int, device) -> None:
        self.max_seq_len_cached = seq_len
        cos, sin = self._cos_sin(seq_len, device)
        self.register_buffer("cos_cached", cos, persistent=False)
        self.register_buffer("sin_cached", sin, persistent=False)

    def _apply(self, fn, *args, **kwargs):
        # .to(device) / .to(dtype) / .half() reach the buffers through here
        super()._apply(fn, *args, **kwargs)
        if self.inv_freq.dtype in _LOW_PRECISION:
            device = self.inv_freq.device
            self.register_buffer("inv_freq", inv_freq(self.dim, self.base).to(device), persistent=False)
            self._set_cos_sin_cache(self.max_seq_len_cached, device)
        return self

    def forward(self, x: torch.Tensor, seq_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``x: (B, H, S, D)`` (only its dtype and device are used) -> ``(cos, sin)``, each ``(1, 1, seq_len, D)``.

        ``seq_len`` defaults to ``x.shape[2]``; pass the total length (cached + new
        tokens) when decoding with a KV cache.
        """
        x = check_tensor(x, "x", ndim=4, shape_hint="(B, H, S, D)")
        if x.shape[-1] != self.dim:
            raise ValueError(
                f"head_dim mismatch: this rotary embedding was built for dim = {self.dim}, but x has "
                f"head_dim x.shape[-1] = {x.shape[-1]} (x: {shape_str(x)})"
            )
        seq_len = x.shape[2] if seq_len is None else check_int(seq_len, "seq_len", minimum=1)
        if x.device.type == "meta" and self.cos_cached.device.type != "meta":
            # shape tracing on the meta device: answer with meta tables, keep the real ones
            cos, sin = self._cos_sin(seq_len, x.device)
            return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)
        if seq_len > self.max_seq_len_cached:
            self._set_cos_sin_cache(seq_len, x.device)
        return (
            self.cos_cached[:, :, :seq_len, ...].to(dtype=x.dtype),
            self.sin_cached[:, :, :seq_len, ...].to(dtype=x.dtype),
        )

    def extra_repr(self) -> str:
        return f"dim={self.dim}, max_seq_len_cached={self.max_seq_len_cached}, base={self.base:g}"


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """Split the last dim into halves ``A, B`` and return ``cat(-B, A)``: ``transformers``' ``rotate_half``.

    Like the original it takes any tensor whose last dimension ``D`` is even, whatever its
    other dimensions (a single vector ``(D,)`` too) and dtype (integers too): ``(..., D)``
    -> ``(..., D)``. Applied twice it gives ``-x``: a quarter turn of every pair ``(i, i + D/2)``.
    """
    x = check_tensor(x, "x", floating=False, min_ndim=1, shape_hint="(..., D)")
    if x.dtype == torch.bool:
        raise TypeError("x must hold numbers; got dtype torch.bool, which has no negative. Convert it first, "
                        "e.g. x.int()")
    if x.shape[-1] % 2:
        raise ValueError(f"x.shape[-1] (D) must be even, because rotate_half pairs coordinate i with "
                         f"i + D/2; got x of shape {shape_str(x)}")
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _check_qk(t, name: str) -> torch.Tensor:
    t = check_tensor(t, name, ndim=4, shape_hint="(B, H, S, D)")
    check_even_dim(t.shape[-1], f"{name}.shape[-1] (head_dim D)")
    return t


def _check_table(t, name: str, head_dim: int) -> torch.Tensor:
    t = check_tensor(t, name, shape_hint="(1, 1, seq_len, D)")
    if t.ndim == 4 and t.shape[0] == 1 and t.shape[1] == 1:
        t = t[0, 0]
    elif t.ndim != 2:
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


def apply_rotary_pos_emb(q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                         position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate ``q: (B, Hq, S, D)`` and ``k: (B, Hk, S, D)`` by the table rows ``position_ids: (B, S)``.

    ``cos, sin: (1, 1, seq_len, D)`` from :class:`InternLMRotaryEmbedding` are squeezed to
    ``(seq_len, D)``, indexed with ``position_ids`` -> ``(B, S, D)`` (a gather along
    positions) and unsqueezed to ``(B, 1, S, D)``, which broadcasts over the heads. Then
    ``q * cos + rotate_half(q) * sin``, the same for ``k``. A ``(1, S)`` ``position_ids``
    is shared by the batch. Arithmetic in float32 (float64 for float64 q); results in q's
    and k's dtypes.
    """
    q = _check_qk(q, "q")
    k = _check_qk(k, "k")
    if k.shape[0] != q.shape[0] or k.shape[2] != q.shape[2] or k.shape[3] != q.shape[3]:
        raise ValueError(
            f"q (B, Hq, S, D) and k (B, Hk, S, D) must agree in B, S and D; got q {shape_str(q)} "
            f"and k {shape_str(k)}"
        )
    bsz, _, seqlen, head_dim = q.shape
    cos = _check_table(cos, "cos", head_dim)
    sin = _check_table(sin, "sin", head_dim)
    if cos.shape != sin.shape:
        raise ValueError(f"cos and sin must have the same shape; got {shape_str(cos)} and {shape_str(sin)}")
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
        if hi >= cos.shape[0]:
            raise ValueError(
                f"position_ids go up to {hi} but cos/sin hold only positions 0 .. {cos.shape[0] - 1}; "
                f"call the rotary embedding with seq_len >= {hi + 1}"
            )
    real = torch.float64 if q.dtype == torch.float64 else torch.float32
    cos = cos.to(device=q.device, dtype=real)[position_ids].unsqueeze(1)   # (B, 1, S, D)
    sin = sin.to(device=q.device, dtype=real)[position_ids].unsqueeze(1)
    qf, kf = q.to(real), k.to(real)
    q_embed = qf * cos + rotate_half(qf) * sin
    k_embed = kf * cos + rotate_half(kf) * sin
    return q_embed.to(q.dtype), k_embed.to(k.dtype)


def permute_for_rotate_half(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Reorder the rows of a query or key projection weight from the interleaved to the half layout.

    ``w: (n_heads * D, in_features)`` (``nn.Linear.weight``: one block of ``D`` rows per
    head). Within every head, output coordinate ``2i`` moves to slot ``i`` and ``2i + 1`` to
    slot ``i + D/2``; heads stay in place. With the permuted ``W_q`` and ``W_k``, the half
    (``rotate_half``) RoPE gives exactly the attention scores the interleaved RoPE gives
    with the original weights. This is the ``permute`` of Hugging Face's Llama conversion
    script. Returns a new ``(n_heads * D, in_features)`` tensor.
    """
    w = check_tensor(w, "w", ndim=2, shape_hint="(n_heads * D, in_features)")
    n_heads = check_int(n_heads, "n_heads", minimum=1)
    if w.shape[0] % n_heads:
        raise ValueError(
            f"w must have n_heads * D rows; got {w.shape[0]} rows, not a multiple of n_heads = {n_heads}"
        )
    head_dim = check_even_dim(w.shape[0] // n_heads, "head_dim D = w.shape[0] // n_heads")
    idx = interleaved_to_half_index(head_dim).to(w.device)
    return w.reshape(n_heads, head_dim, w.shape[1])[:, idx].reshape(w.shape)
