"""Exercises of notebook 08 (longer contexts and precision): interpolate, rescale the base, keep angles in float32."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, pick, register
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
    hints="ropelab.angles(positions, dim, base) gives m * theta_i; interpolation squeezes the positions "
         "(true division, not //) into the trained range",
))

register(Exercise(
    id="08.ntk_inv_freq",
    title="NTK-aware scaling: a larger base instead of smaller positions",
    reference=_ntk_inv_freq,
    make_inputs=_ntk_inputs,
    atol=0.0,
    rtol=1e-5,
    hints="compute the new base as a Python float, then ropelab.inv_freq(dim, new_base)",
))

register(Exercise(
    id="08.safe_cos_sin",
    title="the precision fix: float32 angles, bfloat16 cos and sin",
    reference=_safe_cos_sin,
    make_inputs=_safe_inputs,
    # bf16 keeps ~3 decimal digits of cos/sin; float32 vs float64 angles differ by < 0.005 rad at 65535
    atol=1e-2,
    rtol=0.0,
    hints="ropelab.angles(...) is float32 whatever you do next; call .to(torch.bfloat16) on cos and sin, "
         "never on the positions or the angles",
))
