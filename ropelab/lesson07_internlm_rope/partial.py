"""Partial rotary: RoPE on the first fraction of each head only (GPT-NeoX ``rotary_pct``).

GPT-NeoX, Pythia, StableLM, Phi-2 and others rotate only the first ``rotary_dim`` coordinates
of every head and pass the others through unchanged; ``transformers`` calls the fraction
``partial_rotary_factor`` (in ``config.rope_parameters`` in 5.x; GPT-NeoX's own config name is
``rotary_pct``). The rotated part uses the frequencies of a head of size ``rotary_dim``:
``theta_i = base ** (-2i / rotary_dim)``, ``i = 0 .. rotary_dim/2 - 1``, in the half
(``rotate_half``) layout inside the rotated part.

Shapes: ``x: (..., seq, D)``, ``positions: (seq,)``.
"""
from __future__ import annotations

import torch

from .._validate import check_choice, check_int, check_real, check_tensor
from ..rope import DEFAULT_BASE, LAYOUTS, apply_rope

__all__ = ["rotary_dim", "partial_rope"]


def rotary_dim(head_dim: int, partial_rotary_factor: float) -> int:
    """How many coordinates of a head are rotated: ``int(head_dim * partial_rotary_factor)``, as in ``transformers``.

    It must be even (RoPE rotates pairs) and at least 2.
    """
    head_dim = check_int(head_dim, "head_dim", minimum=2)
    factor = check_real(partial_rotary_factor, "partial_rotary_factor", positive=True)
    if factor > 1:
        raise ValueError(f"partial_rotary_factor is a fraction of the head, in (0, 1]; got {factor}")
    dim = int(head_dim * factor)
    if dim < 2 or dim % 2:
        raise ValueError(
            f"int(head_dim * partial_rotary_factor) = int({head_dim} * {factor}) = {dim} coordinates would be "
            "rotated; that must be an even number >= 2 (RoPE rotates pairs): pick another factor"
        )
    return dim


def partial_rope(x, positions, partial_rotary_factor: float = 0.25, base: float = DEFAULT_BASE,
                 layout: str = "half") -> torch.Tensor:
    """RoPE on ``x[..., :rotary_dim]``, the rest of each head passed through: ``x``'s shape and dtype.

    ``rotary_dim = int(D * partial_rotary_factor)``; the rotated part is ordinary RoPE for a
    head of size ``rotary_dim`` (its own frequencies), in ``layout`` (``"half"`` as GPT-NeoX
    and ``transformers``; ``"interleaved"`` as GPT-J).
    """
    x = check_tensor(x, "x", floating=True, min_ndim=2, shape_hint="(..., seq, D)",
                     fix="for a single vector (D,) use x[None], a sequence of one token")
    layout = check_choice(layout, "layout", LAYOUTS)
    rd = rotary_dim(x.shape[-1], partial_rotary_factor)
    rotated = apply_rope(x[..., :rd], positions, base, layout=layout)
    return torch.cat((rotated, x[..., rd:]), dim=-1)
