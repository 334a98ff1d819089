"""Exercises of notebook 03 (Euler's formula): rotations as complex multiplication and as matrices."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, register
from ..rope import rope_from_angles

__all__: list[str] = []


def _rotate_points(points: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    # points (N, 2) is a sequence of N "tokens" of dim 2; one angle per token: table (N, 1)
    return rope_from_angles(points, theta[:, None])


def _complex_to_matrix(w: torch.Tensor) -> torch.Tensor:
    """``w: (N,)`` complex -> ``(N, 2, 2)`` real matrices ``[[a, -b], [b, a]]`` with ``M @ (x, y) = w * (x + iy)``.

    Written as ``a * 1 + b * J``: ``1`` is the identity and ``J = [[0, -1], [1, 0]]`` the
    quarter turn, the matrix of multiplying by ``i``.
    """
    one = torch.eye(2, dtype=w.real.dtype)
    quarter_turn = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=w.real.dtype)
    return w.real[:, None, None] * one + w.imag[:, None, None] * quarter_turn


def _matrix_to_complex(m: torch.Tensor) -> torch.Tensor:
    """``m: (N, 2, 2)`` of the form ``[[a, -b], [b, a]]`` -> the complex numbers ``a + ib``, shape ``(N,)``.

    ``m @ (1, 0)`` is where the matrix sends 1, i.e. ``w * 1 = (a, b)``, read as a complex number.
    """
    image_of_one = m @ torch.tensor([1.0, 0.0], dtype=m.dtype)   # (N, 2)
    return torch.view_as_complex(image_of_one.contiguous())


def _n(gen: torch.Generator) -> int:
    return int(torch.randint(1, 7, (1,), generator=gen))


def _points_and_angles(gen: torch.Generator) -> tuple:
    n = _n(gen)
    points = torch.randn(n, 2, generator=gen)
    theta = (torch.rand(n, generator=gen) * 2 - 1) * 3.5  # radians, both directions
    return points, theta


def _unit_complex(gen: torch.Generator) -> tuple:
    n = _n(gen)
    theta = (torch.rand(n, generator=gen) * 2 - 1) * 3.5
    r = 0.5 + torch.rand(n, generator=gen)  # a rotation scaled by r: the pattern still holds
    return (torch.polar(r, theta),)


def _rotation_matrices(gen: torch.Generator) -> tuple:
    (w,) = _unit_complex(gen)
    return (_complex_to_matrix(w),)


register(Exercise(
    id="03.rotate_points",
    title="rotate 2-D points with complex numbers",
    reference=_rotate_points,
    make_inputs=_points_and_angles,
    hints="torch.view_as_complex(points) is (N,) complex; multiply by torch.polar(torch.ones_like(theta), theta), "
         "then torch.view_as_real turns it back into (N, 2)",
))

register(Exercise(
    id="03.complex_to_matrix",
    title="the 2x2 matrix that multiplies like a complex number",
    reference=_complex_to_matrix,
    make_inputs=_unit_complex,
    hints="(a + ib)(x + iy) = (a x - b y) + i (b x + a y): read the rows off that product",
))

register(Exercise(
    id="03.matrix_to_complex",
    title="read the complex number off a rotation matrix",
    reference=_matrix_to_complex,
    make_inputs=_rotation_matrices,
    hints="the first column of the matrix is where (1, 0) goes, i.e. w * 1 = a + ib; torch.complex(real, imag)",
))
