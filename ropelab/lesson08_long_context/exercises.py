"""Exercises of notebook 08 (longer contexts and precision): interpolate, rescale the base, keep angles in float32.

Hints come in stages (a nudge first, code-level help last, never the solution). Two
predict-then-check questions: the NTK exponent ``d / (d - 2)`` at ``d = 128`` and the first
integer position that bfloat16 cannot hold.
"""
from __future__ import annotations

import torch

from ..common.exercises import Exercise, Prediction, pick, register
from .precision import cos_sin_table
from .scaling import scaled_angles, scaled_inv_freq

__all__: list[str] = []

_DIMS = (8, 16, 32, 64, 128)
_BASES = (10000.0, 500000.0)
_FACTORS = (2.0, 4.0, 8.0, 16.0)


def _interpolated_angles(positions: torch.Tensor, dim: int, base: float, factor: float) -> torch.Tensor:
    return scaled_angles(positions, dim, base, "linear", factor=factor)[0]


def _ntk_inv_freq(dim: int, base: float, factor: float) -> torch.Tensor:
    return scaled_inv_freq(dim, base, "ntk", factor=factor)[0]


def _safe_cos_sin(positions: torch.Tensor, dim: int, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    return cos_sin_table(positions, dim, base, torch.bfloat16)


def _interp_inputs(gen: torch.Generator) -> tuple:
    seq = int(torch.randint(3, 12, (1,), generator=gen))
    positions = torch.randint(0, 20000, (seq,), generator=gen)
    return positions, pick(gen, _DIMS[:4]), pick(gen, _BASES), pick(gen, _FACTORS)


def _ntk_inputs(gen: torch.Generator) -> tuple:
    return pick(gen, _DIMS), pick(gen, _BASES), pick(gen, _FACTORS)


def _safe_inputs(gen: torch.Generator) -> tuple:
    seq = int(torch.randint(3, 12, (1,), generator=gen))
    positions = torch.randint(0, 65536, (seq,), generator=gen)
    return positions, pick(gen, _DIMS[:4]), pick(gen, _BASES)


register(Exercise(
    id="08.interpolated_angles",
    title="position interpolation: the angle table of a model stretched by `factor`",
    title_zh="位置插值：按 `factor` 拉伸后的模型的角度表",
    reference=_interpolated_angles,
    make_inputs=_interp_inputs,
    atol=1e-3,
    rtol=1e-5,
    hints=(
        "Interpolation changes no frequency: it squeezes the positions. Token m is treated as if it sat at "
        "m / factor, inside the range the model was trained on.",
        "Divide the positions by the factor first, with true division (keep the fractions: an integer "
        "tensor needs a float dtype first), then build the ordinary angle table of those positions.",
        "ropelab.angles accepts fractional positions and returns the float32 (seq, dim // 2) table; "
        "converting the positions with .double() before dividing keeps full precision.",
    ),
    hints_zh=(
        "插值不改变任何频率：它压缩的是位置。词元 m 被当作位于 m / factor 处，落在模型训练时见过的范围之内。",
        "先用真除法把位置除以 factor（保留小数部分：整数张量要先转成浮点类型），再为这些位置构造普通的角度表。",
        "ropelab.angles 接受非整数的位置，返回 float32 的 (seq, dim // 2) 表；在相除之前用 .double() 转换位置，"
        "可以保持全部精度。",
    ),
))

register(Exercise(
    id="08.ntk_inv_freq",
    title="NTK-aware scaling: a larger base instead of smaller positions",
    title_zh="NTK 感知缩放：用更大的基数代替更小的位置",
    reference=_ntk_inv_freq,
    make_inputs=_ntk_inputs,
    atol=0.0,
    rtol=1e-5,
    hints=(
        "NTK-aware scaling keeps the formula theta_i = base^(-2i/dim) and changes only the base: the slowest "
        "pair must slow down by the factor, the fastest pair (theta_0 = 1) not at all (section 2).",
        "Solve base'^(-(dim - 2)/dim) = base^(-(dim - 2)/dim) / factor for base': the new base is the old one "
        "times the factor raised to dim / (dim - 2). Compute it as a plain Python float.",
        "ropelab.inv_freq(dim, b) gives the float32 frequencies for any base b; build b first with ** on "
        "Python floats (not tensors).",
    ),
    hints_zh=(
        "NTK 感知缩放保留公式 theta_i = base^(-2i/dim)，只改变基数：最慢的维度对要慢 factor 倍，"
        "最快的维度对（theta_0 = 1）完全不变（第 2 节）。",
        "从 base'^(-(dim - 2)/dim) = base^(-(dim - 2)/dim) / factor 中解出 base'："
        "新基数等于旧基数乘以 factor 的 dim / (dim - 2) 次方。用普通的 Python float 来算。",
        "ropelab.inv_freq(dim, b) 对任意基数 b 给出 float32 的频率；先在 Python float（而不是张量）上用 ** 算出 b。",
    ),
))

register(Exercise(
    id="08.safe_cos_sin",
    title="the precision fix: float32 angles, bfloat16 cos and sin",
    title_zh="精度问题的修复：float32 的角度，bfloat16 的 cos 和 sin",
    reference=_safe_cos_sin,
    make_inputs=_safe_inputs,
    # bf16 keeps ~3 decimal digits of cos/sin; float32 vs float64 angles differ by < 0.005 rad at 65535
    atol=1e-2,
    rtol=0.0,
    hints=(
        "The angle m * theta_i must never pass through a 16-bit type: bfloat16 cannot even hold every "
        "position above 256 (section 7).",
        "Compute the angle table in float32, take cos and sin in float32, and round only those two results "
        "to bfloat16.",
        "ropelab.angles gives the float32 table (seq, dim // 2) whatever the positions' dtype; then "
        "torch.cos and torch.sin, and .to(torch.bfloat16) on each of the two results.",
    ),
    hints_zh=(
        "角度 m * theta_i 绝不能经过 16 位类型：bfloat16 甚至无法精确表示 256 以上的每一个位置（第 7 节）。",
        "用 float32 计算角度表，用 float32 取 cos 和 sin，只把这两个结果舍入到 bfloat16。",
        "无论位置是什么数据类型，ropelab.angles 都给出 float32 的表 (seq, dim // 2)；"
        "然后用 torch.cos 和 torch.sin，再对两个结果分别调用 .to(torch.bfloat16)。",
    ),
))


# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

register(Prediction(
    id="08.ntk_exponent",
    question="NTK-aware scaling multiplies the base by factor ** x so that the slowest pair slows by exactly "
             "the factor and the fastest not at all: x at head dimension d = 128?",
    question_zh="NTK 感知缩放把基数乘以 factor ** x，使最慢的维度对恰好慢 factor 倍、最快的维度对完全不变："
                "头维度 d = 128 时 x 是多少？",
    answer=128 / 126,  # d / (d - 2), by hand
    rtol=1e-3,
    explain="x = d / (d - 2) = 128 / 126 = 64 / 63, about 1.0159. The slowest pair i = d/2 - 1 turns at "
            "base^(-(d - 2)/d); dividing it by s needs base' ** (-(d - 2)/d) = base ** (-(d - 2)/d) / s, "
            "so base' = base * s ** (d / (d - 2)). The exponent is a little above 1 because the slowest pair's "
            "exponent (d - 2)/d is a little below 1. The next cell checks it against ropelab.scaling.ntk_base.",
    explain_zh="x = d / (d - 2) = 128 / 126 = 64 / 63，约为 1.0159。最慢的维度对 i = d/2 - 1 的转速是"
               " base^(-(d - 2)/d)；要把它除以 s，需要 base' ** (-(d - 2)/d) = base ** (-(d - 2)/d) / s，"
               "所以 base' = base * s ** (d / (d - 2))。这个指数略大于 1，因为最慢那一对的指数 (d - 2)/d 略小于 1。"
               "下一个单元格用 ropelab.scaling.ntk_base 来核对。",
))

register(Prediction(
    id="08.bf16_first_collision",
    question="the first positive integer position that bfloat16 cannot store exactly (it rounds onto a neighbour)?",
    question_zh="bfloat16 无法精确存储（会舍入到相邻值上）的第一个正整数位置是多少？",
    answer=257,
    atol=0,
    explain="257. bfloat16 keeps 8 significant bits, so every integer up to 2**8 = 256 is exact; 257 needs 9 "
            "bits and is a tie between 256 and 258, which rounds to the even mantissa, 256. From there on the "
            "representable integers are 2, then 4, 8, ... apart, and tokens start sharing positions. The next "
            "cell finds it by trying every integer.",
    explain_zh="257。bfloat16 保留 8 位有效位，所以直到 2**8 = 256 的每个整数都是精确的；257 需要 9 位，"
               "它恰好位于 256 和 258 正中间，按“舍入到偶数尾数”的规则变成 256。从这里开始，"
               "可表示的整数之间相隔 2，再往后相隔 4、8……，词元开始共用位置。下一个单元格逐个尝试每个整数来找出它。",
))
