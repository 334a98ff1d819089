"""Exercises of notebook 06 (Meta's LLaMA RoPE code).

The references are the functions of :mod:`ropelab.llama`, which follow Meta's
``model.py`` line for line. Each exercise is registered with
:func:`ropelab.common.exercises.exercise` on top of the function that makes its random inputs.
"""
from __future__ import annotations

import torch

from ..common.exercises import exercise, randint
from . import llama

__all__: list[str] = []


def _complex(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.complex(torch.randn(*shape, generator=gen), torch.randn(*shape, generator=gen))


@exercise(
    "06.reshape_for_broadcast", llama.reshape_for_broadcast,
    title="view the rotary table so it broadcasts over batch and heads",
    view_of=0,  # a view of freqs_cis (same memory), not a copy
    hints="keep the sizes of x's dim 1 (sequence) and its last dim, put 1 everywhere else: "
         "freqs_cis.view(1, S, 1, D // 2)",
)
def _reshape_inputs(gen: torch.Generator) -> tuple:
    # B, H >= 2 and S != D/2 in every case, so a misplaced axis changes the shape
    B, S, H, half = randint(gen, 2, 3), randint(gen, 2, 6), randint(gen, 2, 4), randint(gen, 2, 5)
    if half == S:
        half += 1
    start = randint(gen, 0, 20)
    freqs_cis = llama.precompute_freqs_cis(2 * half, start + S)[start:]
    return freqs_cis, _complex(gen, B, S, H, half)


@exercise(
    "06.apply_rotary_emb", llama.apply_rotary_emb,
    title="rotate queries and keys the Meta way (complex multiply)",
    hints="xq.float().reshape(*xq.shape[:-1], -1, 2) -> torch.view_as_complex -> multiply by "
         "freqs_cis.view(1, S, 1, D // 2) -> torch.view_as_real -> .flatten(3) -> .type_as(xq)",
)
def _apply_inputs(gen: torch.Generator) -> tuple:
    B, S, Hq, half = randint(gen, 1, 2), randint(gen, 2, 6), randint(gen, 1, 4), randint(gen, 2, 8)
    Hk = randint(gen, 1, Hq)
    dtype = torch.bfloat16 if randint(gen, 0, 2) == 0 else torch.float32
    xq = torch.randn(B, S, Hq, 2 * half, generator=gen).to(dtype)
    xk = torch.randn(B, S, Hk, 2 * half, generator=gen).to(dtype)
    start = randint(gen, 0, 50)
    return xq, xk, llama.precompute_freqs_cis(2 * half, start + S)[start:]


@exercise(
    "06.causal_mask", llama.causal_mask,
    title="the causal mask with a KV cache",
    hints="torch.full((seqlen, seqlen), float('-inf')).triu(1) for the new tokens, with "
         "torch.zeros(seqlen, start_pos) in front of it (torch.hstack)",
)
def _mask_inputs(gen: torch.Generator) -> tuple:
    return randint(gen, 1, 6), randint(gen, 1, 6)
