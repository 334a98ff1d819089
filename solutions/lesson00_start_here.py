"""Solutions for notebook 00."""
import torch


def pair_norms(x: torch.Tensor) -> torch.Tensor:
    # even coordinates are the first member of each pair, odd ones the second
    return torch.sqrt(x[..., 0::2] ** 2 + x[..., 1::2] ** 2)
