"""Exercise of notebook 00 (a warm-up that shows how checking works)."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, register

__all__: list[str] = []


def _pair_norms(x: torch.Tensor) -> torch.Tensor:
    # the pairs as a trailing dimension of size 2, (..., dim // 2, 2), and the length of each
    return torch.linalg.vector_norm(x.unflatten(-1, (-1, 2)), dim=-1)


def _inputs(gen: torch.Generator) -> tuple:
    batch = int(torch.randint(1, 4, (1,), generator=gen))
    half = int(torch.randint(1, 5, (1,), generator=gen))
    return (torch.randn(batch, 2 * half, generator=gen),)


register(Exercise(
    id="00.pair_norms",
    title="length of every pair (2i, 2i+1)",
    title_zh="每一对 (2i, 2i+1) 的长度",
    reference=_pair_norms,
    make_inputs=_inputs,
    hints=(
        "A pair (x_2i, x_2i+1) is a 2-D vector; its length is the square root of the sum of the squares "
        "of its two coordinates.",
        "Take the first members of all pairs at once (the even coordinates) and the second members (the odd "
        "ones): two tensors of shape (..., dim // 2), combined elementwise.",
        "x[..., 0::2] steps through the last dimension from 0 in steps of 2 (the even coordinates), "
        "x[..., 1::2] from 1; ** 2, + and torch.sqrt work elementwise.",
    ),
    hints_zh=(
        "一对 (x_2i, x_2i+1) 就是一个二维向量；它的长度是两个坐标的平方和的平方根。",
        "一次性取出所有对的第一个成员（偶数位坐标）和第二个成员（奇数位坐标）："
        "得到两个形状为 (..., dim // 2) 的张量，再逐元素组合。",
        "x[..., 0::2] 从 0 开始、以步长 2 遍历最后一维（偶数位坐标），x[..., 1::2] 则从 1 开始；** 2、"
        "+ 和 torch.sqrt 都是逐元素运算。",
    ),
))
