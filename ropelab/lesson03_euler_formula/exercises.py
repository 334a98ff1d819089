"""Exercises of notebook 03 (Euler's formula): rotations as complex multiplication and as matrices,
and two predictions."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, Prediction, register
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
    hints=(
        "Read each point (x, y) as the complex number x + iy: turning it by theta is a single complex "
        "multiplication (section 3), by a number of length 1 at angle theta.",
        "torch.view_as_complex turns the (N, 2) points into N complex numbers (it wants a contiguous last "
        "dimension of size 2); torch.polar(lengths, angles) builds the unit numbers e^{i theta}, with all "
        "lengths 1.",
        "Multiply the two complex tensors of shape (N,) elementwise; torch.view_as_real turns the product "
        "back into (N, 2) float32.",
    ),
))

register(Exercise(
    id="03.complex_to_matrix",
    title="the 2x2 matrix that multiplies like a complex number",
    reference=_complex_to_matrix,
    make_inputs=_unit_complex,
    hints=(
        "A 2x2 matrix is fixed by where it sends (1, 0) and (0, 1): those images are its two columns.",
        "(a + ib)(x + iy) = (a x - b y) + i (b x + a y): the first row of M holds the coefficients of x and "
        "y in the real part, the second row those in the imaginary part.",
        "Build each row from w.real and w.imag with torch.stack(..., dim=-1), shape (N, 2), then stack the "
        "two rows along dim=-2 to get (N, 2, 2).",
    ),
))

register(Exercise(
    id="03.matrix_to_complex",
    title="read the complex number off a rotation matrix",
    reference=_matrix_to_complex,
    make_inputs=_rotation_matrices,
    hints=(
        "The matrix [[a, -b], [b, a]] is multiplication by a + ib: where does it send the number 1, the "
        "vector (1, 0)?",
        "The image of (1, 0) is the first column (a, b): the real part sits in row 0, column 0 and the "
        "imaginary part in row 1, column 0.",
        "Index the batch of matrices with m[:, row, column] to get (N,) tensors; torch.complex(real, imag) "
        "makes complex64 from two float32 tensors.",
    ),
))


register(Prediction(
    id="03.turned_length",
    question="z = 3 + 4i is multiplied by e^{i * 1} (a turn by 1 radian). What is the length |z e^{i}|?",
    answer=abs(complex(3, 4)),   # 5: |e^{i theta}| = 1 for every theta
    atol=1e-3,
    explain=("|z e^{i theta}| = |z| |e^{i theta}| = |z| * 1 = sqrt(3^2 + 4^2) = 5 for any angle: multiplying by a "
             "number on the unit circle turns a vector and never stretches it. The next cell measures it."),
))

register(Prediction(
    id="03.transposed_view",
    question=("y = torch.zeros(2, 5).t() has shape (5, 2): five (real, imaginary) pairs, it seems. Does "
              "torch.view_as_complex(y) work, or raise an error?"),
    answer="raises an error",
    choices=("works", "raises an error"),
    explain=("view_as_complex copies nothing: it reads each complex number from two floats that sit side by "
             "side in memory, so the last dimension must have stride 1. After .t() the strides are (1, 5): "
             "the two numbers of a 'pair' lie 5 floats apart, and PyTorch refuses. .contiguous() copies them "
             "into a layout that works (notebook 01, section 1)."),
))
