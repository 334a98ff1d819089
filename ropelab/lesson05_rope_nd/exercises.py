"""Exercises of notebook 05 (RoPE in d dimensions): the elementwise form, the block-diagonal
matrix, and the relative property checked for a given pair."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, randint, register
from ..rope import rope_interleaved, rotation_matrix

__all__: list[str] = []


def _relative_property(q: torch.Tensor, k: torch.Tensor, m: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    lhs = (rotation_matrix(m, q.shape[-1]) @ q) @ (rotation_matrix(n, k.shape[-1]) @ k)
    rhs = q @ rotation_matrix(n - m, q.shape[-1]) @ k
    return lhs, rhs


def _dim(gen: torch.Generator, low: int = 1, high: int = 8) -> int:
    # an even head dimension 2 * [low, high]
    return 2 * randint(gen, low, high)


def _rope_inputs(gen: torch.Generator) -> tuple:
    batch = randint(gen, 1, 2)
    seq = randint(gen, 1, 6)
    x = torch.randn(batch, seq, _dim(gen), generator=gen)
    positions = torch.randint(0, 200, (seq,), generator=gen)
    return x, positions


def _matrix_inputs(gen: torch.Generator) -> tuple:
    position = randint(gen, 0, 99)
    return position, _dim(gen, 2, 8)


def _pair_inputs(gen: torch.Generator) -> tuple:
    dim = _dim(gen, 2, 8)
    q = torch.randn(dim, generator=gen)
    k = torch.randn(dim, generator=gen)
    m = randint(gen, 0, 59)
    n = randint(gen, 0, 59)
    if m == n:
        n = m + 7  # a pair with m != n, where the direction of n - m matters
    return q, k, m, n


register(Exercise(
    id="05.rope_elementwise",
    title="RoPE without a matrix: x * cos + rotate(x) * sin",
    reference=rope_interleaved,
    make_inputs=_rope_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints="cos and sin of the angle table are (seq, dim // 2): repeat_interleave(2, dim=-1) makes them "
         "(seq, dim); rotate maps each pair (x1, x2) to (-x2, x1): "
         "torch.stack((-x[..., 1::2], x[..., 0::2]), -1).flatten(-2)",
))

register(Exercise(
    id="05.rotation_matrix",
    title="build the block-diagonal R_{Theta,m}",
    reference=rotation_matrix,
    make_inputs=_matrix_inputs,
    atol=1e-5,
    rtol=1e-5,
    hints="start from torch.zeros(dim, dim); ropelab.angles([position], dim)[0] gives the dim // 2 angles; "
         "fill R[2i, 2i], R[2i, 2i+1], R[2i+1, 2i], R[2i+1, 2i+1]",
))

register(Exercise(
    id="05.relative_property",
    title="(R_m q)^T (R_n k) = q^T R_{n-m} k for a given pair",
    reference=_relative_property,
    make_inputs=_pair_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints="R_m^T = R_{-m} and R_{-m} R_n = R_{n-m}; the relative rotation goes on the key side",
))
