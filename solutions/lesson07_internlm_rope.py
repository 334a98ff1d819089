"""Solutions for notebook 07 (the Hugging Face / InternLM RoPE code)."""
import torch


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]    # A: first half
    x2 = x[..., x.shape[-1] // 2:]     # B: second half
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids):
    cos = cos.squeeze(1).squeeze(0)          # (N, D)
    sin = sin.squeeze(1).squeeze(0)
    cos = cos[position_ids].unsqueeze(1)     # (B, S, D) -> (B, 1, S, D)
    sin = sin[position_ids].unsqueeze(1)
    q_embed = q * cos + rotate_half(q) * sin
    k_embed = k * cos + rotate_half(k) * sin
    return q_embed, k_embed


def permute_for_rotate_half(w, n_heads):
    rows, d_in = w.shape
    # (n_heads, D/2, 2, d_in): axis 1 = pair i, axis 2 = first/second member; swap them
    return w.view(n_heads, rows // n_heads // 2, 2, d_in).transpose(1, 2).reshape(rows, d_in)


# predictions
mixed_top1 = "changed for some queries"   # query 0 sees only key 0 (causal); others move with the scores
