"""Exercises of notebook 02 (why positions; the sinusoidal encoding), and its prediction."""
from __future__ import annotations

import math

import torch

from ..common.exercises import Exercise, Prediction, randint, register
from ..rope import sinusoidal_pe, wavelengths
from .shift import shift_matrix

__all__: list[str] = []


def _pe_inputs(gen: torch.Generator) -> tuple:
    num_positions = int(torch.randint(1, 40, (1,), generator=gen))
    dim = 2 * int(torch.randint(1, 9, (1,), generator=gen))
    return num_positions, dim


def _dim_inputs(gen: torch.Generator) -> tuple:
    return (2 * int(torch.randint(1, 33, (1,), generator=gen)),)


def _shift_inputs(gen: torch.Generator) -> tuple:
    k = randint(gen, -5, 12)
    if k == 0:
        k = 3   # k = 0 is the identity, which a wrong sign would pass
    return k, 2 * randint(gen, 1, 6)


def _shift_reference(k: int, dim: int) -> torch.Tensor:
    return shift_matrix(k, dim)


register(Exercise(
    id="02.sinusoidal_pe",
    title="the sinusoidal position encoding",
    title_zh="正弦位置编码",
    reference=sinusoidal_pe,
    make_inputs=_pe_inputs,
    hints=(
        "Every entry is sin or cos of (position x frequency of its pair): first build all the angles at "
        "once, one row per position and one column per pair.",
        "A column of positions (num_positions, 1) times a row of frequencies (1, dim // 2) broadcasts to the "
        "angle table; the frequency of pair i is 10000 ** (-2i / dim).",
        "Start from a zero tensor of the output's shape; the slice [:, 0::2] addresses the even columns (the "
        "sines) and [:, 1::2] the odd ones (the cosines). Mind the dtype: float32.",
    ),
    hints_zh=(
        "每个元素都是（位置 × 所在维度对的频率）的 sin 或 cos：先一次性构造出所有角度，每个位置一行，"
        "每个维度对一列。",
        "一列位置 (num_positions, 1) 乘以一行频率 (1, dim // 2)，广播得到角度表；"
        "第 i 对的频率是 10000 ** (-2i / dim)。",
        "从输出形状的全零张量开始；切片 [:, 0::2] 对应偶数列（正弦），[:, 1::2] 对应奇数列（余弦）。注意数据类型："
        "float32。",
    ),
))

register(Exercise(
    id="02.wavelengths",
    title="the period of every pair",
    title_zh="每个维度对的周期",
    reference=wavelengths,
    make_inputs=_dim_inputs,
    check_dtype=False,   # float32 or float64 both fine; the values are compared with rtol 1e-5
    hints=(
        "sin(pos * theta) repeats when pos * theta has grown by one full turn. How many positions is that?",
        "The period is T = 2*pi / theta; with theta_i = 10000^(-2i/dim) that is 2*pi * 10000^(2i/dim), "
        "one value per pair.",
        "The exponents 2i for i = 0 .. dim/2 - 1 are torch.arange(0, dim, 2); divide them by dim before "
        "raising 10000 to them.",
    ),
    hints_zh=(
        "当 pos * theta 增加了整整一圈时，sin(pos * theta) 就开始重复。这相当于多少个位置？",
        "周期是 T = 2*pi / theta；代入 theta_i = 10000^(-2i/dim)，就是 2*pi * 10000^(2i/dim)，每个维度对一个值。",
        "i = 0 .. dim/2 - 1 对应的指数 2i 就是 torch.arange(0, dim, 2)；先把它们除以 dim，再作为 10000 的指数。",
    ),
))

register(Exercise(
    id="02.shift_matrix",
    title="the matrix M(k) with PE[pos + k] = M(k) PE[pos]",
    title_zh="满足 PE[pos + k] = M(k) PE[pos] 的矩阵 M(k)",
    reference=_shift_reference,
    make_inputs=_shift_inputs,
    check_dtype=False,   # float32 or float64 both fine
    hints=(
        "Write sin((pos + k) theta) and cos((pos + k) theta) with the angle-sum formulas: each one is "
        "a combination of sin(pos theta) and cos(pos theta) whose coefficients contain k but not pos.",
        "Pairs do not mix: M(k) is zero except for one 2x2 block per pair on the diagonal. Rows 2i and "
        "2i+1 are the new sine and the new cosine; columns 2i and 2i+1 the old sine and the old cosine. "
        "The sine row gets cos(k theta_i) on the diagonal; mind which off-diagonal entry is negative.",
        "Start from a (dim, dim) zero matrix and fill the four entries of each block in a loop over the "
        "pairs; theta_i is 10000 ** (-2i / dim). Check your block on k = 1, pos = 0: it must send "
        "(sin 0, cos 0) = (0, 1) to (sin theta_i, cos theta_i).",
    ),
    hints_zh=(
        "用两角和公式展开 sin((pos + k) theta) 和 cos((pos + k) theta)：每一个都是 sin(pos theta) 与"
        " cos(pos theta) 的组合，系数里含 k，但不含 pos。",
        "不同的维度对互不混合：M(k) 除了对角线上每对一个 2x2 块之外全是零。"
        "第 2i 行和第 2i+1 行是新的正弦和新的余弦；第 2i 列和第 2i+1 列是旧的正弦和旧的余弦。"
        "正弦那一行的对角元是 cos(k theta_i)；注意哪个非对角元是负的。",
        "从一个 (dim, dim) 的零矩阵开始，对各个维度对做循环，填好每个块的四个元素；"
        "theta_i 是 10000 ** (-2i / dim)。用 k = 1、pos = 0 验证你的块：它必须把 (sin 0, cos 0) = (0, 1) 变成"
        " (sin theta_i, cos theta_i)。",
    ),
))


def _count_full_turns(length: int, dim: int) -> int:
    """Pairs whose period fits into positions 0 .. length - 1, counted with plain floats."""
    return sum(1 for i in range(dim // 2) if 2 * math.pi * 10000 ** (2 * i / dim) <= length - 1)


register(Prediction(
    id="02.full_turns",
    question="At d = 64, how many of the 32 pairs turn through a full circle while pos goes from 0 to 127?",
    question_zh="d = 64 时，当 pos 从 0 走到 127，32 个维度对中有多少个转满了一整圈？",
    answer=_count_full_turns(128, 64),
    explain=("Pair i turns by theta_i = 10000^(-2i/64) per step, so over 127 steps it sweeps 127 theta_i "
             "radians: a full turn when its period 2*pi * 10000^(i/32) is at most 127, i.e. "
             "10000^(i/32) <= 127 / (2*pi) ~ 20.2, i <= 32 ln(20.2) / ln(10000) ~ 10.4. Pairs 0 .. 10, "
             "eleven of them; the other 21 see only an arc of their circle, and a longer text takes them "
             "to angles never seen in training. The next cell counts it with circle_coverage."),
    explain_zh="第 i 对每走一步转过 theta_i = 10000^(-2i/64)，127 步共转过 127 theta_i 弧度："
               "当它的周期 2*pi * 10000^(i/32) 不超过 127 时就转满了一圈，即 10000^(i/32) <= 127 / (2*pi) ~ 20.2，"
               "i <= 32 ln(20.2) / ln(10000) ~ 10.4。也就是第 0 .. 10 对，共 11 个；其余 21 对只走过圆上的一段弧，"
               "更长的文本会把它们带到训练中从未见过的角度。下一个单元格用 circle_coverage 来数。",
))
