"""Exercises of notebook 06 (Meta's LLaMA RoPE code).

The references are the functions of :mod:`ropelab.llama`, which follow Meta's
``model.py`` line for line. Each exercise is registered with
:func:`ropelab.common.exercises.exercise` on top of the function that makes its random inputs;
the hints come in stages (a nudge first, code-level help last, never the solution). Two
predict-then-check questions (:class:`~ropelab.common.exercises.Prediction`) ask for a number
or a choice before the notebook measures it.
"""
from __future__ import annotations

import torch

from ..common.exercises import Prediction, exercise, randint, register
from . import llama

__all__: list[str] = []


def _complex(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.complex(torch.randn(*shape, generator=gen), torch.randn(*shape, generator=gen))


@exercise(
    "06.reshape_for_broadcast", llama.reshape_for_broadcast,
    title="view the rotary table so it broadcasts over batch and heads",
    title_zh="把旋转表变成视图，使它能在批次和头上广播",
    view_of=0,  # a view of freqs_cis (same memory), not a copy
    hints=(
        "Broadcasting lines shapes up from the right. The table must keep the size of the sequence "
        "axis and of the pair axis, and have size 1 on every axis it is shared over (batch, heads).",
        "Build the target shape from x.shape: keep entry 1 and the last entry, write 1 everywhere "
        "else. The answer is a view of freqs_cis with that shape (same memory, no copy).",
        "A list comprehension over enumerate(x.shape) builds the shape; Tensor.view takes the sizes "
        "unpacked. For x of shape (2, 6, 3, 4) the result must be (1, 6, 1, 4).",
    ),
    hints_zh=(
        "广播从右往左对齐形状。这张表必须保留序列轴和维度对轴的大小，并在所有被共享的轴（批次、头）上大小为 1。",
        "根据 x.shape 构造目标形状：保留第 1 项和最后一项，其余都写 1。答案是 freqs_cis 在这个形状下的视图（同一块"
        "内存，不复制）。",
        "对 enumerate(x.shape) 写一个列表推导式即可构造出形状；Tensor.view 接受解包后的各维大小。"
        "对形状为 (2, 6, 3, 4) 的 x，结果必须是 (1, 6, 1, 4)。",
    ),
)
def _reshape_inputs(gen: torch.Generator) -> tuple:
    # B, H >= 2 and S != D/2 in every case, so a misplaced axis changes the shape
    B, S, H, half = randint(gen, 2, 3), randint(gen, 2, 6), randint(gen, 2, 4), randint(gen, 2, 5)
    if half == S:
        half += 1
    start = randint(gen, 0, 20)
    freqs_cis = llama.precompute_freqs_cis(2 * half, start + S)[start:]
    return freqs_cis, _complex(gen, B, S, H, half)


@exercise(
    "06.apply_rotary_emb", llama.apply_rotary_emb,
    title="rotate queries and keys the Meta way (complex multiply)",
    title_zh="按 Meta 的方式旋转查询和键（复数乘法）",
    hints=(
        "Meta reads each adjacent pair (x[2j], x[2j+1]) as one complex number and multiplies it by "
        "the table entry e^{i m theta_j}; then it turns the products back into real pairs, in the "
        "input's shape and dtype.",
        "Four steps per tensor: split the last axis into (D/2, 2) in float32; view that as complex; "
        "multiply by the table lined up with reshape_for_broadcast (section 2); view as real and merge "
        "the last two axes. Then restore the input's dtype: some cases are bfloat16.",
        "torch.view_as_complex needs a float32 tensor whose last axis has size 2 and torch.view_as_real "
        "undoes it; .flatten(3) merges (D/2, 2) back into D; .type_as restores a dtype. One table "
        "serves xq and xk, even when xk has fewer heads.",
    ),
    hints_zh=(
        "Meta 把每一对相邻的 (x[2j], x[2j+1]) 看成一个复数，乘以表中的 e^{i m theta_j}；然后把乘积变回实数对，"
        "并恢复输入的形状和数据类型。",
        "每个张量分四步：在 float32 下把最后一轴拆成 (D/2, 2)；把它视为复数；"
        "乘以用 reshape_for_broadcast 对齐好的表（第 2 节）；视为实数并合并最后两轴。然后恢复输入的数据类型："
        "有些测试用例是 bfloat16。",
        "torch.view_as_complex 需要一个最后一轴大小为 2 的 float32 张量，torch.view_as_real 则是它的逆操作；"
        ".flatten(3) 把 (D/2, 2) 合并回 D；.type_as 恢复数据类型。同一张表同时用于 xq 和 xk，即使 xk 的头更少。",
    ),
)
def _apply_inputs(gen: torch.Generator) -> tuple:
    B, S, Hq, half = randint(gen, 1, 2), randint(gen, 2, 6), randint(gen, 1, 4), randint(gen, 2, 8)
    Hk = randint(gen, 1, Hq)
    dtype = torch.bfloat16 if randint(gen, 0, 2) == 0 else torch.float32
    xq = torch.randn(B, S, Hq, 2 * half, generator=gen).to(dtype)
    xk = torch.randn(B, S, Hk, 2 * half, generator=gen).to(dtype)
    start = randint(gen, 0, 50)
    return xq, xk, llama.precompute_freqs_cis(2 * half, start + S)[start:]


@exercise(
    "06.causal_mask", llama.causal_mask,
    title="the causal mask with a KV cache",
    title_zh="带 KV 缓存的因果掩码",
    hints=(
        "Row i is new token i, at position start_pos + i. It may see every cached position and the "
        "new tokens up to itself (0 there), never a later one (-inf).",
        "Build it as two blocks side by side: start_pos columns for the cache, all visible, and a "
        "seqlen x seqlen block for the new tokens with -inf strictly above its diagonal.",
        "torch.triu(t, diagonal=1) keeps what lies strictly above the diagonal and zeroes the rest; "
        "torch.hstack joins blocks left to right. The result is float32 (seqlen, start_pos + seqlen).",
    ),
    hints_zh=(
        "第 i 行是第 i 个新词元，位于位置 start_pos + i。它能看到所有已缓存的位置，"
        "以及直到它自己为止的新词元（这些地方是 0），但绝不能看到更靠后的词元（-inf）。",
        "把它拼成左右两块：缓存对应的 start_pos 列，全部可见；新词元对应的 seqlen x seqlen 块，"
        "严格位于对角线上方的是 -inf。",
        "torch.triu(t, diagonal=1) 保留严格位于对角线上方的部分，其余置零；torch.hstack 把各块从左到右拼接。"
        "结果是 float32，形状为 (seqlen, start_pos + seqlen)。",
    ),
)
def _mask_inputs(gen: torch.Generator) -> tuple:
    return randint(gen, 1, 6), randint(gen, 1, 6)


# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

register(Prediction(
    id="06.shifted_block",
    question="six tokens through one attention layer, at positions 0..5 and again at 100..105: the largest "
             "difference between the two outputs?",
    question_zh="六个词元经过同一个注意力层，一次放在位置 0..5，一次放在 100..105：两次输出之间的最大差是多少？",
    answer=0.0,
    atol=1e-3,
    explain="Zero, up to float32 rounding. Inside the layer positions enter only through the rotated q and "
            "k, and every score R_m q . R_n k depends on m - n alone (R_m^T R_n = R_(n-m)). Moving all six "
            "tokens by 100 keeps every m - n, so every score, every softmax weight and, because the values "
            "are never rotated, every output. The next cell measures it.",
    explain_zh="零，至多有 float32 的舍入误差。在这一层里，位置只通过旋转后的 q 和 k 起作用，"
               "而每个分数 R_m q . R_n k 只取决于 m - n（R_m^T R_n = R_(n-m)）。把六个词元都平移 100，"
               "每个 m - n 都不变，于是每个分数、每个 softmax 权重都不变；又因为值向量从不旋转，每个输出也不变。"
               "下一个单元格会实际测量。",
))

register(Prediction(
    id="06.cache_holds",
    question="after the forward pass, does layer 0's KV cache hold the keys rotated (RoPE applied) or not rotated?",
    question_zh="前向传播之后，第 0 层的 KV 缓存里存的键是旋转过的（已经应用了 RoPE），还是没有旋转的？",
    answer="rotated",
    choices=("rotated", "not rotated"),
    choices_zh=("已旋转", "未旋转"),
    explain="Rotated: Meta's Attention rotates xk right after the projection and writes the rotated keys into "
            "cache_k at start_pos. That is enough for every later query, because a key's rotation depends "
            "only on its own position n and the score depends on m - n alone: each key is rotated once, when "
            "it is written, never again. The values are stored as projected. The next cell compares the "
            "cache with wk(h) and with wk(h) rotated.",
    explain_zh="旋转过的：Meta 的 Attention 在投影之后立即旋转 xk，并把旋转后的键写入 cache_k 中从 start_pos 开始的"
               "位置。这对之后的每个查询都够用，因为键的旋转只取决于它自己的位置 n，而分数只取决于 m - n："
               "每个键只在写入时旋转一次，之后不再旋转。值向量按投影的结果原样存储。"
               "下一个单元格把缓存与 wk(h) 以及旋转后的 wk(h) 作比较。",
))
