"""The precision of the angle table: why RoPE's angles must stay in float32.

A model cast to bfloat16 or float16 may round its position ids and its ``inv_freq`` buffer
too, and then the angle table ``m * theta_i`` loses the angle at long positions (bfloat16
keeps 8 significant bits: 65535 becomes 65536; float16 overflows above 65504).
:func:`angle_table` computes the table that careless way, entirely in a low-precision
dtype, so it can be measured (:func:`angle_error`, :func:`distinct_positions`,
:func:`scores_at_distance`); :func:`cos_sin_table` is the fix: angles in float32, only
cos/sin rounded to the low-precision dtype.

Shapes: ``positions: (seq,)``; tables ``(seq, dim // 2)``; ``q, k: (dim,)``.
"""
from __future__ import annotations

import math

import torch

from .._validate import as_positions, check_angle_table, check_base, check_even_dim, check_int, check_tensor
from ..rope import DEFAULT_BASE, inv_freq

__all__ = ["angle_table", "angle_error", "cos_sin_table", "distinct_positions", "scores_at_distance"]


def _check_dtype(dtype) -> torch.dtype:
    allowed = (torch.bfloat16, torch.float16, torch.float32, torch.float64)
    if not isinstance(dtype, torch.dtype) or dtype not in allowed:
        raise TypeError(
            f"dtype must be one of torch.bfloat16, torch.float16, torch.float32, torch.float64; got {dtype!r}"
        )
    return dtype


def angle_table(positions, dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.float32
                ) -> torch.Tensor:
    """The angle table computed *entirely* in ``dtype``: shape ``(seq, dim // 2)``, dtype ``dtype``.

    This is what happens when a model's position ids and ``inv_freq`` buffer are cast to a
    low-precision dtype: the positions are rounded to ``dtype`` (bfloat16 keeps 8 significant
    bits, so 65535 becomes 65536), the frequencies are rounded, and the product is rounded
    again. With ``dtype=torch.float32`` it equals :func:`ropelab.angles`. Do not use a
    low-precision table for real work; it is here to be measured.
    """
    dtype = _check_dtype(dtype)
    dim = check_even_dim(dim, "dim")
    base = check_base(base)
    positions = as_positions(positions, "positions")
    freqs = inv_freq(dim, base).to(dtype)
    return torch.outer(positions.to(dtype), freqs)


def angle_error(positions, dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.bfloat16,
                wrap: bool = False) -> torch.Tensor:
    """``|angle_table(dtype) - angle_table(float32)|``: float64 ``(seq, dim // 2)``.

    With ``wrap=True`` the difference is taken modulo ``2*pi`` (into ``[0, pi]``), which is
    what the rotation feels: an error of a whole turn is no error. Infinite or NaN angles
    (float16 overflows above 65504) give ``inf``.
    """
    if not isinstance(wrap, bool):
        raise TypeError(f"wrap must be True or False; got {wrap!r}")
    low = angle_table(positions, dim, base, dtype).double()
    ref = angle_table(positions, dim, base, torch.float32).double()
    diff = low - ref
    if wrap:
        diff = torch.remainder(diff + math.pi, 2 * math.pi) - math.pi
    err = diff.abs()
    return torch.where(torch.isfinite(err), err, torch.full_like(err, math.inf))


def cos_sin_table(positions, dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.float32
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """The fix: angles in float32, then ``cos`` and ``sin`` rounded to ``dtype``.

    Returns ``(cos, sin)``, each ``(seq, dim // 2)`` in ``dtype``. cos and sin lie in
    ``[-1, 1]``, where bfloat16's absolute error is at most ``2**-9``; the angle itself never
    passes through ``dtype``. This is what ropelab does for every input dtype.
    """
    dtype = _check_dtype(dtype)
    positions = as_positions(positions, "positions")
    ang = check_angle_table(angle_table(positions, dim, base, torch.float32), positions)
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def distinct_positions(positions, dtype: torch.dtype) -> int:
    """How many distinct values ``positions`` keeps after rounding to ``dtype`` (inf counts once).

    Positions that round to the same value get identical angle rows, so the model cannot tell
    those tokens apart by position.
    """
    dtype = _check_dtype(dtype)
    positions = as_positions(positions, "positions")
    return int(torch.unique(positions.to(dtype).double()).numel())


def scores_at_distance(q, k, positions, distance: int = 16, base: float = DEFAULT_BASE,
                       dtype: torch.dtype = torch.float32, fixed: bool = False) -> torch.Tensor:
    """Attention score of ``q`` at position ``m`` with ``k`` at ``m - distance``, for every ``m``.

    ``q, k: (dim,)``; ``positions: (n,)``. Returns float64 ``(n,)``. In exact arithmetic
    every entry is the same number (the score depends only on the distance). The cos/sin
    tables come from :func:`angle_table` in ``dtype`` (``fixed=False``, the careless way)
    or from :func:`cos_sin_table` in ``dtype`` (``fixed=True``: float32 angles, cos/sin
    rounded to ``dtype``); everything after the table is float64, so the spread of the
    result is the table's doing alone. Interleaved layout.
    """
    q = check_tensor(q, "q", floating=True, ndim=1, shape_hint="(dim,)")
    k = check_tensor(k, "k", floating=True, ndim=1, shape_hint="(dim,)")
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape (dim,); got {tuple(q.shape)} and {tuple(k.shape)}")
    dim = check_even_dim(q.shape[0], "q.shape[0] (dim)")
    distance = check_int(distance, "distance")
    if not isinstance(fixed, bool):
        raise TypeError(f"fixed must be True or False; got {fixed!r}")
    positions = as_positions(positions, "positions")

    def table(pos):
        if fixed:
            cos, sin = cos_sin_table(pos, dim, base, dtype)
            return cos.double(), sin.double()
        ang = angle_table(pos, dim, base, dtype).double()
        return torch.cos(ang), torch.sin(ang)

    def rotate(v, cos, sin):
        a, b = v.double()[0::2], v.double()[1::2]
        return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)

    rq = rotate(q, *table(positions))
    rk = rotate(k, *table(positions - distance))
    return (rq * rk).sum(-1)
