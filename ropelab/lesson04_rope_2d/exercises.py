"""Exercises of notebook 04 (RoPE in two dimensions): rotate by position, then the relative score;
and two predictions about the two-token picture."""
from __future__ import annotations

import math

import torch

from ..common.exercises import Exercise, Prediction, randint, register
from ..rope import rope_from_angles
from .scores import relative_score
from .widget import DEFAULT_K, DEFAULT_Q

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
    hints=(
        "Token j sits at position positions[j], so it is turned by the angle positions[j] * theta: one angle "
        "per token, then the 2-D rotation of notebook 03.",
        "Turning (x1, x2) by alpha gives (x1 cos alpha - x2 sin alpha, x1 sin alpha + x2 cos alpha). Compute "
        "cos and sin of all the angles at once: tensors of shape (seq,).",
        "positions holds integers: make them floating point before multiplying by theta. Put the two new "
        "coordinates side by side with torch.stack([...], dim=-1) to return (seq, 2).",
    ),
))

register(Exercise(
    id="04.relative_score_2d",
    title="the score g(q, k, m - n) in complex form",
    reference=_relative_score_2d,
    make_inputs=_score_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "For 2-D vectors read as complex numbers the dot product is a . b = Re[a conj(b)]; the two rotations "
        "by m theta and n theta meet in one factor e^{i (m - n) theta}.",
        "The key is conjugated, the query is not: g = Re[q conj(k) e^{i (m - n) theta}]. torch.view_as_complex "
        "turns each (N, 2) tensor into N complex numbers (it needs them contiguous).",
        "e^{i distance theta} is a single complex number: torch.polar with length 1, or Python's "
        "complex(cos, sin). Keep only the real part of the product, so that you return (N,) real scores.",
    ),
))


def _trig_score(q, k, distance: int, theta: float) -> float:
    """(q1 k1 + q2 k2) cos(r theta) + (q1 k2 - q2 k1) sin(r theta), with plain floats (notebook 04, section 4)."""
    (q1, q2), (k1, k2) = q, k
    return (q1 * k1 + q2 * k2) * math.cos(distance * theta) + (q1 * k2 - q2 * k1) * math.sin(distance * theta)


register(Prediction(
    id="04.moved_together",
    question=("The figure shows the score 1.078 for the query at m = 3 and the key at n = 1 (theta = 30 degrees). "
              "Move both tokens 7 positions on, to m = 10 and n = 8: what is the score now?"),
    answer=_trig_score(DEFAULT_Q, DEFAULT_K, 10 - 8, math.radians(30)),
    atol=5e-3,   # 1.078 and 1.08, the figure's number and its rounding, both count
    explain=("Both arrows turn by the same 7 * 30 = 210 degrees, so the angle between them, and with it the "
             "dot product, stays: the score is still g(q, k, m - n) at m - n = 2, about 1.078. Only the "
             "distance reaches the score. The next cell measures both."),
))

register(Prediction(
    id="04.score_period",
    question=("With theta = 30 degrees per position, what is the smallest distance m - n > 0 at which every score "
              "comes back to its value at distance 0, whatever q and k are?"),
    answer=round(360 / 30),
    atol=0,
    explain=("g(q, k, r) = Re[q conj(k) e^{i r theta}] repeats when r theta is a whole turn: r = 360 / 30 = 12. "
             "At r = 6 (half a turn) the score is minus its value at 0. One pair cannot tell distances 12 "
             "apart: notebook 05 adds slower pairs for that. The next cell searches r = 1 .. 30."),
))
