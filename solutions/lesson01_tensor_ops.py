"""Solutions for notebook 01 (tensor operations)."""
import torch


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    # (B, H, S, D) -> (B, S, H, D) is a transpose: a view with new strides, not contiguous.
    # .view needs contiguous memory, so copy first (this is LLaMA's
    # `output.transpose(1, 2).contiguous().view(bsz, seqlen, -1)`); .reshape(B, S, -1) also works.
    B, H, S, D = x.shape
    return x.transpose(1, 2).contiguous().view(B, S, H * D)


def causal_mask(seq_len: int) -> torch.Tensor:
    # column (seq_len, 1) of query positions vs row (1, seq_len) of key positions -> (seq_len, seq_len)
    i = torch.arange(seq_len)
    return i[:, None] >= i[None, :]


def normalize_channels(x: torch.Tensor) -> torch.Tensor:
    # keepdim=True leaves (1, C, 1, 1), which lines up with (N, C, H, W) from the right
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = ((x - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)  # the biased variance
    return (x - mean) / torch.sqrt(var + 1e-5)


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    # d appears in both inputs but not in the output, so it is summed over
    return torch.einsum("bqd,bkd->bqk", q, k)


def position_table(t: torch.Tensor, inv_freq: torch.Tensor) -> torch.Tensor:
    # the outer product, exactly InternLM's `freqs = torch.einsum("i,j->ij", t, self.inv_freq)`
    return torch.einsum("i,j->ij", t, inv_freq)


def pick_per_row(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    # gather wants an index of the same rank as x: (N,) -> (N, 1), then drop that dim again
    return x.gather(1, idx.unsqueeze(1)).squeeze(1)


def scatter_rows(values: torch.Tensor, index: torch.Tensor, num_cols: int) -> torch.Tensor:
    # the inverse of gather: out[r, index[r, k]] = values[r, k]
    out = torch.zeros(values.shape[0], num_cols, dtype=values.dtype)
    return out.scatter_(1, index, values)


def select_positions(cos: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
    # advanced indexing: (max_pos, D)[(B, S)] -> (B, S, D); a head dim of 1 for broadcasting
    return cos[position_ids].unsqueeze(1)
