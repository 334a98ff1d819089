"""Solutions for notebook 06 (Meta's LLaMA RoPE code)."""
import torch


def reshape_for_broadcast(freqs_cis, x):
    # x: (B, S, H, D/2) complex; keep dim 1 (sequence) and the last dim, 1 everywhere else
    shape = [d if i == 1 or i == x.ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


def apply_rotary_emb(xq, xk, freqs_cis):
    # (B, S, H, D) -> (B, S, H, D/2, 2) -> complex (B, S, H, D/2)
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    freqs_cis = reshape_for_broadcast(freqs_cis, xq_)          # (1, S, 1, D/2)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)    # back to (B, S, H, D)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


def causal_mask(seqlen, start_pos):
    mask = torch.full((seqlen, seqlen), float("-inf")).triu(1)   # new tokens among themselves
    return torch.hstack([torch.zeros(seqlen, start_pos), mask])   # every cached position is visible


# predictions
shifted_block = 0.0      # every score depends on m - n only; shifting all tokens by 100 keeps them
cache_holds = "rotated"  # keys are rotated once, by their own position, when written to the cache
