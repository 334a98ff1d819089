"""Exercises of notebook 01 (tensor operations).

Each one is a tensor operation exactly as it appears in the LLaMA / InternLM
attention and RoPE code. Each reference computes the same result by another route
than the one the notebook teaches (and ``solutions/lesson01_tensor_ops.py`` writes
out), so checking the worked solution compares two different computations.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..common.exercises import Exercise, randint, register

__all__: list[str] = []


# ---------------------------------------------------------------------------
# 01.merge_heads: fix the broken view
# ---------------------------------------------------------------------------

def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    # head 0's (B, S, D), then head 1's, ... side by side along the features
    return torch.cat(x.unbind(1), dim=-1)


def _merge_heads_inputs(gen: torch.Generator) -> tuple:
    B, H, S, D = randint(gen, 1, 3), randint(gen, 2, 4), randint(gen, 2, 5), randint(gen, 2, 4)
    return (torch.randn(B, H, S, D, generator=gen),)


register(Exercise(
    id="01.merge_heads",
    title="merge the attention heads back (fix the broken view)",
    title_zh="把注意力头合并回去（修好出错的 view）",
    reference=_merge_heads,
    make_inputs=_merge_heads_inputs,
    hints=(
        "transpose only swaps strides: after transpose(1, 2) the memory is still in (B, H, S, D) order, "
        "which is why .view refuses to merge H and D into one dimension.",
        "Section 1 shows two ways out: copy the data into the new order first, or use the function that "
        "returns a view when it can and copies when it must.",
        "x.transpose(1, 2) already has the right shape (B, S, H, D), only not the memory order that .view "
        "needs: restore that order (.contiguous()) before merging the last two dimensions, or merge them with "
        ".reshape instead of .view.",
    ),
    hints_zh=(
        "transpose 只交换步长：transpose(1, 2) 之后，内存中的数据仍按 (B, H, S, D) 的顺序存放，"
        "所以 .view 拒绝把 H 和 D 合并成一维。",
        "第 1 节给出了两条出路：先把数据按新的顺序复制一份；或者改用另一个函数，它能返回视图时就返回视图，"
        "必须复制时才复制。",
        "x.transpose(1, 2) 的形状 (B, S, H, D) 已经对了，只是内存顺序不是 .view 所要求的："
        "先恢复这个顺序（.contiguous()），再合并最后两维；或者用 .reshape 代替 .view 来合并。",
    ),
))


# ---------------------------------------------------------------------------
# 01.causal_mask: broadcasting a column against a row
# ---------------------------------------------------------------------------

def _causal_mask(seq_len: int) -> torch.Tensor:
    # the lower triangle, diagonal included
    return torch.ones(seq_len, seq_len, dtype=torch.bool).tril()


def _causal_mask_inputs(gen: torch.Generator) -> tuple:
    return (randint(gen, 1, 9),)


register(Exercise(
    id="01.causal_mask",
    title="causal mask by broadcasting",
    title_zh="用广播构造因果掩码",
    reference=_causal_mask,
    make_inputs=_causal_mask_inputs,
    hints=(
        "Query i may look at key j exactly when j <= i: one comparison per (i, j) cell, and broadcasting "
        "does all the cells at once, no loop.",
        "Make the query positions a column (seq_len, 1) and the key positions a row (1, seq_len); comparing "
        "the two broadcasts to (seq_len, seq_len).",
        "torch.arange gives the positions 0 .. seq_len - 1; indexing with [:, None] makes a column, [None, :] a row; "
        "a comparison operator returns a bool tensor.",
    ),
    hints_zh=(
        "查询 i 能看到键 j，当且仅当 j <= i：每个 (i, j) 格子做一次比较，广播能一次完成所有格子，不需要循环。",
        "把查询的位置排成一列 (seq_len, 1)，把键的位置排成一行 (1, seq_len)；两者比较时会广播成 (seq_len, seq_len)。",
        "torch.arange 给出位置 0 .. seq_len - 1；用 [:, None] 索引得到一列，用 [None, :] 得到一行；"
        "比较运算符返回 bool 张量。",
    ),
))


# ---------------------------------------------------------------------------
# 01.normalize_channels: statistics with keepdim=True
# ---------------------------------------------------------------------------

EPS = 1e-5


def _normalize_channels(x: torch.Tensor) -> torch.Tensor:
    var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0, keepdim=True)  # correction=0: biased
    return (x - mean) * torch.rsqrt(var + EPS)


def _normalize_inputs(gen: torch.Generator) -> tuple:
    N, C, H, W = randint(gen, 2, 4), randint(gen, 2, 5), randint(gen, 2, 4), randint(gen, 2, 4)
    scale = torch.rand(1, C, 1, 1, generator=gen) * 3 + 0.5
    shift = torch.randn(1, C, 1, 1, generator=gen) * 2
    return (torch.randn(N, C, H, W, generator=gen) * scale + shift,)


register(Exercise(
    id="01.normalize_channels",
    title="normalise each channel (batch-norm statistics)",
    title_zh="逐通道归一化（批归一化的统计量）",
    reference=_normalize_channels,
    make_inputs=_normalize_inputs,
    atol=1e-4,
    rtol=1e-4,
    hints=(
        "Batch normalisation keeps one mean and one variance per channel: average over every dimension "
        "except C.",
        "Reduce over dim=(0, 2, 3) with keepdim=True, so that the statistics have shape (1, C, 1, 1) and "
        "broadcast straight back against x.",
        "The variance must be the biased one (divide by the count, not count - 1): unbiased=False, or the "
        "mean of the squared deviations. The 1e-5 goes inside the square root.",
    ),
    hints_zh=(
        "批归一化为每个通道保留一个均值和一个方差：对除 C 以外的所有维度求平均。",
        "在 dim=(0, 2, 3) 上做归约并设 keepdim=True，这样统计量的形状是 (1, C, 1, 1)，可以直接与 x 广播。",
        "方差必须是有偏的（除以元素个数，而不是个数减 1）：unbiased=False，或者直接求偏差平方的均值。"
        "1e-5 要加在平方根里面。",
    ),
))


# ---------------------------------------------------------------------------
# 01.attention_scores: einsum 'bqd,bkd->bqk'
# ---------------------------------------------------------------------------

def _attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    # the definition: (B, Sq, 1, D) * (B, 1, Sk, D), summed over d
    return (q[:, :, None, :] * k[:, None, :, :]).sum(-1)


def _attention_inputs(gen: torch.Generator) -> tuple:
    B, Sq, D = randint(gen, 1, 3), randint(gen, 1, 4), randint(gen, 2, 6)
    Sk = Sq + randint(gen, 1, 3)  # keys can outnumber queries (a KV cache), which keeps the shapes apart
    if D == Sk:  # so that forgetting the transpose (q @ k) fails loudly
        D += 1
    return (torch.randn(B, Sq, D, generator=gen), torch.randn(B, Sk, D, generator=gen))


register(Exercise(
    id="01.attention_scores",
    title="attention scores Q K^T with einsum",
    title_zh="用 einsum 计算注意力分数 Q K^T",
    reference=_attention_scores,
    make_inputs=_attention_inputs,
    atol=1e-4,
    hints=(
        "scores[b, i, j] multiplies query i and key j coordinate by coordinate and adds up the products: "
        "one dot product for every (query, key) pair.",
        "In einsum, give each dimension a letter: one for the batch, one for the query positions, another "
        "for the key positions, one for the features. The output keeps the batch and both positions.",
        "A letter that appears in both inputs but not in the output is summed over: leave the feature "
        "letter out after the '->'.",
    ),
    hints_zh=(
        "scores[b, i, j] 把查询 i 与键 j 逐个坐标相乘，再把乘积加起来：每一对（查询，键）做一次点积。",
        "在 einsum 中给每一维起一个字母：批次一个，查询位置一个，键位置另一个，特征一个。输出保留批次和两个位置维。",
        "在两个输入中都出现、却不出现在输出中的字母会被求和：在 '->' 之后不写特征维的字母。",
    ),
))


# ---------------------------------------------------------------------------
# 01.position_table: the outer product 'i,j->ij' (InternLM's freqs)
# ---------------------------------------------------------------------------

def _position_table(t: torch.Tensor, inv_freq: torch.Tensor) -> torch.Tensor:
    # a column (seq, 1) times a row (1, dim/2), by broadcasting
    return t[:, None] * inv_freq[None, :]


def _position_table_inputs(gen: torch.Generator) -> tuple:
    seq = randint(gen, 2, 9)
    half = randint(gen, 1, 4)
    if half == seq:  # different lengths, so a transposed table has a visibly wrong shape
        seq += 1
    t = torch.arange(seq, dtype=torch.float32) + randint(gen, 0, 5)
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0, 2 * half, 2, dtype=torch.float32) / (2 * half)))
    return (t, inv_freq)


register(Exercise(
    id="01.position_table",
    title="position-by-frequency table (outer product)",
    title_zh="位置 × 频率表（外积）",
    reference=_position_table,
    make_inputs=_position_table_inputs,
    hints=(
        "Every position times every frequency, nothing added up: which product of two vectors gives a "
        "table like that?",
        "It is the outer product: torch.outer, an einsum whose two letters both survive, or broadcasting a "
        "column against a row.",
        "With broadcasting: t as a column (seq, 1) times inv_freq as a row (1, dim/2) gives (seq, dim/2).",
    ),
    hints_zh=(
        "每个位置乘以每个频率，什么都不加起来：两个向量的哪一种乘积会给出这样一张表？",
        "这就是外积：torch.outer，两个字母都保留在输出中的 einsum，或者一列与一行的广播。",
        "用广播的话：把 t 作为一列 (seq, 1)，乘以作为一行的 inv_freq (1, dim/2)，得到 (seq, dim/2)。",
    ),
))


# ---------------------------------------------------------------------------
# 01.pick_per_row: gather
# ---------------------------------------------------------------------------

def _pick_per_row(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    # advanced indexing with (row, column) pairs
    return x[torch.arange(x.shape[0]), idx]


def _pick_inputs(gen: torch.Generator) -> tuple:
    rows = randint(gen, 2, 6)
    cols = randint(gen, 2, 7)
    if cols == rows:
        cols += 1
    return (torch.randn(rows, cols, generator=gen), torch.randint(0, cols, (rows,), generator=gen))


register(Exercise(
    id="01.pick_per_row",
    title="pick one entry per row with gather",
    title_zh="用 gather 在每行取一个元素",
    reference=_pick_per_row,
    make_inputs=_pick_inputs,
    hints=(
        "For row r you want the one entry in column idx[r]: gather along dimension 1 picks, per row, the "
        "columns an index names.",
        "gather needs an index with as many dimensions as x, and returns the shape of the index: here an "
        "index of shape (N, 1), one column per row.",
        "Add the missing dimension to idx before gather(1, ...), and remove it from the result so that you "
        "return shape (N,).",
    ),
    hints_zh=(
        "第 r 行你要的是第 idx[r] 列的那一个元素：沿第 1 维的 gather 会在每一行取出索引所指定的那些列。",
        "gather 要求索引的维数与 x 相同，返回结果的形状与索引相同：这里需要形状为 (N, 1) 的索引，每行一列。",
        "在调用 gather(1, ...) 之前给 idx 补上缺少的那一维，再从结果中去掉它，使返回的形状为 (N,)。",
    ),
))


# ---------------------------------------------------------------------------
# 01.scatter_rows: scatter_
# ---------------------------------------------------------------------------

def _scatter_rows(values: torch.Tensor, index: torch.Tensor, num_cols: int) -> torch.Tensor:
    # assignment through advanced indexing: row r, columns index[r]
    out = values.new_zeros(values.shape[0], num_cols)
    out[torch.arange(values.shape[0])[:, None], index] = values
    return out


def _scatter_inputs(gen: torch.Generator) -> tuple:
    rows = randint(gen, 2, 5)
    k = randint(gen, 1, 3)
    cols = k + randint(gen, 1, 4)
    if cols == rows:
        cols += 1
    index = torch.stack([torch.randperm(cols, generator=gen)[:k] for _ in range(rows)])
    values = torch.randn(rows, k, generator=gen)
    return (values, index, cols)


register(Exercise(
    id="01.scatter_rows",
    title="write values into chosen columns with scatter_",
    title_zh="用 scatter_ 把值写入指定的列",
    reference=_scatter_rows,
    make_inputs=_scatter_inputs,
    hints=(
        "scatter_ writes into an existing tensor, in place: you need a tensor to write into first.",
        "Start from zeros of the output's shape, (N, num_cols), with the dtype of values; scatter_ along "
        "dimension 1 puts values[r, k] at column index[r, k] of row r.",
        "The call is out.scatter_(dim, index, src): two of your three inputs are the index and the source; "
        "scatter_ returns out itself, so you can return its result.",
    ),
    hints_zh=(
        "scatter_ 是原地写入一个已有的张量：你得先有一个可以写入的张量。",
        "从输出形状 (N, num_cols) 的全零张量开始，数据类型与 values 相同；"
        "沿第 1 维的 scatter_ 会把 values[r, k] 放到第 r 行的第 index[r, k] 列。",
        "调用形式是 out.scatter_(dim, index, src)：你的三个输入中有两个就是索引和源；scatter_ 返回的就是 out 本身，"
        "所以可以直接返回它的结果。",
    ),
))


# ---------------------------------------------------------------------------
# 01.select_positions: cos[position_ids] (InternLM's apply_rotary_pos_emb)
# ---------------------------------------------------------------------------

def _select_positions(cos: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
    # an embedding lookup: the rows of the table cos, one per position id; heads at dim 1
    return F.embedding(position_ids, cos)[:, None]


def _select_inputs(gen: torch.Generator) -> tuple:
    max_pos = randint(gen, 8, 16)
    D = 2 * randint(gen, 1, 4)
    B = randint(gen, 1, 3)
    S = randint(gen, 2, 5)
    table = torch.outer(torch.arange(max_pos, dtype=torch.float32),
                        1.0 / (10000.0 ** (torch.arange(0, D, 2, dtype=torch.float32) / D)))
    cos = torch.cat((table, table), dim=-1).cos()
    starts = torch.randint(0, max_pos - S + 1, (B, 1), generator=gen)
    position_ids = starts + torch.arange(S)
    return (cos, position_ids)


register(Exercise(
    id="01.select_positions",
    title="look up each token's cos row: cos[position_ids]",
    title_zh="查出每个词元的 cos 行：cos[position_ids]",
    reference=_select_positions,
    make_inputs=_select_inputs,
    hints=(
        "Indexing a table with a tensor of integers picks whole rows: the result has the index's shape "
        "followed by the length of a row.",
        "A (max_pos, D) table indexed by a (B, S) tensor of position ids is (B, S, D): the row of each "
        "token's position.",
        "The result needs a size-1 head dimension at position 1, (B, 1, S, D), so that it broadcasts "
        "against q of shape (B, H, S, D): unsqueeze, or None in an index.",
    ),
    hints_zh=(
        "用整数张量索引一张表会取出整行：结果的形状是索引的形状后面再接上一行的长度。",
        "用形状为 (B, S) 的位置编号张量去索引 (max_pos, D) 的表，得到 (B, S, D)：每个词元所在位置的那一行。",
        "结果需要在第 1 维有一个大小为 1 的头维度，即 (B, 1, S, D)，这样才能与形状为 (B, H, S, D) 的 q 广播："
        "用 unsqueeze，或在索引中写 None。",
    ),
))
