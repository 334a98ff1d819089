"""Exercises of notebook 02 (why positions; the sinusoidal encoding)."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, register
from ..rope import sinusoidal_pe, wavelengths

__all__: list[str] = []


def _pe_inputs(gen: torch.Generator) -> tuple:
    num_positions = int(torch.randint(1, 40, (1,), generator=gen))
    dim = 2 * int(torch.randint(1, 9, (1,), generator=gen))
    return num_positions, dim


def _dim_inputs(gen: torch.Generator) -> tuple:
    return (2 * int(torch.randint(1, 33, (1,), generator=gen)),)


register(Exercise(
    id="02.sinusoidal_pe",
    title="the sinusoidal position encoding",
    reference=sinusoidal_pe,
    make_inputs=_pe_inputs,
    hints="build pos (num_positions, 1) and freqs (1, dim // 2), multiply (broadcasting), then put sin in the "
         "even columns pe[:, 0::2] and cos in the odd columns pe[:, 1::2]",
))

register(Exercise(
    id="02.wavelengths",
    title="the period of every pair",
    reference=wavelengths,
    make_inputs=_dim_inputs,
    check_dtype=False,   # float32 or float64 both fine; the values are compared with rtol 1e-5
    hints="sin(pos * theta) repeats when pos * theta grows by 2*pi, so T = 2*pi / theta with "
         "theta_i = 10000^(-2i/dim); torch.arange(0, dim, 2) gives the 2i",
))
