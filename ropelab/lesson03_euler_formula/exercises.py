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
    title_zh="用复数旋转二维平面上的点",
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
    hints_zh=(
        "把每个点 (x, y) 看成复数 x + iy：把它旋转 theta 就是一次复数乘法（第 3 节），乘上一个长度为 1、"
        "辐角为 theta 的数。",
        "torch.view_as_complex 把 (N, 2) 的点变成 N 个复数（它要求最后一维大小为 2 且内存连续）；"
        "torch.polar(lengths, angles) 在所有长度都取 1 时构造出单位复数 e^{i theta}。",
        "把两个形状为 (N,) 的复数张量逐元素相乘；torch.view_as_real 再把乘积变回 (N, 2) 的 float32。",
    ),
))

register(Exercise(
    id="03.complex_to_matrix",
    title="the 2x2 matrix that multiplies like a complex number",
    title_zh="像复数那样做乘法的 2x2 矩阵",
    reference=_complex_to_matrix,
    make_inputs=_unit_complex,
    hints=(
        "A 2x2 matrix is fixed by where it sends (1, 0) and (0, 1): those images are its two columns.",
        "(a + ib)(x + iy) = (a x - b y) + i (b x + a y): the first row of M holds the coefficients of x and "
        "y in the real part, the second row those in the imaginary part.",
        "Build each row from w.real and w.imag with torch.stack(..., dim=-1), shape (N, 2), then stack the "
        "two rows along dim=-2 to get (N, 2, 2).",
    ),
    hints_zh=(
        "一个 2x2 矩阵由它把 (1, 0) 和 (0, 1) 送到哪里完全确定：这两个像就是它的两列。",
        "(a + ib)(x + iy) = (a x - b y) + i (b x + a y)：M 的第一行是实部中 x 和 y 的系数，第二行是虚部中的系数。",
        "用 torch.stack(..., dim=-1) 由 w.real 和 w.imag 构造每一行，形状为 (N, 2)，再沿 dim=-2 把两行叠起来，"
        "得到 (N, 2, 2)。",
    ),
))

register(Exercise(
    id="03.matrix_to_complex",
    title="read the complex number off a rotation matrix",
    title_zh="从旋转矩阵中读出复数",
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
    hints_zh=(
        "矩阵 [[a, -b], [b, a]] 就是乘以 a + ib：它把数 1，也就是向量 (1, 0)，送到哪里？",
        "(1, 0) 的像是第一列 (a, b)：实部在第 0 行第 0 列，虚部在第 1 行第 0 列。",
        "用 m[:, row, column] 对这一批矩阵做索引，得到形状为 (N,) 的张量；"
        "torch.complex(real, imag) 由两个 float32 张量构造出 complex64。",
    ),
))


register(Prediction(
    id="03.turned_length",
    question="z = 3 + 4i is multiplied by e^{i * 1} (a turn by 1 radian). What is the length |z e^{i}|?",
    question_zh="把 z = 3 + 4i 乘以 e^{i * 1}（旋转 1 弧度）。长度 |z e^{i}| 是多少？",
    answer=abs(complex(3, 4)),   # 5: |e^{i theta}| = 1 for every theta
    atol=1e-3,
    explain=("|z e^{i theta}| = |z| |e^{i theta}| = |z| * 1 = sqrt(3^2 + 4^2) = 5 for any angle: multiplying by a "
             "number on the unit circle turns a vector and never stretches it. The next cell measures it."),
    explain_zh="对任何角度都有 |z e^{i theta}| = |z| |e^{i theta}| = |z| * 1 = sqrt(3^2 + 4^2) = 5："
               "乘以单位圆上的数只会旋转向量，从不拉伸它。下一个单元格会实际测量。",
))

register(Prediction(
    id="03.transposed_view",
    question=("y = torch.zeros(2, 5).t() has shape (5, 2): five (real, imaginary) pairs, it seems. Does "
              "torch.view_as_complex(y) work, or raise an error?"),
    question_zh="y = torch.zeros(2, 5).t() 的形状是 (5, 2)：看起来像五对（实部，虚部）。"
                "torch.view_as_complex(y) 能正常运行，还是会报错？",
    answer="raises an error",
    choices=("works", "raises an error"),
    choices_zh=("能运行", "报错"),
    explain=("view_as_complex copies nothing: it reads each complex number from two floats that sit side by "
             "side in memory, so the last dimension must have stride 1. After .t() the strides are (1, 5): "
             "the two numbers of a 'pair' lie 5 floats apart, and PyTorch refuses. .contiguous() copies them "
             "into a layout that works (notebook 01, section 1)."),
    explain_zh="view_as_complex 不复制任何数据：它从内存中紧挨着的两个浮点数读出每个复数，"
               "所以最后一维的步长必须是 1。.t() 之后步长是 (1, 5)：一“对”中的两个数在内存中相隔 5 个浮点数，"
               "于是 PyTorch 拒绝执行。.contiguous() 会把它们复制成可用的内存布局（笔记本 01，第 1 节）。",
))
