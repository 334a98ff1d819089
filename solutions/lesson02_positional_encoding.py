"""Solutions for notebook 02 (the sinusoidal position encoding)."""
import math

import torch


def sinusoidal_pe(num_positions: int, dim: int) -> torch.Tensor:
    pos = torch.arange(num_positions, dtype=torch.float32)[:, None]          # (num_positions, 1)
    freqs = 1.0 / 10000 ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)  # (dim // 2,)
    angle = pos * freqs                                                      # (num_positions, dim // 2)
    pe = torch.zeros(num_positions, dim)
    pe[:, 0::2] = torch.sin(angle)   # even columns: sin
    pe[:, 1::2] = torch.cos(angle)   # odd columns: cos
    return pe


def wavelengths(dim: int) -> torch.Tensor:
    two_i = torch.arange(0, dim, 2, dtype=torch.float64)
    return 2 * math.pi * 10000 ** (two_i / dim)


def shift_matrix(k: int, dim: int) -> torch.Tensor:
    # sin((pos + k) t) =  cos(k t) sin(pos t) + sin(k t) cos(pos t)
    # cos((pos + k) t) = -sin(k t) sin(pos t) + cos(k t) cos(pos t)
    M = torch.zeros(dim, dim, dtype=torch.float64)
    for i in range(dim // 2):
        theta = 10000.0 ** (-2 * i / dim)
        c, s = math.cos(k * theta), math.sin(k * theta)
        M[2 * i, 2 * i], M[2 * i, 2 * i + 1] = c, s          # the new sine
        M[2 * i + 1, 2 * i], M[2 * i + 1, 2 * i + 1] = -s, c  # the new cosine
    return M


# prediction 02.full_turns: pair i completes a turn within positions 0..127 when its period
# 2*pi * 10000^(i/32) <= 127, i.e. i <= 32 ln(127 / (2 pi)) / ln(10000) = 10.4: pairs 0..10
full_turns = 11
