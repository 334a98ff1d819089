"""Exercises of notebook 09 (RoPE for images): the 2-D angle table and a patch's score map.

Hints come in stages (a nudge first, code-level help last, never the solution); one
predict-then-check question (``09.peak_moves``) asks where a score map peaks when ``W_q != W_k``.
"""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, Prediction, pick, register
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
    hints=(
        "Half of the pairs turn with the row, the other half with the column, both with the same "
        "frequencies f_j = base^(-4j/dim): two ordinary 1-D angle tables side by side.",
        "The frequencies f_j are those of 1-D RoPE for a head half as large (dim // 2). Build the table of "
        "positions[:, 0] (rows) and the table of positions[:, 1] (columns), and join them, rows first.",
        "ropelab.inv_freq(n, base) gives base^(-2j/n); torch.outer(positions, freqs) is an angle table "
        "(convert integer positions to float first); torch.cat joins along the last axis.",
    ),
))

register(Exercise(
    id="09.score_map",
    title="one patch's scores against every patch, as an image",
    reference=_score_map,
    make_inputs=_map_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "Give every patch its (row, col), rotate all queries and all keys by their own 2-D positions, then "
        "take the one query of patch `index` against every key and lay the scores out as the image.",
        "Patches come in raster order, so the positions are the grid of the lesson (row-major); the same "
        "`base` must reach the rotation. One dot product per key gives rows * cols scores.",
        "ropelab.vision.patch_grid gives the (row, col) list and ropelab.vision.axial_rope rotates with it "
        "(pass base); a matrix-vector product of the rotated keys with one rotated query, then .reshape.",
    ),
))



# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

PEAK_CHOICES = ("at the query's own patch", "generally somewhere else")

register(Prediction(
    id="09.peak_moves",
    question="same content x at every patch, but q = W_q x and k = W_k x with W_q != W_k: where does the "
             "2-D axial score map of a query peak?",
    answer="generally somewhere else",
    choices=PEAK_CHOICES,
    explain="Generally somewhere else. Pair j contributes |q_j| |k_j| cos(offset . f_j + phi_j), where phi_j is "
            "the angle between the pair-j parts of q and k. With q = k every phi_j is 0, so all the cosines "
            "peak together at offset 0: the query's own patch. With W_q != W_k the phases differ, and the "
            "largest sum sits at an offset set by q and k (and by the offsets the grid leaves around the "
            "query), generally not at the query. The figure below shows both rows.",
))
