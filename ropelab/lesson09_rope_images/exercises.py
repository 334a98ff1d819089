"""Exercises of notebook 09 (RoPE for images): the 2-D angle table and a patch's score map."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, pick, register
from .vision import axial_angles, score_map

__all__: list[str] = []


def _axial_angles(positions: torch.Tensor, dim: int, base: float) -> torch.Tensor:
    return axial_angles(positions, dim, base)


def _score_map(q: torch.Tensor, k: torch.Tensor, rows: int, cols: int, index: int, base: float) -> torch.Tensor:
    return score_map(q, k, rows, cols, index, base)


def _angle_inputs(gen: torch.Generator) -> tuple:
    n = int(torch.randint(2, 10, (1,), generator=gen))
    positions = torch.randint(0, 16, (n, 2), generator=gen)
    return positions, pick(gen, (8, 16, 32)), pick(gen, (100.0, 10000.0))


def _map_inputs(gen: torch.Generator) -> tuple:
    rows = int(torch.randint(2, 6, (1,), generator=gen))
    cols = rows + int(torch.randint(1, 3, (1,), generator=gen))  # never square: a swapped reshape shows
    dim = pick(gen, (8, 16))
    q = torch.randn(rows * cols, dim, generator=gen)
    k = torch.randn(rows * cols, dim, generator=gen)
    index = int(torch.randint(0, rows * cols, (1,), generator=gen))
    # several bases (100 is the default of ropelab.vision), so a function that ignores `base` fails
    return q, k, rows, cols, index, pick(gen, (100.0, 10000.0, 10.0))


register(Exercise(
    id="09.axial_angles",
    title="the 2-D axial angle table",
    reference=_axial_angles,
    make_inputs=_angle_inputs,
    atol=1e-4,
    rtol=1e-5,
    hints="f = ropelab.inv_freq(dim // 2, base) gives base ** (-4j / dim); torch.outer for each axis, then "
         "torch.cat([...], dim=-1)",
))

register(Exercise(
    id="09.score_map",
    title="one patch's scores against every patch, as an image",
    reference=_score_map,
    make_inputs=_map_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints="rotate q and k with ropelab.vision.axial_rope(x, ropelab.vision.patch_grid(rows, cols), base), "
         "then k_rot @ q_rot[index] and reshape to (rows, cols)",
))

