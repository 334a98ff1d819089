"""Small helpers the notebooks use everywhere."""
from __future__ import annotations

import random

import numpy as np
import torch

from .._validate import check_int, shape_str

__all__ = ["seed", "show_shape"]


def seed(value: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators (returns nothing to print)."""
    value = check_int(value, "value", minimum=0)
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


def show_shape(name: str, t: torch.Tensor) -> None:
    """Print ``name: (2, 3, 4) float32`` for a tensor, the way the notebooks trace shapes."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string; got {type(name).__name__}")
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"t must be a torch.Tensor; got {type(t).__name__}")
    print(f"{name}: {shape_str(t)} {str(t.dtype).replace('torch.', '')}")
