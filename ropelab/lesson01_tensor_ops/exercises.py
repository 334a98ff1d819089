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
    reference=_position_table,
    make_inputs=_position_table_inputs,
    hints=(
        "Every position times every frequency, nothing added up: which product of two vectors gives a "
        "table like that?",
        "It is the outer product: torch.outer, an einsum whose two letters both survive, or broadcasting a "
        "column against a row.",
        "With broadcasting: t as a column (seq, 1) times inv_freq as a row (1, dim/2) gives (seq, dim/2).",
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
    reference=_scatter_rows,
    make_inputs=_scatter_inputs,
    hints=(
        "scatter_ writes into an existing tensor, in place: you need a tensor to write into first.",
        "Start from zeros of the output's shape, (N, num_cols), with the dtype of values; scatter_ along "
        "dimension 1 puts values[r, k] at column index[r, k] of row r.",
        "The call is out.scatter_(dim, index, src): two of your three inputs are the index and the source; "
        "scatter_ returns out itself, so you can return its result.",
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
))
