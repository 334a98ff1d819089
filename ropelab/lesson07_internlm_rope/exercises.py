"""Exercises of notebook 07 (the Hugging Face / InternLM RoPE code).

The references are the functions of :mod:`ropelab.internlm`; each exercise is registered
with lesson 06's :func:`~ropelab.lesson06_llama_rope.exercises.exercise` on top of the
function that makes its random inputs. Hints come in stages (a nudge first, code-level help
last, never the solution); one predict-then-check question (``07.mixed_top1``) asks what mixing
the layouts does before the notebook measures it.
"""
from __future__ import annotations

import torch

from ..common.exercises import Prediction, exercise, randint, register
from . import internlm

__all__: list[str] = []


@exercise(
    "07.rotate_half", internlm.rotate_half,
    title="rotate_half: the quarter turn of the half layout",
    title_zh="rotate_half：对半布局中的四分之一圈旋转",
    hints=(
        "Pair i of the half layout is (x[i], x[i + D/2]); a quarter turn maps a pair (a, b) to (-b, a). "
        "Do that to every pair at once, on the last axis only.",
        "Split the last axis into its first half A and its second half B (slicing, so any leading axes "
        "pass through), and return the second half negated in front of the first half.",
        "The half size is x.shape[-1] // 2; slice with x[..., :n] and x[..., n:]; torch.cat joins along "
        "dim=-1. On torch.arange(8.0) the result is [-4, -5, -6, -7, 0, 1, 2, 3].",
    ),
    hints_zh=(
        "对半布局中的第 i 对是 (x[i], x[i + D/2])；四分之一圈的旋转把一对 (a, b) 变成 (-b, a)。"
        "对所有维度对一次完成这个操作，且只作用在最后一轴上。",
        "把最后一轴切成前一半 A 和后一半 B（用切片，这样前面的各轴都原样保留），"
        "返回取负的后一半接在前一半前面的结果。",
        "一半的大小是 x.shape[-1] // 2；用 x[..., :n] 和 x[..., n:] 切片；torch.cat 沿 dim=-1 拼接。"
        "对 torch.arange(8.0)，结果是 [-4, -5, -6, -7, 0, 1, 2, 3]。",
    ),
)
def _rotate_inputs(gen: torch.Generator) -> tuple:
    # at least 2 heads and 3 positions, so working on the wrong axis is caught
    B, H, S, half = randint(gen, 1, 2), randint(gen, 2, 3), randint(gen, 3, 5), randint(gen, 2, 6)
    return (torch.randn(B, H, S, 2 * half, generator=gen),)


@exercise(
    "07.apply_rotary_pos_emb", internlm.apply_rotary_pos_emb,
    title="apply_rotary_pos_emb: look up the positions, then rotate",
    title_zh="apply_rotary_pos_emb：先按位置查表，再旋转",
    hints=(
        "Two steps: pick the table row of every token's position, then rotate with the half-layout rule "
        "q cos + rotate_half(q) sin (section 3). Every batch entry has its own row of positions.",
        "The tables are (1, 1, N, D): drop the two leading size-1 axes to get (N, D); indexing that with the "
        "(B, S) position_ids gathers (B, S, D); one new axis after the batch makes it broadcast over heads.",
        "Tensor.squeeze(dim) drops a size-1 axis, advanced indexing table[position_ids] gathers rows, "
        "Tensor.unsqueeze(1) inserts the head axis; use the rotate_half you wrote above, for q and for k.",
    ),
    hints_zh=(
        "分两步：取出每个词元所在位置对应的表行，再用对半布局的规则 q cos + rotate_half(q) sin 旋转（第 3 节）。"
        "批中的每个样本都有自己的一行位置。",
        "表的形状是 (1, 1, N, D)：去掉前面两个大小为 1 的轴，得到 (N, D)；用 (B, S) 的 position_ids 索引它，"
        "取出 (B, S, D)；在批维度之后插入一个新轴，使它能在头维度上广播。",
        "Tensor.squeeze(dim) 去掉一个大小为 1 的轴，高级索引 table[position_ids] 取出各行，"
        "Tensor.unsqueeze(1) 插入头轴；对 q 和 k 都使用你在上面写好的 rotate_half。",
    ),
)
def _apply_inputs(gen: torch.Generator) -> tuple:
    B, Hq, S, half = randint(gen, 2, 3), randint(gen, 1, 4), randint(gen, 2, 6), randint(gen, 2, 6)
    Hk = randint(gen, 1, Hq)
    D = 2 * half
    q = torch.randn(B, Hq, S, D, generator=gen)
    k = torch.randn(B, Hk, S, D, generator=gen)
    n_table = randint(gen, 8, 64)
    cos, sin = internlm.InternLMRotaryEmbedding(D, n_table)(q, seq_len=n_table)
    position_ids = torch.randint(0, n_table, (B, S), generator=gen)   # a different row per batch entry
    return q, k, cos, sin, position_ids


@exercise(
    "07.permute_for_rotate_half", internlm.permute_for_rotate_half,
    title="convert W_q / W_k from the interleaved to the half layout",
    title_zh="把 W_q / W_k 从交错布局转换成对半布局",
    hints=(
        "Each head owns D consecutive rows of w; inside a head, row 2i (first member of pair i) must move "
        "to row i and row 2i + 1 to row i + D/2. Heads stay where they are; the columns are untouched.",
        "Give the rows of each head two indices, (pair i, member 0 or 1): as a shape that is "
        "(n_heads, D/2, 2, d_in). Listing members first and pairs second is exactly the half layout.",
        "Tensor.view to (n_heads, D // 2, 2, d_in), transpose the two middle axes, reshape back to w.shape "
        "(the transpose is not contiguous, so not view). Or index each head's rows with "
        "ropelab.interleaved_to_half_index(D).",
    ),
    hints_zh=(
        "每个头占据 w 中连续的 D 行；在一个头内部，第 2i 行（第 i 对的第一个成员）要移到第 i 行，"
        "第 2i + 1 行要移到第 i + D/2 行。各个头保持原位；列不动。",
        "给每个头的各行两个下标（第 i 对，成员 0 或 1）：写成形状就是 (n_heads, D/2, 2, d_in)。先按成员、"
        "再按维度对排列，正好就是对半布局。",
        "用 Tensor.view 变成 (n_heads, D // 2, 2, d_in)，交换中间两个轴，再 reshape 回 w.shape（转置之后内存不连"
        "续，所以不能用 view）。或者用 ropelab.interleaved_to_half_index(D) 对每个头的各行做索引。",
    ),
)
def _permute_inputs(gen: torch.Generator) -> tuple:
    # n_heads >= 2 and D >= 6: a permutation that ignores heads, or its inverse, is caught
    n_heads, half, d_in = randint(gen, 2, 4), randint(gen, 3, 6), randint(gen, 3, 10)
    return torch.randn(n_heads * 2 * half, d_in, generator=gen), n_heads


# ---------------------------------------------------------------------------
# predict, then check
# ---------------------------------------------------------------------------

MIXED_TOP1_CHOICES = ("unchanged for every query", "changed for some queries", "changed for every query")

register(Prediction(
    id="07.mixed_top1",
    question="Meta's interleaved W_q, W_k rotated with rotate_half (layouts mixed): what happens to each "
             "query's most-attended key under the causal mask?",
    question_zh="Meta 交错布局的 W_q、W_k 却用 rotate_half 来旋转（两种布局混用）：在因果掩码下，"
                "每个查询最关注的那个键会怎样？",
    answer="changed for some queries",
    choices=MIXED_TOP1_CHOICES,
    choices_zh=("所有查询都不变", "部分查询改变", "所有查询都改变"),
    explain="Changed for some queries. The rotation now pairs coordinates the weights never meant as pairs, "
            "so the scores move by about their own size and many argmaxes move with them. Not for every "
            "query: under the causal mask the query at position 0 sees only key 0, so its choice cannot "
            "change, and a key that wins by a wide margin survives the perturbation. The next cell counts them.",
    explain_zh="部分查询改变。此时旋转把权重本来并不打算配对的坐标配成了一对，所以分数的变化幅度与分数本身相当，"
               "许多 argmax 也随之改变。但不是每个查询都变：在因果掩码下，位置 0 的查询只能看到键 0，"
               "它的选择不可能改变；而以很大优势胜出的键也能经受住这种扰动。下一个单元格会数一数。",
))
