"""InternLM's RoPE code (Hugging Face's Llama code before 2024, ``modeling_internlm.py``), transcribed.

The functions keep the original names, argument order, shapes and lines:

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

The argument checks are not in the function bodies: ``@validated(...)`` runs the checks of
``_checks.py`` on every call first. Where the bodies differ from the original, a comment says why.

Shapes follow Hugging Face: ``q, k: (B, H, S, D)``, ``position_ids: (B, S)``,
``cos, sin: (1, 1, seq_len, D)``.
"""
from __future__ import annotations

import torch
from torch import nn

from .._validate import validated
from ..rope import DEFAULT_BASE, compute_dtype, interleaved_to_half_index, inv_freq
from . import _checks

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

    @validated(_checks.rotary_embedding_init)
    def __init__(self, dim: int, max_position_embeddings: int = 2048, base: float = DEFAULT_BASE,
                 device: torch.device | str | None = None):
        super().__init__()
        self.dim = dim
        self.max_position_embeddings = max_position_embeddings
        self.base = base
        # original: 1.0 / (self.base ** (torch.arange(0, self.dim, 2).float().to(device) / self.dim)), bit for bit
        self.register_buffer("inv_freq", inv_freq(self.dim, self.base).to(device), persistent=False)

        # Build here to make `torch.jit.trace` work.
        self._set_cos_sin_cache(seq_len=max_position_embeddings, device=self.inv_freq.device)

    def _set_cos_sin_cache(self, seq_len: int, device) -> None:
        # the original also casts the tables to a dtype; ours stay float32 (see the class docstring)
        self.max_seq_len_cached = seq_len
        cos, sin = self._cos_sin(seq_len, device)
        self.register_buffer("cos_cached", cos, persistent=False)
        self.register_buffer("sin_cached", sin, persistent=False)

    def _cos_sin(self, seq_len: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        t = torch.arange(seq_len, device=device, dtype=self.inv_freq.dtype)
        freqs = torch.einsum("i,j->ij", t, self.inv_freq.to(device))
        # Different from paper, but it uses a different permutation in order to obtain the same calculation
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos()[None, None, :, :], emb.sin()[None, None, :, :]

    def _apply(self, fn, *args, **kwargs):
        # ours: .to(device) / .to(dtype) / .half() reach the buffers through here; keep float32 tables
        super()._apply(fn, *args, **kwargs)
        if self.inv_freq.dtype in _LOW_PRECISION:
            device = self.inv_freq.device
            self.register_buffer("inv_freq", inv_freq(self.dim, self.base).to(device), persistent=False)
            self._set_cos_sin_cache(self.max_seq_len_cached, device)
        return self

    @validated(_checks.rotary_embedding_forward)
    def forward(self, x: torch.Tensor, seq_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``x: (B, H, S, D)`` (only its dtype and device are used) -> ``(cos, sin)``, each ``(1, 1, seq_len, D)``.

        ``seq_len`` defaults to ``x.shape[2]``; pass the total length (cached + new
        tokens) when decoding with a KV cache.
        """
        # x: [bs, num_attention_heads, seq_len, head_size]
        if x.device.type == "meta" and self.cos_cached.device.type != "meta":
            cos, sin = self._cos_sin(seq_len, x.device)  # ours: shape tracing gets meta tables, the real ones stay
            return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)
        if seq_len > self.max_seq_len_cached:
            self._set_cos_sin_cache(seq_len=seq_len, device=x.device)

        return (
            self.cos_cached[:, :, :seq_len, ...].to(dtype=x.dtype),
            self.sin_cached[:, :, :seq_len, ...].to(dtype=x.dtype),
        )

    def extra_repr(self) -> str:
        return f"dim={self.dim}, max_seq_len_cached={self.max_seq_len_cached}, base={self.base:g}"


@validated(_checks.rotate_half)
def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """Rotates half the hidden dims of the input: ``cat(-B, A)`` for the halves ``A, B`` of the last dim.

    Like ``transformers``' ``rotate_half`` it takes any tensor whose last dimension ``D`` is
    even, whatever its other dimensions (a single vector ``(D,)`` too) and dtype (integers
    too): ``(..., D)`` -> ``(..., D)``. Applied twice it gives ``-x``: a quarter turn of every
    pair ``(i, i + D/2)``.
    """
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


@validated(_checks.apply_rotary_pos_emb)
def apply_rotary_pos_emb(q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                         position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate ``q: (B, Hq, S, D)`` and ``k: (B, Hk, S, D)`` by the table rows ``position_ids: (B, S)``.

    ``cos, sin: (1, 1, seq_len, D)`` from :class:`InternLMRotaryEmbedding` (or ``(seq_len, D)``)
    are squeezed to ``(seq_len, D)``, indexed with ``position_ids`` -> ``(B, S, D)`` (a gather
    along positions) and unsqueezed to ``(B, 1, S, D)``, which broadcasts over the heads. Then
    ``q * cos + rotate_half(q) * sin``, the same for ``k``. A ``(1, S)`` ``position_ids``
    is shared by the batch. Arithmetic in float32 (float64 for float64 q); results in q's
    and k's dtypes.
    """
    real = compute_dtype(q.dtype)  # ours: the original multiplies in q's dtype; here float32, one rounding
    # The first two dimensions of cos and sin are always 1, so we can `squeeze` them.
    cos = cos.squeeze(1).squeeze(0).to(q.device, real)  # [seq_len, dim]
    sin = sin.squeeze(1).squeeze(0).to(q.device, real)  # [seq_len, dim]
    cos = cos[position_ids].unsqueeze(1)  # [bs, 1, seq_len, dim]
    sin = sin[position_ids].unsqueeze(1)  # [bs, 1, seq_len, dim]
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed.to(q.dtype), k_embed.to(k.dtype)


@validated(_checks.permute_for_rotate_half)
def permute_for_rotate_half(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Reorder the rows of a query or key projection weight from the interleaved to the half layout.

    ``w: (n_heads * D, in_features)`` (``nn.Linear.weight``: one block of ``D`` rows per
    head). Within every head, output coordinate ``2i`` moves to slot ``i`` and ``2i + 1`` to
    slot ``i + D/2``; heads stay in place. With the permuted ``W_q`` and ``W_k``, the half
    (``rotate_half``) RoPE gives exactly the attention scores the interleaved RoPE gives
    with the original weights. This is the ``permute`` of Hugging Face's Llama conversion
    script. Returns a new ``(n_heads * D, in_features)`` tensor.
    """
    head_dim = w.shape[0] // n_heads
    idx = interleaved_to_half_index(head_dim).to(w.device)
    return w.reshape(n_heads, head_dim, w.shape[1])[:, idx].reshape(w.shape)
