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
    hints="x[..., 0::2] takes the even coordinates and x[..., 1::2] the odd ones",
))
