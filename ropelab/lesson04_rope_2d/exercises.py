"""Exercises of notebook 04 (RoPE in two dimensions): rotate by position, then the relative score."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, randint, register
from ..rope import rope_from_angles
from .scores import relative_score

__all__: list[str] = []


def _rope_2d(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    # x (seq, 2): one 2-D vector per token; token j is turned by positions[j] * theta
    table = (positions.double() * theta)[:, None]  # (seq, 1): the angle table of a single pair
    return rope_from_angles(x, table)


def _relative_score_2d(q: torch.Tensor, k: torch.Tensor, distance: int, theta: float) -> torch.Tensor:
    return relative_score(q, k, distance, freqs=torch.tensor([theta]))


def _theta(gen: torch.Generator) -> float:
    # an angle in (0.05, 1.55) radians, rounded so the printed inputs stay short
    return round(0.05 + 1.5 * float(torch.rand((), generator=gen)), 3)


def _rope_inputs(gen: torch.Generator) -> tuple:
    seq = randint(gen, 2, 8)
    x = torch.randn(seq, 2, generator=gen)
    positions = torch.randint(0, 21, (seq,), generator=gen)
    return x, positions, _theta(gen)


def _score_inputs(gen: torch.Generator) -> tuple:
    n = randint(gen, 1, 5)
    q = torch.randn(n, 2, generator=gen)
    k = torch.randn(n, 2, generator=gen)
    distance = randint(gen, -12, 12)
    if distance == 0:
        distance = 5  # keep the sine term alive so a sign error shows
    return q, k, distance, _theta(gen)


register(Exercise(
    id="04.rope_2d",
    title="2-D RoPE: turn each token by its position times theta",
    reference=_rope_2d,
    make_inputs=_rope_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints="the angle of token j is positions[j] * theta; new first coordinate x1 cos - x2 sin, "
         "second x1 sin + x2 cos (torch.stack([...], dim=-1) puts them side by side)",
))

register(Exercise(
    id="04.relative_score_2d",
    title="the score g(q, k, m - n) in complex form",
    reference=_relative_score_2d,
    make_inputs=_score_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints="torch.view_as_complex(q) gives (N,) complex numbers; k.conj(), torch.polar(torch.ones(()), angle), "
         "and .real at the end",
))
