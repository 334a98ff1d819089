"""Rotary position embedding (RoPE, 旋转位置编码): frequencies, angles and four ways to apply it.

Shapes follow one convention throughout:

* ``x``: ``(..., seq, dim)``, any number of leading dimensions (batch, heads).
* ``positions``: ``(seq,)``, one position per token; integers, or floats for
  interpolated positions. A Python ``range`` or ``list`` works too.
* angle tables: ``(seq, dim // 2)``, one angle ``m * theta_i`` per token and pair.

Two layouts pair the ``dim`` coordinates differently:

* ``"interleaved"``: pairs ``(2i, 2i + 1)``, as in the RoFormer paper and Meta's LLaMA code.
* ``"half"``: pairs ``(i, i + dim/2)``, the ``rotate_half`` form of Hugging Face,
  InternLM and GPT-NeoX.

Both rotate pair ``i`` by the angle ``m * theta_i`` with ``theta_i = base ** (-2i / dim)``;
they differ only by a fixed permutation of the coordinates (see
:func:`interleaved_to_half_index`).

Angles and cos/sin tables are always computed in float32 (float64 for float64
input), whatever the dtype of ``x``; results are cast back to ``x.dtype``.
"""
from __future__ import annotations

import math

import torch

from . import _kernels
from ._validate import (
    as_positions,
    check_angle_table,
    check_base,
    check_choice,
    check_even_dim,
    check_int,
    check_out,
    check_real,
    check_rope_input,
    check_tensor,
    check_writable,
    overlaps,
    same_memory,
)

__all__ = [
    "LAYOUTS",
    "inv_freq",
    "compute_dtype",
    "angles",
    "angles_from_freqs",
    "rotation_matrix",
    "rope_matrix",
    "rope_complex",
    "rope_interleaved",
    "rope_half",
    "rope_from_angles",
    "as_complex_pairs",
    "apply_rope",
    "apply_rope_",
    "apply_rope_qk",
    "apply_rope_qk_",
    "rotate_pairs",
    "rotate_half",
    "interleaved_to_half_index",
    "half_to_interleaved_index",
    "interleaved_to_half",
    "half_to_interleaved",
    "sinusoidal_pe",
    "wavelengths",
]

LAYOUTS = ("interleaved", "half")
DEFAULT_BASE = 10000.0


# ---------------------------------------------------------------------------
# frequencies and angles
# ---------------------------------------------------------------------------

def _inv_freq(dim: int, base: float, dtype: torch.dtype) -> torch.Tensor:
    # The same expression (and so the same float32 rounding) as Meta's and
    # Hugging Face's code: 1 / base ** (2i / dim).
    exponent = torch.arange(0, dim, 2, dtype=dtype) / dim
    freqs = 1.0 / (base ** exponent)
    if not (freqs > 0).all():  # a base beyond float32's range: every pair but the first stands still
        raise ValueError(f"base = {base:g} is too large for {dtype}: its frequencies base ** (-2i/dim) "
                         f"underflow to 0; use a base below {torch.finfo(dtype).max:.3g}")
    return freqs


def inv_freq(dim: int, base: float = DEFAULT_BASE, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The rotation frequencies ``theta_i = base ** (-2i / dim)``, ``i = 0 .. dim/2 - 1``.

    Returns a tensor of shape ``(dim // 2,)`` in ``dtype`` (float32 or float64); in
    float32, bit-for-bit the values the LLaMA and Hugging Face code compute. ``theta_0 = 1`` (fastest pair, period
    ``2*pi``); the last pair is the slowest.
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base)
    dtype = check_choice(dtype, "dtype", (torch.float32, torch.float64))
    return _inv_freq(dim, base, dtype)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype angles and cos/sin are computed in for inputs of ``dtype``: float64 stays
    float64, everything else (float32, float16, bfloat16) computes in float32."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def _angles(positions: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """Outer product positions x freqs, rounded once to ``freqs.dtype``.

    The product is formed in float64, so for float32 inputs the result equals a
    correctly rounded float32 multiply (the same numbers the reference code gets),
    and float64 positions such as ``m / s`` lose nothing before the final rounding.
    """
    pos = positions.to(device=freqs.device)
    if freqs.dtype == torch.float32 and pos.dtype != torch.float64:
        pos = pos.to(torch.float32)
    ang = torch.outer(pos.to(torch.float64), freqs.to(torch.float64)).to(freqs.dtype)
    return check_angle_table(ang, positions)


def angles_from_freqs(positions, freqs) -> torch.Tensor:
    """The angle table ``positions x freqs`` for any frequencies (scaled ones, image axes).

    ``positions``: ``(seq,)``; ``freqs``: ``(dim // 2,)`` float32 or float64. Returns
    ``(seq, dim // 2)`` in ``freqs``' dtype, rounded once, as :func:`angles` does.
    """
    freqs = check_tensor(freqs, "freqs", floating=True, ndim=1, shape_hint="(dim // 2,)")
    if freqs.dtype not in (torch.float32, torch.float64):
        freqs = freqs.float()
    positions = as_positions(positions, "positions")
    return _angles(positions, freqs)


def angles(positions, dim: int, base: float = DEFAULT_BASE) -> torch.Tensor:
    """The angle table ``m * theta_i``: float32, shape ``(seq, dim // 2)``.

    ``positions`` is ``(seq,)`` (tensor, range or list; integers or floats, may be
    negative). Row ``m`` holds the angle by which each pair of a token at position
    ``m`` is rotated.
    """
    dim = check_even_dim(dim, "dim")
    base = check_base(base)
    positions = as_positions(positions, "positions")
    return _angles(positions, _inv_freq(dim, base, torch.float32))


def rotation_matrix(position, dim: int, base: float = DEFAULT_BASE) -> torch.Tensor:
    """The block-diagonal rotation ``R_{Theta,m}`` of the RoFormer paper: float32 ``(dim, dim)``.

    Block ``i`` (rows and columns ``2i, 2i+1``) is the 2x2 rotation by ``m * theta_i``::

        [[cos, -sin],
         [sin,  cos]]

    so ``R @ q`` rotates a column vector ``q`` of the interleaved layout.
    """
    if isinstance(position, torch.Tensor):
        if position.numel() != 1:
            raise ValueError(
                f"position must be a single number (one token's position); got a tensor of shape "
                f"{tuple(position.shape)}"
            )
        position = position.reshape(()).item()
    m = check_real(position, "position")
    dim = check_even_dim(dim, "dim")
    ang = angles([m], dim, base)[0]
    return _block_diag(ang)


def _block_diag(ang: torch.Tensor) -> torch.Tensor:
    """``(..., dim/2)`` angles -> ``(..., dim, dim)`` block-diagonal rotation matrices."""
    half = ang.shape[-1]
    dim = 2 * half
    cos, sin = torch.cos(ang), torch.sin(ang)
    R = torch.zeros(*ang.shape[:-1], dim, dim, dtype=ang.dtype, device=ang.device)
    idx = torch.arange(half, device=ang.device)
    R[..., 2 * idx, 2 * idx] = cos
    R[..., 2 * idx, 2 * idx + 1] = -sin
    R[..., 2 * idx + 1, 2 * idx] = sin
    R[..., 2 * idx + 1, 2 * idx + 1] = cos
    return R


# ---------------------------------------------------------------------------
# shared checks for the RoPE forms
# ---------------------------------------------------------------------------

def _prepare(x, positions, base) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate ``x``/``positions``/``base``; return x and the angle table in the compute dtype."""
    x = check_rope_input(x)
    base = check_base(base)
    positions = as_positions(positions, "positions", length=x.shape[-2], length_name="seq = x.shape[-2]")
    dtype = compute_dtype(x.dtype)
    freqs = _inv_freq(x.shape[-1], base, dtype).to(x.device)
    return x, _angles(positions, freqs)


def _check_angles(x: torch.Tensor, table, name: str = "angles") -> torch.Tensor:
    table = check_tensor(table, name, floating=True, ndim=2, shape_hint="(seq, dim // 2)")
    seq, dim = x.shape[-2], x.shape[-1]
    if table.shape[1] != dim // 2:
        raise ValueError(
            f"{name} has {table.shape[1]} columns but x has dim = {dim}, which needs dim // 2 = "
            f"{dim // 2}: the table must have shape (seq, dim // 2) = ({seq}, {dim // 2})"
        )
    if table.shape[0] != seq:
        raise ValueError(
            f"{name} has {table.shape[0]} rows but x has seq = {seq} tokens: the table must have "
            f"shape (seq, dim // 2) = ({seq}, {dim // 2})"
        )
    dtype = torch.float64 if torch.float64 in (x.dtype, table.dtype) else torch.float32
    return table.to(device=x.device, dtype=dtype)


# ---------------------------------------------------------------------------
# four ways to apply RoPE
# ---------------------------------------------------------------------------

def rope_matrix(x, positions, base: float = DEFAULT_BASE) -> torch.Tensor:
    """RoPE as a dense matrix product ``R_{Theta,m} @ x_m`` (interleaved layout).

    The didactic form: it builds a ``(dim, dim)`` matrix per position, so it costs
    ``dim**2`` multiply-adds per vector where the other forms need ``~3 * dim``.
    """
    x, ang = _prepare(x, positions, base)
    R = _block_diag(ang)  # (seq, dim, dim)
    y = torch.einsum("sij,...sj->...si", R, x.to(ang.dtype))
    return y.to(x.dtype)


def rope_complex(x, positions, base: float = DEFAULT_BASE) -> torch.Tensor:
    """RoPE as a complex multiply, the Meta LLaMA way (interleaved layout).

    Each pair ``(x[2i], x[2i+1])`` is read as the complex number ``x[2i] + i*x[2i+1]``
    and multiplied by ``e^{i m theta_i}``.
    """
    x, ang = _prepare(x, positions, base)
    return _complex_from_angles(x, ang)


def _complex_from_angles(x: torch.Tensor, ang: torch.Tensor) -> torch.Tensor:
    xc = as_complex_pairs(x.to(ang.dtype))
    rot = torch.polar(torch.ones_like(ang), ang)
    return torch.view_as_real(xc * rot).flatten(-2).to(x.dtype)


def as_complex_pairs(x: torch.Tensor) -> torch.Tensor:
    """Real ``(..., dim)`` -> complex ``(..., dim // 2)``: pair ``(2i, 2i+1)`` is ``x[2i] + i x[2i+1]``.

    A view when memory allows, else a copy: ``view_as_complex`` needs unit stride and an
    even offset (whole complex numbers), which a slice such as ``x[..., 1:9]`` lacks.
    """
    pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)  # not -1: that is ambiguous when seq = 0
    if not pairs.is_contiguous() or pairs.storage_offset() % 2:
        pairs = torch.empty(pairs.shape, dtype=pairs.dtype, device=pairs.device).copy_(pairs)
    return torch.view_as_complex(pairs)


def rope_interleaved(x, positions, base: float = DEFAULT_BASE) -> torch.Tensor:
    """RoPE in real arithmetic on adjacent pairs ``(2i, 2i+1)``::

        out[2i]   = x[2i] * cos(m theta_i) - x[2i+1] * sin(m theta_i)
        out[2i+1] = x[2i] * sin(m theta_i) + x[2i+1] * cos(m theta_i)
    """
    x, ang = _prepare(x, positions, base)
    return _interleaved_from_angles(x, ang)


def _interleaved_from_angles(x: torch.Tensor, ang: torch.Tensor) -> torch.Tensor:
    xf = x.to(ang.dtype)
    cos = torch.cos(ang).repeat_interleave(2, dim=-1)
    sin = torch.sin(ang).repeat_interleave(2, dim=-1)
    return (xf * cos + rotate_pairs(xf) * sin).to(x.dtype)


def rope_half(x, positions, base: float = DEFAULT_BASE) -> torch.Tensor:
    """RoPE on pairs ``(i, i + dim/2)``, the Hugging Face / InternLM ``rotate_half`` form::

        out = x * cat(cos, cos) + rotate_half(x) * cat(sin, sin)
    """
    x, ang = _prepare(x, positions, base)
    return _half_from_angles(x, ang)


def _half_from_angles(x: torch.Tensor, ang: torch.Tensor) -> torch.Tensor:
    xf = x.to(ang.dtype)
    cos = torch.cos(ang).repeat(1, 2)
    sin = torch.sin(ang).repeat(1, 2)
    return (xf * cos + rotate_half(xf) * sin).to(x.dtype)


def rope_from_angles(x, angle_table, layout: str = "interleaved") -> torch.Tensor:
    """Apply RoPE with a given angle table ``(seq, dim // 2)`` instead of positions.

    Use it when the angles do not come from ``positions * inv_freq(dim, base)``:
    scaled frequencies for long contexts, or 2-D (row, column) angles for image patches.
    """
    x = check_rope_input(x)
    layout = check_choice(layout, "layout", LAYOUTS)
    ang = _check_angles(x, angle_table, "angle_table")
    if layout == "half":
        return _half_from_angles(x, ang)
    return _complex_from_angles(x, ang)


def apply_rope(x, positions, base: float = DEFAULT_BASE, layout: str = "interleaved", *,
               out: torch.Tensor | None = None) -> torch.Tensor:
    """Apply RoPE to ``x`` of shape ``(..., seq, dim)``: the one call to use when you just need it.

    ``layout="interleaved"`` pairs ``(2i, 2i+1)`` (Meta LLaMA, RoFormer);
    ``layout="half"`` pairs ``(i, i + dim/2)`` (Hugging Face, InternLM).
    Returns a new tensor of ``x``'s shape and dtype; with ``out=`` the result is written
    into ``out`` (a tensor of ``x``'s shape, dtype and device, e.g. ``torch.empty_like(x)``,
    or ``x`` itself, which rotates ``x`` in place like :func:`apply_rope_`) and ``out`` is
    returned. ``out`` may not share memory with ``x`` otherwise.

    It computes what :func:`rope_complex` / :func:`rope_half` compute, at close to the
    floor of one read and one write of memory (the kernels in ``ropelab/_kernels.py``): a
    fused loop compiled by numba for float32 / float64 tensors on the CPU, else one
    complex multiply (interleaved) or two operations without temporaries (half) in plain
    PyTorch, with a cached cos/sin table. Dense inputs keep their memory layout. Inputs
    that need gradients go through the reference forms, so autograd works, ``out=`` too.
    """
    layout = check_choice(layout, "layout", LAYOUTS)
    x = check_rope_input(x)
    base = check_base(base)
    positions = as_positions(positions, "positions", length=x.shape[-2], length_name="seq = x.shape[-2]")
    if out is None:
        return _rope(x, positions, base, layout)
    out = check_out(out, x, "out", "x")
    target = "x" if same_memory(out, x) else "out"
    check_writable(out, target, how="in place" if target == "x" else "through out=", fix=_OUT_OF_PLACE)
    return _rope_into(x, positions, base, layout, out)


def apply_rope_(x, positions, base: float = DEFAULT_BASE, layout: str = "interleaved") -> torch.Tensor:
    """Rotate ``x`` of shape ``(..., seq, dim)`` in place and return it (PyTorch's trailing-underscore rule).

    The same numbers as :func:`apply_rope`, written over ``x``: no new memory, one read and
    one write of ``x``. This is how fused attention kernels and inference engines apply
    RoPE (flash-attn's ``apply_rotary_emb(..., inplace=True)``, vLLM's rotary operator).
    Refused, with the reason, where writing ``x`` would break autograd: a leaf tensor that
    requires grad (while grad mode is on), or a tensor saved for the backward pass.
    """
    layout = check_choice(layout, "layout", LAYOUTS)
    x = check_rope_input(x)
    base = check_base(base)
    positions = as_positions(positions, "positions", length=x.shape[-2], length_name="seq = x.shape[-2]")
    check_writable(x, "x", fix=_OUT_OF_PLACE)
    return _rope_into(x, positions, base, layout, x)


def apply_rope_qk(q, k, positions, base: float = DEFAULT_BASE, layout: str = "interleaved", *,
                  out: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply RoPE to a query and a key at once: ``q: (..., seq, dim)``, ``k: (..., seq, dim)``.

    Both are rotated by the same ``positions: (seq,)`` (one cos/sin table); their
    leading dims may differ, e.g. fewer key heads in grouped-query attention.
    Returns ``(q_rotated, k_rotated)``, each like :func:`apply_rope` of it. With
    ``out=(q_out, k_out)`` the results are written there (each may be its own input,
    for in place) and ``out`` is returned as a tuple; no output may share memory with
    the other output or with the other input.
    """
    layout = check_choice(layout, "layout", LAYOUTS)
    q, k = _check_qk(q, k)
    base = check_base(base)
    positions = as_positions(positions, "positions", length=q.shape[-2], length_name="seq = q.shape[-2]")
    if out is None:
        tables = None
        if q.numel() and not _needs_grad(q, positions):
            tables = _tables(positions, q.shape[-1], base, compute_dtype(q.dtype), q.device)
        return _rope(q, positions, base, layout, tables), _rope(k, positions, base, layout, tables)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        got = f"a {type(out).__name__} of length {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__
        raise TypeError(f"out must be a pair (q_out, k_out) of tensors shaped like q and k, e.g. "
                        f"(torch.empty_like(q), torch.empty_like(k)); got {got}")
    q_out = check_out(out[0], q, "out[0] (q_out)", "q")
    k_out = check_out(out[1], k, "out[1] (k_out)", "k")
    for a, a_name, b, b_name, why in (
            (q_out, "out[0] (q_out)", k, "k", "writing q's result there would change k before it is rotated"),
            (k_out, "out[1] (k_out)", q, "q", "writing k's result there would overwrite q or its result"),
            (q_out, "out[0] (q_out)", k_out, "out[1] (k_out)", "one result would overwrite the other")):
        if overlaps(a, b):
            raise ValueError(f"{a_name} shares memory with {b_name}: {why}. Pass separate tensors "
                             f"(each output may be its own input, for in place)")
    for t, src, name in ((q_out, q, "q"), (k_out, k, "k")):
        check_writable(t, name if same_memory(t, src) else f"out[{0 if name == 'q' else 1}]",
                       how="in place" if same_memory(t, src) else "through out=", fix=_OUT_OF_PLACE_QK)
    return _rope_qk_into(q, k, positions, base, layout, q_out, k_out)


def apply_rope_qk_(q, k, positions, base: float = DEFAULT_BASE, layout: str = "interleaved"
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate a query and a key in place (see :func:`apply_rope_qk` and :func:`apply_rope_`); returns ``(q, k)``.

    ``q`` and ``k`` may not share memory: the shared elements would be rotated twice. Slices
    of one packed ``qkv`` tensor are fine as long as they do not overlap.
    """
    layout = check_choice(layout, "layout", LAYOUTS)
    q, k = _check_qk(q, k)
    base = check_base(base)
    positions = as_positions(positions, "positions", length=q.shape[-2], length_name="seq = q.shape[-2]")
    if overlaps(q, k):
        raise ValueError("q and k share memory: rotating both in place would rotate the shared elements "
                         "twice. Pass separate tensors, or rotate one tensor with apply_rope_(x, positions)")
    check_writable(q, "q", fix=_OUT_OF_PLACE_QK)
    check_writable(k, "k", fix=_OUT_OF_PLACE_QK)
    return _rope_qk_into(q, k, positions, base, layout, q, k)


_OUT_OF_PLACE = "y = ropelab.apply_rope(x, positions) returns a new tensor instead"
_OUT_OF_PLACE_QK = "ropelab.apply_rope_qk(q, k, positions) returns new tensors instead"


def _check_qk(q, k) -> tuple[torch.Tensor, torch.Tensor]:
    q = check_rope_input(q, "q")
    k = check_rope_input(k, "k")
    if q.shape[-2:] != k.shape[-2:]:
        raise ValueError(
            f"q and k must share seq and dim (their last two dims, (..., seq, dim)); got q of shape "
            f"{tuple(q.shape)} and k of shape {tuple(k.shape)}"
        )
    if q.device != k.device:
        raise ValueError(f"q and k must be on the same device; got {q.device} and {k.device}")
    return q, k


def _needs_grad(*tensors: torch.Tensor) -> bool:
    """Will autograd have to differentiate through these? (The kernels' ``out=`` operations cannot.)"""
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def _tables(positions: torch.Tensor, dim: int, base: float, dtype: torch.dtype, device: torch.device):
    """The kernels' cached cos/sin tables, built from this module's angle formula on a miss."""
    return _kernels.tables(positions, dim, base, dtype, device,
                           lambda: _angles(positions, _inv_freq(dim, base, dtype).to(device)))


def _reference(x: torch.Tensor, positions: torch.Tensor, base: float, layout: str) -> torch.Tensor:
    """The readable form of ``layout``, which autograd can differentiate."""
    ang = _angles(positions, _inv_freq(x.shape[-1], base, compute_dtype(x.dtype)).to(x.device))
    return _half_from_angles(x, ang) if layout == "half" else _complex_from_angles(x, ang)


def _rope(x: torch.Tensor, positions: torch.Tensor, base: float, layout: str, tables=None) -> torch.Tensor:
    """RoPE of a validated ``x`` into a new tensor: the kernels, or the reference forms when autograd needs a graph."""
    if _needs_grad(x, positions):
        return _reference(x, positions, base, layout)
    out = torch.empty_like(x)
    if x.numel() == 0:
        return out
    if tables is None or tables.cos.dtype != compute_dtype(x.dtype):
        tables = _tables(positions, x.shape[-1], base, compute_dtype(x.dtype), x.device)
    _kernels.rotate_into(x, out, tables, layout)
    return out


def _rope_into(x: torch.Tensor, positions: torch.Tensor, base: float, layout: str, out: torch.Tensor,
               tables=None) -> torch.Tensor:
    """RoPE of a validated ``x`` into a validated ``out``: ``x`` itself, the same memory, or apart from it."""
    if out is not x and same_memory(out, x):
        x = out                      # the same elements under another tensor object: in place
    if x.numel() == 0:
        return out
    if _needs_grad(x, positions, out):
        # autograd records the readable form and the copy into out (out= operations cannot be
        # differentiated); in place, the input is copied first, since the graph may keep it
        src = x.clone() if out is x else x
        out.copy_(_reference(src, positions, base, layout))
        return out
    if tables is None or tables.cos.dtype != compute_dtype(x.dtype):
        tables = _tables(positions, x.shape[-1], base, compute_dtype(x.dtype), x.device)
    _kernels.rotate_into(x, out, tables, layout)
    return out


def _rope_qk_into(q, k, positions, base, layout, q_out, k_out) -> tuple[torch.Tensor, torch.Tensor]:
    tables = None
    if q.numel() and not _needs_grad(q, positions, q_out):
        tables = _tables(positions, q.shape[-1], base, compute_dtype(q.dtype), q.device)
    return _rope_into(q, positions, base, layout, q_out, tables), _rope_into(k, positions, base, layout, k_out, tables)


# ---------------------------------------------------------------------------
# the two "rotate by 90 degrees" helpers and the layout permutation
# ---------------------------------------------------------------------------

def rotate_pairs(x) -> torch.Tensor:
    """Map each adjacent pair ``(a, b)`` to ``(-b, a)``: a quarter turn of every pair (interleaved)."""
    x = check_rope_input(x)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((-b, a), dim=-1).flatten(-2)


def rotate_half(x) -> torch.Tensor:
    """Split the last dim into halves ``A, B`` and return ``cat(-B, A)`` (half layout quarter turn)."""
    x = check_rope_input(x)
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def interleaved_to_half_index(dim: int) -> torch.Tensor:
    """Index ``p`` with ``x_half = x_interleaved[..., p]``: ``[0, 2, 4, ..., 1, 3, 5, ...]``.

    Half-layout slot ``i`` holds the first member of pair ``i`` (interleaved slot ``2i``),
    slot ``i + dim/2`` holds the second (interleaved slot ``2i + 1``).
    """
    dim = check_even_dim(dim, "dim")
    return torch.cat((torch.arange(0, dim, 2), torch.arange(1, dim, 2)))


def half_to_interleaved_index(dim: int) -> torch.Tensor:
    """Index ``q`` with ``x_interleaved = x_half[..., q]``: the inverse of :func:`interleaved_to_half_index`."""
    return torch.argsort(interleaved_to_half_index(dim))


def interleaved_to_half(x) -> torch.Tensor:
    """Reorder the last dim from the interleaved layout to the half layout."""
    x = _check_layout_input(x)
    return x[..., interleaved_to_half_index(x.shape[-1]).to(x.device)]


def half_to_interleaved(x) -> torch.Tensor:
    """Reorder the last dim from the half layout to the interleaved layout."""
    x = _check_layout_input(x)
    return x[..., half_to_interleaved_index(x.shape[-1]).to(x.device)]


def _check_layout_input(x) -> torch.Tensor:
    x = check_tensor(x, "x", floating=False, min_ndim=1, shape_hint="(..., dim)")
    check_even_dim(x.shape[-1], "x.shape[-1] (dim)")
    return x


# ---------------------------------------------------------------------------
# the sinusoidal encoding of "Attention Is All You Need"
# ---------------------------------------------------------------------------

def sinusoidal_pe(num_positions: int, dim: int, base: float = DEFAULT_BASE) -> torch.Tensor:
    """Absolute sinusoidal position encoding: float32 ``(num_positions, dim)``.

    ``PE[pos, 2i] = sin(pos * theta_i)`` and ``PE[pos, 2i+1] = cos(pos * theta_i)``
    with ``theta_i = base ** (-2i / dim)``: the same frequencies RoPE uses.
    """
    num_positions = check_int(num_positions, "num_positions", minimum=0)
    ang = angles(torch.arange(num_positions), dim, base)
    pe = torch.stack((torch.sin(ang), torch.cos(ang)), dim=-1)
    return pe.flatten(-2)


def wavelengths(dim: int, base: float = DEFAULT_BASE) -> torch.Tensor:
    """Wavelength (period in positions) of each pair: ``T_i = 2*pi / theta_i``, float64 ``(dim // 2,)``.

    ``T_0 = 2*pi`` for the fastest pair, growing geometrically to ``2*pi*base**(1 - 2/dim)`` for the slowest.
    """
    return 2 * math.pi / inv_freq(dim, base).double()
