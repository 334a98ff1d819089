"""Solutions for notebook 05 (RoPE in d dimensions)."""
import torch

import ropelab


def rope_elementwise(x, positions):
    ang = ropelab.angles(positions, x.shape[-1])                 # (seq, dim // 2)
    cos = torch.cos(ang).repeat_interleave(2, dim=-1)            # (seq, dim): cos of pair i twice
    sin = torch.sin(ang).repeat_interleave(2, dim=-1)
    rotated = torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)   # (x1, x2) -> (-x2, x1)
    return x * cos + rotated * sin


def rotation_matrix(position, dim):
    ang = ropelab.angles([position], dim)[0]                     # (dim // 2,)
    R = torch.zeros(dim, dim)
    for i, a in enumerate(ang):
        c, s = torch.cos(a), torch.sin(a)
        R[2 * i, 2 * i], R[2 * i, 2 * i + 1] = c, -s
        R[2 * i + 1, 2 * i], R[2 * i + 1, 2 * i + 1] = s, c
    return R


def relative_property(q, k, m, n):
    dim = q.shape[-1]
    lhs = (ropelab.rotation_matrix(m, dim) @ q) @ (ropelab.rotation_matrix(n, dim) @ k)
    rhs = q @ ropelab.rotation_matrix(n - m, dim) @ k
    return lhs, rhs


# prediction 05.nonzero_entries: 64 blocks of 2 x 2 on the diagonal, zeros elsewhere
nonzero_entries = 256

# prediction 05.random_qk_decay: a rotated Gaussian vector is as random as before
random_qk_decay = "stays about the same"
