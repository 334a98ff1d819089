"""Exercises of notebook 05 (RoPE in d dimensions): the elementwise form, the block-diagonal
matrix, and the relative property checked for a given pair; and two predictions."""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, Prediction, randint, register
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
    title_zh="不用矩阵的 RoPE：x * cos + rotate(x) * sin",
    reference=rope_interleaved,
    make_inputs=_rope_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "Section 5's formula: x * cos + rotate(x) * sin, where cos and sin come from the angle table of your "
        "positions and rotate is the quarter turn of every pair.",
        "ropelab.angles(positions, dim) is (seq, dim // 2), one angle per pair, but every pair has two "
        "coordinates: repeat each column twice next to itself (repeat_interleave along the last dim) to "
        "line cos and sin up with x.",
        "rotate sends each pair (x_2j, x_2j+1) to (-x_2j+1, x_2j): take the odd and the even coordinates with "
        "step-2 slices, stack them in the new order along a new last dimension, then flatten that dimension "
        "back into the last one.",
    ),
    hints_zh=(
        "第 5 节的公式：x * cos + rotate(x) * sin，其中 cos 和 sin 来自这些位置的角度表，"
        "rotate 是把每一对旋转四分之一圈。",
        "ropelab.angles(positions, dim) 的形状是 (seq, dim // 2)，每对一个角度，但每对有两个坐标："
        "把每一列紧挨着自己重复一次（沿最后一维 repeat_interleave），让 cos 和 sin 与 x 对齐。",
        "rotate 把每一对 (x_2j, x_2j+1) 变成 (-x_2j+1, x_2j)：用步长为 2 的切片取出奇数位和偶数位坐标，"
        "按新的顺序沿一个新的最后一维堆叠，再把这一维展平回原来的最后一维。",
    ),
))

register(Exercise(
    id="05.rotation_matrix",
    title="build the block-diagonal R_{Theta,m}",
    title_zh="构造分块对角矩阵 R_{Theta,m}",
    reference=rotation_matrix,
    make_inputs=_matrix_inputs,
    atol=1e-5,
    rtol=1e-5,
    hints=(
        "R_{Theta,m} is zero except for one 2x2 rotation block per pair on the diagonal (section 2); block j "
        "turns by m theta_j.",
        "The dim // 2 angles m theta_j of a single position are one row of the angle table: ask "
        "ropelab.angles for a list holding just that position. Then fill the blocks in a loop over j.",
        "Block j takes rows and columns 2j and 2j+1: cos on its diagonal, -sin above it, sin below it. "
        "Start from a (dim, dim) float32 zero matrix.",
    ),
    hints_zh=(
        "R_{Theta,m} 除了对角线上每对一个 2x2 旋转块之外全是零（第 2 节）；第 j 块旋转 m theta_j。",
        "同一个位置的 dim // 2 个角度 m theta_j 就是角度表中的一行：给 ropelab.angles 传一个只含这个位置的列表即"
        "可。然后对 j 循环，填好各个块。",
        "第 j 块占据第 2j、2j+1 行和第 2j、2j+1 列：对角线上是 cos，右上方是 -sin，左下方是 sin。"
        "从一个 (dim, dim) 的 float32 零矩阵开始。",
    ),
))

register(Exercise(
    id="05.relative_property",
    title="(R_m q)^T (R_n k) = q^T R_{n-m} k for a given pair",
    title_zh="对给定的一对向量验证 (R_m q)^T (R_n k) = q^T R_{n-m} k",
    reference=_relative_property,
    make_inputs=_pair_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "Two sides of one identity: lhs rotates q to m and k to n, then takes the dot product; rhs rotates "
        "only the key, by the relative position.",
        "ropelab.rotation_matrix(m, dim) is R_{Theta,m}. For rhs: R_m^T = R_{-m} and R_{-m} R_n = R_{n-m}, "
        "so the relative rotation goes on the key side.",
        "rhs is q^T R_{n-m} k: a vector, a matrix and a vector chained with @. Return the two 0-d tensors "
        "as a tuple (lhs, rhs).",
    ),
    hints_zh=(
        "同一个恒等式的两边：lhs 把 q 旋转到位置 m、把 k 旋转到位置 n，再做点积；rhs 只旋转键，旋转量是相对位置。",
        "ropelab.rotation_matrix(m, dim) 就是 R_{Theta,m}。对于 rhs：R_m^T = R_{-m}，且 R_{-m} R_n = R_{n-m}，"
        "所以相对旋转放在键的那一侧。",
        "rhs 是 q^T R_{n-m} k：一个向量、一个矩阵和一个向量用 @ 连起来。把这两个 0 维张量作为元组 (lhs, rhs) 返回。",
    ),
))


register(Prediction(
    id="05.nonzero_entries",
    question=("R_{Theta,m} for d = 128 is a 128 x 128 matrix, 16,384 entries. At position m = 7, how many of them "
              "are not zero?"),
    question_zh="d = 128 时，R_{Theta,m} 是一个 128 x 128 的矩阵，共 16,384 个元素。在位置 m = 7，"
                "其中有多少个不为零？",
    answer=(128 // 2) * 4,   # d/2 blocks of 2 x 2, nothing outside them
    atol=0,
    explain=("d/2 = 64 pairs, each a 2x2 block (cos, -sin, sin, cos) on the diagonal, and zeros everywhere "
             "else: 64 * 4 = 256 = 2d non-zero entries, so a fraction 1 - 2/d of the matrix is zero. "
             "(At m = 0 the sines vanish too and only the 128 ones on the diagonal are left.) The next cell "
             "counts them."),
    explain_zh="共 d/2 = 64 对，每对是对角线上的一个 2x2 块 (cos, -sin, sin, cos)，其余位置全是零："
               "64 * 4 = 256 = 2d 个非零元素，所以矩阵中有 1 - 2/d 的比例是零。（在 m = 0 时正弦也为零，"
               "只剩对角线上的 128 个 1。）下一个单元格会数一数。",
))

register(Prediction(
    id="05.random_qk_decay",
    question=("Draw q and k independently at random (Gaussian entries, d = 128). As the distance |m - n| grows "
              "from 0 to 1,000, does the average |score| fall, stay about the same, or grow?"),
    question_zh="独立地随机抽取 q 和 k（元素服从高斯分布，d = 128）。当距离 |m - n| 从 0 增大到 1,000 时，"
                "平均 |score| 是下降、基本不变，还是上升？",
    answer="stays about the same",
    choices=("falls", "stays about the same", "grows"),
    choices_zh=("下降", "基本不变", "上升"),
    explain=("A rotation of a Gaussian random vector is just as random: R_{Theta,n-m} k has the same "
             "distribution as k, so every distance gives the same average |q . R k|. The bound only caps |g|; "
             "it is not a prediction for arbitrary vectors. The decay appears when q and k are alike "
             "(the next cell also draws correlated pairs and k = q)."),
    explain_zh="高斯随机向量旋转之后依然同样随机：R_{Theta,n-m} k 与 k 同分布，"
               "所以每个距离给出的平均 |q . R k| 都一样。那个上界只是限制了 |g| 的大小，并不是对任意向量的预测。"
               "只有当 q 和 k 相似时才会出现衰减（下一个单元格还会抽取相关的向量对以及 k = q 的情形）。",
))
