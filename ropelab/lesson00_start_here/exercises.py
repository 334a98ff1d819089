"""Exercise of notebook 00 (a warm-up that shows how checking works)."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, register

__all__: list[str] = []


def _pair_norms(x: torch.Tensor) -> torch.Tensor:
    # the pairs as a trailing dimension of size 2, (..., dim // 2, 2), and the length of each
    return torch.linalg.vector_norm(x.unflatten(-1, (-1, 2)), dim=-1)


def _inputs(gen: torch.Generator) -> tuple:
    batch = int(torch.randint(1, 4, (1,), generator=gen))
    half = int(torch.randint(1, 5, (1,), generator=gen))
    return (torch.randn(batch, 2 * half, generator=gen),)


register(Exercise(
    id="00.pair_norms",
    title="length of every pair (2i, 2i+1)",
    reference=_pair_norms,
    make_inputs=_inputs,
    hints=(
        "A pair (x_2i, x_2i+1) is a 2-D vector; its length is the square root of the sum of the squares "
        "of its two coordinates.",
        "Take the first members of all pairs at once (the even coordinates) and the second members (the odd "
        "ones): two tensors of shape (..., dim // 2), combined elementwise.",
        "x[..., 0::2] steps through the last dimension from 0 in steps of 2 (the even coordinates), "
        "x[..., 1::2] from 1; ** 2, + and torch.sqrt work elementwise.",
    ),
))
