"""Exercises of notebook 07 (the Hugging Face / InternLM RoPE code).

The references are the functions of :mod:`ropelab.internlm`; each exercise is registered
with lesson 06's :func:`~ropelab.lesson06_llama_rope.exercises.exercise` on top of the
function that makes its random inputs. Hints come in stages (a nudge first, code-level help
last, never the solution); one predict-then-check question (``07.mixed_top1``) asks what mixing
the layouts does before the notebook measures it.
"""
from __future__ import annotations

import torch

from ..common.exercises import Prediction, exercise, randint, register
from . import internlm

__all__: list[str] = []


@exercise(
    "07.rotate_half", internlm.rotate_half,
    title="rotate_half: the quarter turn of the half layout",
    hints=(
        "Pair i of the half layout is (x[i], x[i + D/2]); a quarter turn maps a pair (a, b) to (-b, a). "
        "Do that to every pair at once, on the last axis only.",
        "Split the last axis into its first half A and its second half B (slicing, so any leading axes "
        "pass through), and return the second half negated in front of the first half.",
        "The half size is x.shape[-1] // 2; slice with x[..., :n] and x[..., n:]; torch.cat joins along "
        "dim=-1. On torch.arange(8.0) the result is [-4, -5, -6, -7, 0, 1, 2, 3].",
    ),
)
def _rotate_inputs(gen: torch.Generator) -> tuple:
    # at least 2 heads and 3 positions, so working on the wrong axis is caught
    B, H, S, half = randint(gen, 1, 2), randint(gen, 2, 3), randint(gen, 3, 5), randint(gen, 2, 6)
    return (torch.randn(B, H, S, 2 * half, generator=gen),)


@exercise(
    "07.apply_rotary_pos_emb", internlm.apply_rotary_pos_emb,
    title="apply_rotary_pos_emb: look up the positions, then rotate",
    hints=(
        "Two steps: pick the table row of every token's position, then rotate with the half-layout rule "
        "q cos + rotate_half(q) sin (section 3). Every batch entry has its own row of positions.",
        "The tables are (1, 1, N, D): drop the two leading size-1 axes to get (N, D); indexing that with the "
        "(B, S) position_ids gathers (B, S, D); one new axis after the batch makes it broadcast over heads.",
        "Tensor.squeeze(dim) drops a size-1 axis, advanced indexing table[position_ids] gathers rows, "
        "Tensor.unsqueeze(1) inserts the head axis; use the rotate_half you wrote above, for q and for k.",
    ),
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
    hints=(
        "Each head owns D consecutive rows of w; inside a head, row 2i (first member of pair i) must move "
        "to row i and row 2i + 1 to row i + D/2. Heads stay where they are; the columns are untouched.",
        "Give the rows of each head two indices, (pair i, member 0 or 1): as a shape that is "
        "(n_heads, D/2, 2, d_in). Listing members first and pairs second is exactly the half layout.",
        "Tensor.view to (n_heads, D // 2, 2, d_in), transpose the two middle axes, reshape back to w.shape "
        "(the transpose is not contiguous, so not view). Or index each head's rows with "
        "ropelab.interleaved_to_half_index(D).",
    ),
)
def _permute_inputs(gen: torch.Generator) -> tuple:
    # n_heads >= 2 and D >= 6: a permutation that ignores heads, or its inverse, is caught
    n_heads, half, d_in = randint(gen, 2, 4), randint(gen, 3, 6), randint(gen, 3, 10)
    return torch.randn(n_heads * 2 * half, d_in, generator=gen), n_heads


# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

MIXED_TOP1_CHOICES = ("unchanged for every query", "changed for some queries", "changed for every query")

register(Prediction(
    id="07.mixed_top1",
    question="Meta's interleaved W_q, W_k rotated with rotate_half (layouts mixed): what happens to each "
             "query's most-attended key under the causal mask?",
    answer="changed for some queries",
    choices=MIXED_TOP1_CHOICES,
    explain="Changed for some queries. The rotation now pairs coordinates the weights never meant as pairs, "
            "so the scores move by about their own size and many argmaxes move with them. Not for every "
            "query: under the causal mask the query at position 0 sees only key 0, so its choice cannot "
            "change, and a key that wins by a wide margin survives the perturbation. The next cell counts them.",
))
