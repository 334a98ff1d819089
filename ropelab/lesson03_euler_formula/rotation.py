"""The 2x2 rotation matrix by an angle: what multiplying by ``e^{i alpha}`` does to a vector ``(a, b)``.

:func:`rotation_2d` takes an **angle**. RoPE's own :func:`ropelab.rotation_matrix` takes a
**position** ``m`` and turns pair ``i`` by ``m * theta_i``; for ``dim = 2`` its only frequency is
``theta_0 = 1``, so ``rotation_matrix(alpha, 2)`` happens to equal ``rotation_2d(alpha)``, a
coincidence of ``dim = 2`` that no other size shares.
"""
from __future__ import annotations

import math

import torch

from .._validate import check_real

__all__ = ["rotation_2d"]


def rotation_2d(alpha, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The rotation by ``alpha`` radians (counter-clockwise), ``(2, 2)`` in ``dtype``::

        [[cos alpha, -sin alpha],
         [sin alpha,  cos alpha]]

    ``rotation_2d(alpha) @ (a, b)`` is ``(a + ib) e^{i alpha}`` written as a vector.
    Computed in float64, returned in ``dtype``.
    """
    alpha = check_real(alpha, "alpha")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch dtype (e.g. torch.float64); got {dtype!r}")
    c, s = math.cos(alpha), math.sin(alpha)
    return torch.tensor([[c, -s], [s, c]], dtype=torch.float64).to(dtype)
