"""Exercises of notebook 02 (why positions; the sinusoidal encoding), and its prediction."""
from __future__ import annotations

import math

import torch

from ..common.exercises import Exercise, Prediction, randint, register
from ..rope import sinusoidal_pe, wavelengths
from .shift import shift_matrix

__all__: list[str] = []


def _pe_inputs(gen: torch.Generator) -> tuple:
    num_positions = int(torch.randint(1, 40, (1,), generator=gen))
    dim = 2 * int(torch.randint(1, 9, (1,), generator=gen))
    return num_positions, dim


def _dim_inputs(gen: torch.Generator) -> tuple:
    return (2 * int(torch.randint(1, 33, (1,), generator=gen)),)


def _shift_inputs(gen: torch.Generator) -> tuple:
    k = randint(gen, -5, 12)
    if k == 0:
        k = 3   # k = 0 is the identity, which a wrong sign would pass
    return k, 2 * randint(gen, 1, 6)


def _shift_reference(k: int, dim: int) -> torch.Tensor:
    return shift_matrix(k, dim)


register(Exercise(
    id="02.sinusoidal_pe",
    title="the sinusoidal position encoding",
    reference=sinusoidal_pe,
    make_inputs=_pe_inputs,
    hints=(
        "Every entry is sin or cos of (position x frequency of its pair): first build all the angles at "
        "once, one row per position and one column per pair.",
        "A column of positions (num_positions, 1) times a row of frequencies (1, dim // 2) broadcasts to the "
        "angle table; the frequency of pair i is 10000 ** (-2i / dim).",
        "Start from a zero tensor of the output's shape; the slice [:, 0::2] addresses the even columns (the "
        "sines) and [:, 1::2] the odd ones (the cosines). Mind the dtype: float32.",
    ),
))

register(Exercise(
    id="02.wavelengths",
    title="the period of every pair",
    reference=wavelengths,
    make_inputs=_dim_inputs,
    check_dtype=False,   # float32 or float64 both fine; the values are compared with rtol 1e-5
    hints=(
        "sin(pos * theta) repeats when pos * theta has grown by one full turn. How many positions is that?",
        "The period is T = 2*pi / theta; with theta_i = 10000^(-2i/dim) that is 2*pi * 10000^(2i/dim), "
        "one value per pair.",
        "The exponents 2i for i = 0 .. dim/2 - 1 are torch.arange(0, dim, 2); divide them by dim before "
        "raising 10000 to them.",
    ),
))

register(Exercise(
    id="02.shift_matrix",
    title="the matrix M(k) with PE[pos + k] = M(k) PE[pos]",
    reference=_shift_reference,
    make_inputs=_shift_inputs,
    check_dtype=False,   # float32 or float64 both fine
    hints=(
        "Write sin((pos + k) theta) and cos((pos + k) theta) with the angle-sum formulas: each one is "
        "a combination of sin(pos theta) and cos(pos theta) whose coefficients contain k but not pos.",
        "Pairs do not mix: M(k) is zero except for one 2x2 block per pair on the diagonal. Rows 2i and "
        "2i+1 are the new sine and the new cosine; columns 2i and 2i+1 the old sine and the old cosine. "
        "The sine row gets cos(k theta_i) on the diagonal; mind which off-diagonal entry is negative.",
        "Start from a (dim, dim) zero matrix and fill the four entries of each block in a loop over the "
        "pairs; theta_i is 10000 ** (-2i / dim). Check your block on k = 1, pos = 0: it must send "
        "(sin 0, cos 0) = (0, 1) to (sin theta_i, cos theta_i).",
    ),
))


def _count_full_turns(length: int, dim: int) -> int:
    """Pairs whose period fits into positions 0 .. length - 1, counted with plain floats."""
    return sum(1 for i in range(dim // 2) if 2 * math.pi * 10000 ** (2 * i / dim) <= length - 1)


register(Prediction(
    id="02.full_turns",
    question="At d = 64, how many of the 32 pairs turn through a full circle while pos goes from 0 to 127?",
    answer=_count_full_turns(128, 64),
    explain=("Pair i turns by theta_i = 10000^(-2i/64) per step, so over 127 steps it sweeps 127 theta_i "
             "radians: a full turn when its period 2*pi * 10000^(i/32) is at most 127, i.e. "
             "10000^(i/32) <= 127 / (2*pi) ~ 20.2, i <= 32 ln(20.2) / ln(10000) ~ 10.4. Pairs 0 .. 10, "
             "eleven of them; the other 21 see only an arc of their circle, and a longer text takes them "
             "to angles never seen in training. The next cell counts it with circle_coverage."),
))
