"""Exercises of notebook 04 (RoPE in two dimensions): rotate by position, then the relative score."""
from __future__ import annotations

import torch

from ..decay import relative_score
from ..rope import rope_from_angles
from ._core import Exercise, register

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
    seq = int(torch.randint(2, 9, (1,), generator=gen))
    x = torch.randn(seq, 2, generator=gen)
    positions = torch.randint(0, 21, (seq,), generator=gen)
    return x, positions, _theta(gen)


def _score_inputs(gen: torch.Generator) -> tuple:
    n = int(torch.randint(1, 6, (1,), generator=gen))
    q = torch.randn(n, 2, generator=gen)
    k = torch.randn(n, 2, generator=gen)
    distance = int(torch.randint(-12, 13, (1,), generator=gen))
    if distance == 0:
        distance = 5  # keep the sine term alive so a sign error shows
    return q, k, distance, _theta(gen)


register(Exercise(
    id="04.rope_2d",
    title="2-D RoPE: turn each token by its position times theta",
    spec="x: (seq, 2) float32, positions: (seq,) int64, theta: float (radians) -> (seq, 2) float32: "
         "row j is x[j] rotated counter-clockwise by positions[j] * theta, i.e. R(m theta) x_m",
    reference=_rope_2d,
    make_inputs=_rope_inputs,
    atol=1e-4,
    rtol=1e-4,
    hint="the angle of token j is positions[j] * theta; new first coordinate x1 cos - x2 sin, "
         "second x1 sin + x2 cos (torch.stack([...], dim=-1) puts them side by side)",
))

register(Exercise(
    id="04.relative_score_2d",
    title="the score g(q, k, m - n) in complex form",
    spec="q, k: (N, 2) float32, distance: int (m - n), theta: float -> (N,) float32: "
         "Re[q conj(k) e^{i (m - n) theta}] with q = q[:, 0] + i q[:, 1] (same for k); "
         "it must equal the dot product of R(m theta) q and R(n theta) k",
    reference=_relative_score_2d,
    make_inputs=_score_inputs,
    atol=1e-4,
    rtol=1e-4,
    hint="torch.view_as_complex(q) gives (N,) complex numbers; k.conj(), torch.polar(torch.ones(()), angle), "
         "and .real at the end",
))
