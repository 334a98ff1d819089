"""Exercise of notebook 00 (a warm-up that shows how checking works)."""
from __future__ import annotations

import torch

from ._core import Exercise, register

__all__: list[str] = []


def _pair_norms(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(x[..., 0::2] ** 2 + x[..., 1::2] ** 2)


def _inputs(gen: torch.Generator) -> tuple:
    batch = int(torch.randint(1, 4, (1,), generator=gen))
    half = int(torch.randint(1, 5, (1,), generator=gen))
    return (torch.randn(batch, 2 * half, generator=gen),)


register(Exercise(
    id="00.pair_norms",
    title="length of every pair (2i, 2i+1)",
    spec="x: (..., dim) with dim even -> (..., dim // 2): the length sqrt(x[2i]^2 + x[2i+1]^2) of each pair",
    reference=_pair_norms,
    make_inputs=_inputs,
    hint="x[..., 0::2] takes the even coordinates and x[..., 1::2] the odd ones",
))
