"""Exercises of notebook 06 (Meta's LLaMA RoPE code).

The references are the functions of :mod:`ropelab.llama`, which follow Meta's
``model.py`` line for line. Each exercise is registered with
:func:`ropelab.common.exercises.exercise` on top of the function that makes its random inputs;
the hints come in stages (a nudge first, code-level help last, never the solution). Two
predict-then-check questions (:class:`~ropelab.common.exercises.Prediction`) ask for a number
or a choice before the notebook measures it.
"""
from __future__ import annotations

import torch

from ..common.exercises import Prediction, exercise, randint, register
from . import llama

__all__: list[str] = []


def _complex(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.complex(torch.randn(*shape, generator=gen), torch.randn(*shape, generator=gen))


@exercise(
    "06.reshape_for_broadcast", llama.reshape_for_broadcast,
    title="view the rotary table so it broadcasts over batch and heads",
    view_of=0,  # a view of freqs_cis (same memory), not a copy
    hints=(
        "Broadcasting lines shapes up from the right. The table must keep the size of the sequence "
        "axis and of the pair axis, and have size 1 on every axis it is shared over (batch, heads).",
        "Build the target shape from x.shape: keep entry 1 and the last entry, write 1 everywhere "
        "else. The answer is a view of freqs_cis with that shape (same memory, no copy).",
        "A list comprehension over enumerate(x.shape) builds the shape; Tensor.view takes the sizes "
        "unpacked. For x of shape (2, 6, 3, 4) the result must be (1, 6, 1, 4).",
    ),
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
    hints=(
        "Meta reads each adjacent pair (x[2j], x[2j+1]) as one complex number and multiplies it by "
        "the table entry e^{i m theta_j}; then it turns the products back into real pairs, in the "
        "input's shape and dtype.",
        "Four steps per tensor: split the last axis into (D/2, 2) in float32; view that as complex; "
        "multiply by the table lined up with reshape_for_broadcast (section 2); view as real and merge "
        "the last two axes. Then restore the input's dtype: some cases are bfloat16.",
        "torch.view_as_complex needs a float32 tensor whose last axis has size 2 and torch.view_as_real "
        "undoes it; .flatten(3) merges (D/2, 2) back into D; .type_as restores a dtype. One table "
        "serves xq and xk, even when xk has fewer heads.",
    ),
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
    hints=(
        "Row i is new token i, at position start_pos + i. It may see every cached position and the "
        "new tokens up to itself (0 there), never a later one (-inf).",
        "Build it as two blocks side by side: start_pos columns for the cache, all visible, and a "
        "seqlen x seqlen block for the new tokens with -inf strictly above its diagonal.",
        "torch.triu(t, diagonal=1) keeps what lies strictly above the diagonal and zeroes the rest; "
        "torch.hstack joins blocks left to right. The result is float32 (seqlen, start_pos + seqlen).",
    ),
)
def _mask_inputs(gen: torch.Generator) -> tuple:
    return randint(gen, 1, 6), randint(gen, 1, 6)


# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

register(Prediction(
    id="06.shifted_block",
    question="six tokens through one attention layer, at positions 0..5 and again at 100..105: the largest "
             "difference between the two outputs?",
    answer=0.0,
    atol=1e-3,
    explain="Zero, up to float32 rounding. Inside the layer positions enter only through the rotated q and "
            "k, and every score R_m q . R_n k depends on m - n alone (R_m^T R_n = R_(n-m)). Moving all six "
            "tokens by 100 keeps every m - n, so every score, every softmax weight and, because the values "
            "are never rotated, every output. The next cell measures it.",
))

register(Prediction(
    id="06.cache_holds",
    question="after the forward pass, does layer 0's KV cache hold the keys rotated (RoPE applied) or not rotated?",
    answer="rotated",
    choices=("rotated", "not rotated"),
    explain="Rotated: Meta's Attention rotates xk right after the projection and writes the rotated keys into "
            "cache_k at start_pos. That is enough for every later query, because a key's rotation depends "
            "only on its own position n and the score depends on m - n alone: each key is rotated once, when "
            "it is written, never again. The values are stored as projected. The next cell compares the "
            "cache with wk(h) and with wk(h) rotated.",
))
