"""Exercises of notebook 09 (RoPE for images): the 2-D angle table and a patch's score map.

Hints come in stages (a nudge first, code-level help last, never the solution); one
predict-then-check question (``09.peak_moves``) asks where a score map peaks when ``W_q != W_k``.
"""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, Prediction, pick, register
from .vision import axial_angles, score_map

__all__: list[str] = []


def _axial_angles(positions: torch.Tensor, dim: int, base: float) -> torch.Tensor:
    return axial_angles(positions, dim, base)


def _score_map(q: torch.Tensor, k: torch.Tensor, rows: int, cols: int, index: int, base: float) -> torch.Tensor:
    return score_map(q, k, rows, cols, index, base)


def _angle_inputs(gen: torch.Generator) -> tuple:
    n = int(torch.randint(2, 10, (1,), generator=gen))
    positions = torch.randint(0, 16, (n, 2), generator=gen)
    return positions, pick(gen, (8, 16, 32)), pick(gen, (100.0, 10000.0))


def _map_inputs(gen: torch.Generator) -> tuple:
    rows = int(torch.randint(2, 6, (1,), generator=gen))
    cols = rows + int(torch.randint(1, 3, (1,), generator=gen))  # never square: a swapped reshape shows
    dim = pick(gen, (8, 16))
    q = torch.randn(rows * cols, dim, generator=gen)
    k = torch.randn(rows * cols, dim, generator=gen)
    index = int(torch.randint(0, rows * cols, (1,), generator=gen))
    # several bases (100 is the default of ropelab.vision), so a function that ignores `base` fails
    return q, k, rows, cols, index, pick(gen, (100.0, 10000.0, 10.0))


register(Exercise(
    id="09.axial_angles",
    title="the 2-D axial angle table",
    title_zh="二维轴向角度表",
    reference=_axial_angles,
    make_inputs=_angle_inputs,
    atol=1e-4,
    rtol=1e-5,
    hints=(
        "Half of the pairs turn with the row, the other half with the column, both with the same "
        "frequencies f_j = base^(-4j/dim): two ordinary 1-D angle tables side by side.",
        "The frequencies f_j are those of 1-D RoPE for a head half as large (dim // 2). Build the table of "
        "positions[:, 0] (rows) and the table of positions[:, 1] (columns), and join them, rows first.",
        "ropelab.inv_freq(n, base) gives base^(-2j/n); torch.outer(positions, freqs) is an angle table "
        "(convert integer positions to float first); torch.cat joins along the last axis.",
    ),
    hints_zh=(
        "一半的维度对随行号旋转，另一半随列号旋转，两者使用相同的频率 f_j = base^(-4j/dim)："
        "就是两张普通的一维角度表并排放在一起。",
        "频率 f_j 就是头维度减半（dim // 2）时一维 RoPE 的频率。分别构造 positions[:, 0]（行）"
        "和 positions[:, 1]（列）的角度表，再把它们拼接起来，行在前。",
        "ropelab.inv_freq(n, base) 给出 base^(-2j/n)；torch.outer(positions, freqs) 就是一张角度表（整数位置要先转"
        "成浮点数）；torch.cat 沿最后一轴拼接。",
    ),
))

register(Exercise(
    id="09.score_map",
    title="one patch's scores against every patch, as an image",
    title_zh="一个图像块对所有图像块的分数，排成一幅图",
    reference=_score_map,
    make_inputs=_map_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "Give every patch its (row, col), rotate all queries and all keys by their own 2-D positions, then "
        "take the one query of patch `index` against every key and lay the scores out as the image.",
        "Patches come in raster order, so the positions are the grid of the lesson (row-major); the same "
        "`base` must reach the rotation. One dot product per key gives rows * cols scores.",
        "ropelab.vision.patch_grid gives the (row, col) list and ropelab.vision.axial_rope rotates with it "
        "(pass base); a matrix-vector product of the rotated keys with one rotated query, then .reshape.",
    ),
    hints_zh=(
        "给每个图像块分配它的 (row, col)，按各自的二维位置旋转所有查询和所有键，然后取图像块 `index` 的那个查询，"
        "与每个键计算分数，再把分数按图像的样子排好。",
        "图像块按光栅顺序排列，所以位置就是本讲中的网格（行优先）；旋转时必须用同一个 `base`。每个键做一次点积，"
        "共得到 rows * cols 个分数。",
        "ropelab.vision.patch_grid 给出 (row, col) 列表，ropelab.vision.axial_rope 用它来旋转（记得传入 base）；"
        "用旋转后的键与旋转后的那一个查询做矩阵-向量乘积，再 .reshape。",
    ),
))



# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

PEAK_CHOICES = ("at the query's own patch", "generally somewhere else")

register(Prediction(
    id="09.peak_moves",
    question="same content x at every patch, but q = W_q x and k = W_k x with W_q != W_k: where does the "
             "2-D axial score map of a query peak?",
    question_zh="每个图像块的内容都是同一个 x，但 q = W_q x、k = W_k x，且 W_q != W_k："
                "一个查询的二维轴向得分图的峰值在哪里？",
    answer="generally somewhere else",
    choices=PEAK_CHOICES,
    choices_zh=("在查询自己的图像块处", "一般在别处"),
    explain="Generally somewhere else. Pair j contributes |q_j| |k_j| cos(offset . f_j + phi_j), where phi_j is "
            "the angle between the pair-j parts of q and k. With q = k every phi_j is 0, so all the cosines "
            "peak together at offset 0: the query's own patch. With W_q != W_k the phases differ, and the "
            "largest sum sits at an offset set by q and k (and by the offsets the grid leaves around the "
            "query), generally not at the query. The figure below shows both rows.",
    explain_zh="一般在别处。第 j 对贡献 |q_j| |k_j| cos(offset . f_j + phi_j)，"
               "其中 phi_j 是 q 与 k 在第 j 对上的分量之间的夹角。当 q = k 时，每个 phi_j 都是 0，"
               "所有余弦在偏移 0 处同时取到最大：也就是查询自己的图像块。当 W_q != W_k 时，各个相位不同，"
               "和的最大值出现在由 q 和 k（以及网格在查询周围留下的偏移）决定的某个偏移处，一般不在查询本身。"
               "下图展示了这两行。",
))
