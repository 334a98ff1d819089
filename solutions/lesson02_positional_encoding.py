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
