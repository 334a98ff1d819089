"""Exercises of notebook 04 (RoPE in two dimensions): rotate by position, then the relative score;
and two predictions about the two-token picture."""
from __future__ import annotations

import math

import torch

from ..common.exercises import Exercise, Prediction, randint, register
from ..rope import rope_from_angles
from .scores import relative_score
from .widget import DEFAULT_K, DEFAULT_Q

__all__: list[str] = []


def _rope_2d(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    # x (seq, 2): one 2-D vector per token; token j is turned by positions[j] * theta
    table = (positions.double() * theta)[:, None]  # (seq, 1): the angle table of a single pair
    return rope_from_angles(x, table)


def _relative_score_2d(q: torch.Tensor, k: torch.Tensor, distance: int, theta: float) -> torch.Tensor:
    return relative_score(q, k, distance, freqs=torch.tensor([theta]))


def _theta(gen: torch.Generator) -> float:
    # an angle in (0.05, 1.55) radians, rounded so the printed inputs stay short
    return round(0.05 + 1.5 * float(torch.rand((), generator=gen)), 3)


def _rope_inputs(gen: torch.Generator) -> tuple:
    seq = randint(gen, 2, 8)
    x = torch.randn(seq, 2, generator=gen)
    positions = torch.randint(0, 21, (seq,), generator=gen)
    return x, positions, _theta(gen)


def _score_inputs(gen: torch.Generator) -> tuple:
    n = randint(gen, 1, 5)
    q = torch.randn(n, 2, generator=gen)
    k = torch.randn(n, 2, generator=gen)
    distance = randint(gen, -12, 12)
    if distance == 0:
        distance = 5  # keep the sine term alive so a sign error shows
    return q, k, distance, _theta(gen)


register(Exercise(
    id="04.rope_2d",
    title="2-D RoPE: turn each token by its position times theta",
    title_zh="二维 RoPE：把每个词元旋转“位置 × theta”",
    reference=_rope_2d,
    make_inputs=_rope_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "Token j sits at position positions[j], so it is turned by the angle positions[j] * theta: one angle "
        "per token, then the 2-D rotation of notebook 03.",
        "Turning (x1, x2) by alpha gives (x1 cos alpha - x2 sin alpha, x1 sin alpha + x2 cos alpha). Compute "
        "cos and sin of all the angles at once: tensors of shape (seq,).",
        "positions holds integers: make them floating point before multiplying by theta. Put the two new "
        "coordinates side by side with torch.stack([...], dim=-1) to return (seq, 2).",
    ),
    hints_zh=(
        "词元 j 位于位置 positions[j]，所以它要旋转的角度是 positions[j] * theta：每个词元一个角度，"
        "然后做笔记本 03 中的二维旋转。",
        "把 (x1, x2) 旋转 alpha 得到 (x1 cos alpha - x2 sin alpha, x1 sin alpha + x2 cos alpha)。"
        "一次性算出所有角度的 cos 和 sin：形状为 (seq,) 的张量。",
        "positions 里是整数：先转成浮点数，再乘以 theta。用 torch.stack([...], dim=-1) 把两个新坐标并排放好，"
        "返回 (seq, 2)。",
    ),
))

register(Exercise(
    id="04.relative_score_2d",
    title="the score g(q, k, m - n) in complex form",
    title_zh="复数形式的分数 g(q, k, m - n)",
    reference=_relative_score_2d,
    make_inputs=_score_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "For 2-D vectors read as complex numbers the dot product is a . b = Re[a conj(b)]; the two rotations "
        "by m theta and n theta meet in one factor e^{i (m - n) theta}.",
        "The key is conjugated, the query is not: g = Re[q conj(k) e^{i (m - n) theta}]. torch.view_as_complex "
        "turns each (N, 2) tensor into N complex numbers (it needs them contiguous).",
        "e^{i distance theta} is a single complex number: torch.polar with length 1, or Python's "
        "complex(cos, sin). Keep only the real part of the product, so that you return (N,) real scores.",
    ),
    hints_zh=(
        "把二维向量看成复数时，点积是 a . b = Re[a conj(b)]；旋转 m theta 和旋转 n theta 这两次旋转会合成一个因子"
        " e^{i (m - n) theta}。",
        "取共轭的是键，不是查询：g = Re[q conj(k) e^{i (m - n) theta}]。torch.view_as_complex 把每个 (N, 2) 张量变"
        "成 N 个复数（要求内存连续）。",
        "e^{i distance theta} 只是一个复数：用长度为 1 的 torch.polar，或 Python 的 complex(cos, sin)。"
        "只保留乘积的实部，使返回的是 (N,) 个实数分数。",
    ),
))


def _trig_score(q, k, distance: int, theta: float) -> float:
    """(q1 k1 + q2 k2) cos(r theta) + (q1 k2 - q2 k1) sin(r theta), with plain floats (notebook 04, section 4)."""
    (q1, q2), (k1, k2) = q, k
    return (q1 * k1 + q2 * k2) * math.cos(distance * theta) + (q1 * k2 - q2 * k1) * math.sin(distance * theta)


register(Prediction(
    id="04.moved_together",
    question=("The figure shows the score 1.078 for the query at m = 3 and the key at n = 1 (theta = 30 degrees). "
              "Move both tokens 7 positions on, to m = 10 and n = 8: what is the score now?"),
    question_zh="图中显示，位于 m = 3 的查询与位于 n = 1 的键的分数是 1.078（theta = 30 度）。"
                "把两个词元都向后移 7 个位置，到 m = 10 和 n = 8：现在的分数是多少？",
    answer=_trig_score(DEFAULT_Q, DEFAULT_K, 10 - 8, math.radians(30)),
    atol=5e-3,   # 1.078 and 1.08, the figure's number and its rounding, both count
    explain=("Both arrows turn by the same 7 * 30 = 210 degrees, so the angle between them, and with it the "
             "dot product, stays: the score is still g(q, k, m - n) at m - n = 2, about 1.078. Only the "
             "distance reaches the score. The next cell measures both."),
    explain_zh="两个箭头都多转了同样的 7 * 30 = 210 度，所以它们之间的夹角不变，点积也就不变："
               "分数仍然是 m - n = 2 时的 g(q, k, m - n)，约为 1.078。能影响分数的只有距离。"
               "下一个单元格会把两者都测出来。",
))

register(Prediction(
    id="04.score_period",
    question=("With theta = 30 degrees per position, what is the smallest distance m - n > 0 at which every score "
              "comes back to its value at distance 0, whatever q and k are?"),
    question_zh="每个位置旋转 theta = 30 度时，无论 q 和 k 是什么，使所有分数都回到距离 0 时的值的最小距离"
                " m - n > 0 是多少？",
    answer=round(360 / 30),
    atol=0,
    explain=("g(q, k, r) = Re[q conj(k) e^{i r theta}] repeats when r theta is a whole turn: r = 360 / 30 = 12. "
             "At r = 6 (half a turn) the score is minus its value at 0. One pair cannot tell distances 12 "
             "apart: notebook 05 adds slower pairs for that. The next cell searches r = 1 .. 30."),
    explain_zh="当 r theta 是整整一圈时，g(q, k, r) = Re[q conj(k) e^{i r theta}] 开始重复：r = 360 / 30 = 12。"
               "在 r = 6（半圈）时，分数等于它在 0 处的值的相反数。单个维度对分辨不出相差 12 的距离："
               "笔记本 05 为此加入了转得更慢的维度对。下一个单元格在 r = 1 .. 30 中搜索。",
))
