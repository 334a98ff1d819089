"""Exercises of notebook 08 (longer contexts and precision): interpolate, rescale the base, keep angles in float32.

Hints come in stages (a nudge first, code-level help last, never the solution). Two
predict-then-check questions: the NTK exponent ``d / (d - 2)`` at ``d = 128`` and the first
integer position that bfloat16 cannot hold.
"""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, Prediction, pick, register
from .precision import cos_sin_table
from .scaling import scaled_angles, scaled_inv_freq

__all__: list[str] = []

_DIMS = (8, 16, 32, 64, 128)
_BASES = (10000.0, 500000.0)
_FACTORS = (2.0, 4.0, 8.0, 16.0)


def _interpolated_angles(positions: torch.Tensor, dim: int, base: float, factor: float) -> torch.Tensor:
    return scaled_angles(positions, dim, base, "linear", factor=factor)[0]


def _ntk_inv_freq(dim: int, base: float, factor: float) -> torch.Tensor:
    return scaled_inv_freq(dim, base, "ntk", factor=factor)[0]


def _safe_cos_sin(positions: torch.Tensor, dim: int, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    return cos_sin_table(positions, dim, base, torch.bfloat16)


def _interp_inputs(gen: torch.Generator) -> tuple:
    seq = int(torch.randint(3, 12, (1,), generator=gen))
    positions = torch.randint(0, 20000, (seq,), generator=gen)
    return positions, pick(gen, _DIMS[:4]), pick(gen, _BASES), pick(gen, _FACTORS)


def _ntk_inputs(gen: torch.Generator) -> tuple:
    return pick(gen, _DIMS), pick(gen, _BASES), pick(gen, _FACTORS)


def _safe_inputs(gen: torch.Generator) -> tuple:
    seq = int(torch.randint(3, 12, (1,), generator=gen))
    positions = torch.randint(0, 65536, (seq,), generator=gen)
    return positions, pick(gen, _DIMS[:4]), pick(gen, _BASES)


register(Exercise(
    id="08.interpolated_angles",
    title="position interpolation: the angle table of a model stretched by `factor`",
    reference=_interpolated_angles,
    make_inputs=_interp_inputs,
    atol=1e-3,
    rtol=1e-5,
    hints=(
        "Interpolation changes no frequency: it squeezes the positions. Token m is treated as if it sat at "
        "m / factor, inside the range the model was trained on.",
        "Divide the positions by the factor first, with true division (keep the fractions: an integer "
        "tensor needs a float dtype first), then build the ordinary angle table of those positions.",
        "ropelab.angles accepts fractional positions and returns the float32 (seq, dim // 2) table; "
        "converting the positions with .double() before dividing keeps full precision.",
    ),
))

register(Exercise(
    id="08.ntk_inv_freq",
    title="NTK-aware scaling: a larger base instead of smaller positions",
    reference=_ntk_inv_freq,
    make_inputs=_ntk_inputs,
    atol=0.0,
    rtol=1e-5,
    hints=(
        "NTK-aware scaling keeps the formula theta_i = base^(-2i/dim) and changes only the base: the slowest "
        "pair must slow down by the factor, the fastest pair (theta_0 = 1) not at all (section 2).",
        "Solve base'^(-(dim - 2)/dim) = base^(-(dim - 2)/dim) / factor for base': the new base is the old one "
        "times the factor raised to dim / (dim - 2). Compute it as a plain Python float.",
        "ropelab.inv_freq(dim, b) gives the float32 frequencies for any base b; build b first with ** on "
        "Python floats (not tensors).",
    ),
))

register(Exercise(
    id="08.safe_cos_sin",
    title="the precision fix: float32 angles, bfloat16 cos and sin",
    reference=_safe_cos_sin,
    make_inputs=_safe_inputs,
    # bf16 keeps ~3 decimal digits of cos/sin; float32 vs float64 angles differ by < 0.005 rad at 65535
    atol=1e-2,
    rtol=0.0,
    hints=(
        "The angle m * theta_i must never pass through a 16-bit type: bfloat16 cannot even hold every "
        "position above 256 (section 7).",
        "Compute the angle table in float32, take cos and sin in float32, and round only those two results "
        "to bfloat16.",
        "ropelab.angles gives the float32 table (seq, dim // 2) whatever the positions' dtype; then "
        "torch.cos and torch.sin, and .to(torch.bfloat16) on each of the two results.",
    ),
))


# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

register(Prediction(
    id="08.ntk_exponent",
    question="NTK-aware scaling multiplies the base by factor ** x so that the slowest pair slows by exactly "
             "the factor and the fastest not at all: x at head dimension d = 128?",
    answer=128 / 126,  # d / (d - 2), by hand
    rtol=1e-3,
    explain="x = d / (d - 2) = 128 / 126 = 64 / 63, about 1.0159. The slowest pair i = d/2 - 1 turns at "
            "base^(-(d - 2)/d); dividing it by s needs base' ** (-(d - 2)/d) = base ** (-(d - 2)/d) / s, "
            "so base' = base * s ** (d / (d - 2)). The exponent is a little above 1 because the slowest pair's "
            "exponent (d - 2)/d is a little below 1. The next cell checks it against ropelab.scaling.ntk_base.",
))

register(Prediction(
    id="08.bf16_first_collision",
    question="the first positive integer position that bfloat16 cannot store exactly (it rounds onto a neighbour)?",
    answer=257,
    atol=0,
    explain="257. bfloat16 keeps 8 significant bits, so every integer up to 2**8 = 256 is exact; 257 needs 9 "
            "bits and is a tie between 256 and 258, which rounds to the even mantissa, 256. From there on the "
            "representable integers are 2, then 4, 8, ... apart, and tokens start sharing positions. The next "
            "cell finds it by trying every integer.",
))
