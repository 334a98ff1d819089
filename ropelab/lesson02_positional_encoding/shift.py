"""The shift property of the sinusoidal encoding: ``PE[pos + k] = M(k) PE[pos]`` for every ``pos``.

For pair ``i`` (dimensions ``2i``, ``2i+1``, frequency ``theta_i = base^(-2i/d)``) the
angle-sum formulas give

    sin((pos + k) theta) =  cos(k theta) sin(pos theta) + sin(k theta) cos(pos theta)
    cos((pos + k) theta) = -sin(k theta) sin(pos theta) + cos(k theta) cos(pos theta)

so the pair ``(sin, cos)`` at ``pos + k`` is a fixed 2x2 matrix times the pair at ``pos``:
a rotation whose angle ``k theta_i`` contains ``k`` but not ``pos``. Stacking the blocks gives
the block-diagonal :func:`shift_matrix` ``M(k)``. This is the reason Vaswani et al. give for
choosing sinusoids ("for any fixed offset k, PE_{pos+k} can be represented as a linear
function of PE_pos"), and the bridge to RoPE: in RoPE's notation ``M(k)`` is the rotation
``R_{Theta,-k}`` (:func:`ropelab.rotation_matrix` ``(-k, dim)``), and ``PE[pos] = M(pos) PE[0]``.

* :func:`shift_matrix`: ``M(k)``, ``(dim, dim)``;
* :func:`pair_angles`: where each pair of a row of the table sits on its circle, to measure
  the step a shift makes;
* :func:`pe_similarity_by_distance`: the cosine similarity of two encodings ``Delta`` apart,
  ``(2/d) sum_i cos(Delta theta_i)``, which depends on the distance only.
"""
from __future__ import annotations

import math

import torch

from .._validate import as_positions, check_base, check_even_dim, check_real, check_tensor
from ..rope import DEFAULT_BASE, inv_freq

__all__ = ["shift_matrix", "pair_angles", "pe_similarity_by_distance"]


def shift_matrix(k, dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``M(k)``, the ``(dim, dim)`` matrix with ``PE[pos + k] = M(k) @ PE[pos]`` for every ``pos``.

    Block ``i`` (rows and columns ``2i, 2i+1``) acts on the pair ``(sin, cos)`` of
    :func:`ropelab.sinusoidal_pe`::

        [[ cos(k theta_i), sin(k theta_i)],
         [-sin(k theta_i), cos(k theta_i)]]

    and every entry outside the blocks is 0. ``k`` may be any real number (negative: a shift
    back). Computed in float64, returned in ``dtype``.
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base, "base")
    k = check_real(k, "k")
    ang = k * inv_freq(dim, base, torch.float64)                 # (dim // 2,)
    c, s = torch.cos(ang), torch.sin(ang)
    blocks = torch.stack((torch.stack((c, s), -1), torch.stack((-s, c), -1)), -2)   # (dim // 2, 2, 2)
    return torch.block_diag(*blocks).to(dtype)


def pair_angles(pe) -> torch.Tensor:
    """Where each pair of each row sits on its unit circle: float64 ``(num_positions, dim // 2)`` in ``[0, 2*pi)``.

    Pair ``i`` of ``PE[pos]`` is the point ``(cos, sin) = (PE[pos, 2i+1], PE[pos, 2i])`` of the
    circle, at the angle ``pos * theta_i`` (mod ``2*pi``), read back with ``atan2``. A shift by
    ``k`` moves it by ``k * theta_i`` whatever ``pos`` is.
    """
    pe = check_tensor(pe, "pe", ndim=2, shape_hint="(num_positions, dim)")
    check_even_dim(pe.shape[1], "pe.shape[1] (dim)")
    pe = pe.double()
    return torch.atan2(pe[:, 0::2], pe[:, 1::2]) % (2 * math.pi)


def pe_similarity_by_distance(distance, dim: int, base: float = DEFAULT_BASE) -> torch.Tensor:
    """Cosine similarity of ``PE[p]`` and ``PE[p + distance]``: ``(2/d) sum_i cos(distance theta_i)``, float64.

    Every row of the encoding has the same length ``sqrt(d/2)`` (each pair is a point on the
    unit circle), and ``PE[m] . PE[n] = sum_i cos((m - n) theta_i)``, so the similarity is a
    function of the distance alone. ``distance``: a number (returns a 0-d tensor) or a 1-D
    sequence (returns ``(n,)``).
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base, "base")
    scalar = not isinstance(distance, (torch.Tensor, range, list, tuple)) or getattr(distance, "ndim", 1) == 0
    if scalar:
        d = torch.tensor([check_real(distance, "distance")], dtype=torch.float64)
    else:
        d = as_positions(distance, "distance").to(torch.float64)
    sim = torch.cos(d[:, None] * inv_freq(dim, base, torch.float64)).mean(-1)
    return sim[0] if scalar else sim
