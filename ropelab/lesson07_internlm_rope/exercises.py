"""Exercises of notebook 07 (the Hugging Face / InternLM RoPE code).

The references are the functions of :mod:`ropelab.internlm`; each exercise is registered
with lesson 06's :func:`~ropelab.lesson06_llama_rope.exercises.exercise` on top of the
function that makes its random inputs.
"""
from __future__ import annotations

import torch

from ..common.exercises import exercise, randint
from . import internlm

__all__: list[str] = []


@exercise(
    "07.rotate_half", internlm.rotate_half,
    title="rotate_half: the quarter turn of the half layout",
    hints="x1 = x[..., : x.shape[-1] // 2]; x2 = x[..., x.shape[-1] // 2 :]; "
         "torch.cat((-x2, x1), dim=-1)",
)
def _rotate_inputs(gen: torch.Generator) -> tuple:
    # at least 2 heads and 3 positions, so working on the wrong axis is caught
    B, H, S, half = randint(gen, 1, 2), randint(gen, 2, 3), randint(gen, 3, 5), randint(gen, 2, 6)
    return (torch.randn(B, H, S, 2 * half, generator=gen),)


@exercise(
    "07.apply_rotary_pos_emb", internlm.apply_rotary_pos_emb,
    title="apply_rotary_pos_emb: look up the positions, then rotate",
    hints="cos = cos.squeeze(1).squeeze(0) gives (N, D); cos[position_ids] gives (B, S, D); "
         ".unsqueeze(1) gives (B, 1, S, D); then q * cos + rotate_half(q) * sin",
)
def _apply_inputs(gen: torch.Generator) -> tuple:
    B, Hq, S, half = randint(gen, 2, 3), randint(gen, 1, 4), randint(gen, 2, 6), randint(gen, 2, 6)
    Hk = randint(gen, 1, Hq)
    D = 2 * half
    q = torch.randn(B, Hq, S, D, generator=gen)
    k = torch.randn(B, Hk, S, D, generator=gen)
    n_table = randint(gen, 8, 64)
    cos, sin = internlm.InternLMRotaryEmbedding(D, n_table)(q, seq_len=n_table)
    position_ids = torch.randint(0, n_table, (B, S), generator=gen)   # a different row per batch entry
    return q, k, cos, sin, position_ids


@exercise(
    "07.permute_for_rotate_half", internlm.permute_for_rotate_half,
    title="convert W_q / W_k from the interleaved to the half layout",
    hints="view w as (n_heads, D/2, 2, d_in), swap the two middle axes, reshape back; or index each "
         "head's rows with ropelab.interleaved_to_half_index(D)",
)
def _permute_inputs(gen: torch.Generator) -> tuple:
    # n_heads >= 2 and D >= 6: a permutation that ignores heads, or its inverse, is caught
    n_heads, half, d_in = randint(gen, 2, 4), randint(gen, 3, 6), randint(gen, 3, 10)
    return torch.randn(n_heads * 2 * half, d_in, generator=gen), n_heads
