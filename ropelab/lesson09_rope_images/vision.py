"""2-D axial RoPE (二维轴向旋转位置编码) for a grid of image patches.

An image cut into ``rows x cols`` patches becomes a sequence of ``N = rows * cols`` tokens in
row-major (raster) order: token ``t`` is patch ``(t // cols, t % cols)``. Axial RoPE gives each
patch two positions: the first ``dim // 4`` pairs rotate with the **row** index, the other
``dim // 4`` pairs with the **column** index. Because each half is ordinary 1-D RoPE, the score
of a query at ``(r1, c1)`` and a key at ``(r2, c2)`` depends only on ``(r1 - r2, c1 - c2)``.

Two frequency choices exist in real code (``split``):

* ``"shared"``: both axes use ``base ** (-4j / dim)``, ``j = 0 .. dim/4 - 1``, i.e.
  :func:`ropelab.inv_freq` of ``dim // 2``. This is the RoPE-ViT convention (default base 100).
* ``"interleaved"``: the 1-D frequencies ``base ** (-2i / dim)`` are dealt out alternately:
  even ``i`` to rows, odd ``i`` to columns, so the two axes get slightly different
  frequencies. This is what ``transformers``' Pixtral vision encoder does (with base 10000
  and the half layout); :func:`axial_rope` reproduces it exactly.

Shapes: ``positions: (N, 2)`` integer ``(row, col)``; angle tables ``(N, dim // 2)``;
``x: (..., N, dim)``; ``q, k: (N, dim)`` for score maps.
"""
from __future__ import annotations

import torch

from .._validate import check_base, check_choice, check_int, check_tensor, shape_str
from ..rope import LAYOUTS, angles_from_freqs, apply_rope, compute_dtype, inv_freq, rope_from_angles

__all__ = [
    "SPLITS",
    "VISION_BASE",
    "patch_grid",
    "axial_inv_freq",
    "axial_angles",
    "axial_rope",
    "axial_relative_score",
    "score_map",
]

SPLITS = ("shared", "interleaved")
VISION_BASE = 100.0  # image axes are short (tens of patches): a small base keeps slow pairs turning
MODES = ("axial", "flat", "none")


def _check_dim4(dim) -> int:
    dim = check_int(dim, "dim")
    if dim <= 0 or dim % 4:
        raise ValueError(
            f"dim must be a positive multiple of 4 for 2-D axial RoPE (dim // 4 pairs per axis); got {dim}"
        )
    return dim


def patch_grid(rows: int, cols: int) -> torch.Tensor:
    """``(row, col)`` of every patch in row-major order: int64 ``(rows * cols, 2)``.

    ``patch_grid(2, 3)`` is ``[[0,0],[0,1],[0,2],[1,0],[1,1],[1,2]]``.
    """
    rows = check_int(rows, "rows", minimum=1)
    cols = check_int(cols, "cols", minimum=1)
    r, c = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
    return torch.stack((r.reshape(-1), c.reshape(-1)), dim=-1)


def axial_inv_freq(dim: int, base: float = VISION_BASE, split: str = "shared",
                   dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """The row and column frequencies: two tensors of shape ``(dim // 4,)`` in ``dtype`` (float32 or float64)."""
    dim = _check_dim4(dim)
    base = check_base(base)
    split = check_choice(split, "split", SPLITS)
    if split == "shared":
        f = inv_freq(dim // 2, base, dtype)
        return f, f.clone()
    f = inv_freq(dim, base, dtype)
    return f[0::2].contiguous(), f[1::2].contiguous()


def _check_positions(positions, name: str = "positions") -> torch.Tensor:
    if isinstance(positions, (list, tuple)):
        try:
            positions = torch.as_tensor(positions)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be an (N, 2) tensor of (row, col) pairs; could not convert: {err}") from None
    positions = check_tensor(positions, name, floating=False, ndim=2, shape_hint="(N, 2)")
    if positions.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2): one (row, col) pair per patch; got {shape_str(positions)}")
    if positions.dtype == torch.bool or positions.is_complex():
        raise TypeError(f"{name} must hold integer or real numbers; got dtype {positions.dtype}")
    if positions.dtype.is_floating_point and not torch.isfinite(positions).all():
        raise ValueError(f"{name} must be finite; got a NaN or infinite entry")
    return positions


def axial_angles(positions, dim: int, base: float = VISION_BASE, split: str = "shared") -> torch.Tensor:
    """The 2-D angle table: float32 ``(N, dim // 2)``.

    Column ``j < dim // 4`` holds ``row * row_freq[j]``; column ``dim // 4 + j`` holds
    ``col * col_freq[j]``. Feed it to :func:`ropelab.rope_from_angles`.
    ``positions`` is ``(N, 2)``, e.g. :func:`patch_grid`.
    """
    positions = _check_positions(positions)
    row_f, col_f = axial_inv_freq(dim, base, split)
    return _axial_table(positions, row_f, col_f)


def _axial_table(positions: torch.Tensor, row_f: torch.Tensor, col_f: torch.Tensor) -> torch.Tensor:
    return torch.cat((angles_from_freqs(positions[:, 0], row_f), angles_from_freqs(positions[:, 1], col_f)), dim=-1)


def axial_rope(x, positions, base: float = VISION_BASE, layout: str = "interleaved",
               split: str = "shared") -> torch.Tensor:
    """Rotate patch features ``x: (..., N, dim)`` by their 2-D positions ``(N, 2)``.

    With ``layout="interleaved"`` the first ``dim // 2`` coordinates carry the row
    rotation and the rest the column rotation. Result: ``x``'s shape and dtype.
    """
    x = check_tensor(x, "x", floating=True, min_ndim=2, shape_hint="(..., N, dim)",
                     fix="for a single patch (dim,) use x[None]")
    positions = _check_positions(positions)
    layout = check_choice(layout, "layout", LAYOUTS)
    if positions.shape[0] != x.shape[-2]:
        raise ValueError(
            f"positions must have one (row, col) per patch: x has N = x.shape[-2] = {x.shape[-2]} patches, "
            f"positions has {positions.shape[0]}"
        )
    # angles in float32 (float64 for float64 input), whatever x's dtype, as everywhere in ropelab
    row_f, col_f = axial_inv_freq(x.shape[-1], base, split, compute_dtype(x.dtype))
    return rope_from_angles(x, _axial_table(positions, row_f, col_f), layout)


def axial_relative_score(q, k, drow, dcol, base: float = VISION_BASE, split: str = "shared",
                         layout: str = "interleaved") -> torch.Tensor:
    """``g(q, k, drow, dcol)``: the score of ``q`` at ``(r + drow, c + dcol)`` with ``k`` at ``(r, c)``.

    Computed from the offsets alone, by rotating ``k`` backwards by ``(drow, dcol)``:
    ``<R(m) q, R(n) k> = <q, R(n - m) k>``. ``q, k: (..., dim)``; ``drow, dcol`` numbers or
    tensors broadcastable with each other. Returns ``(..., *offset shape)`` in float32 or float64.
    """
    q = check_tensor(q, "q", floating=True, min_ndim=1, shape_hint="(..., dim)")
    k = check_tensor(k, "k", floating=True, min_ndim=1, shape_hint="(..., dim)")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dimension dim; got {q.shape[-1]} and {k.shape[-1]}")
    dim = _check_dim4(q.shape[-1])
    dr, dc = _offset(drow, "drow"), _offset(dcol, "dcol")
    try:
        dr, dc = torch.broadcast_tensors(dr, dc)
    except RuntimeError:
        raise ValueError(
            f"drow and dcol must broadcast together; got shapes {shape_str(dr)} and {shape_str(dc)}"
        ) from None
    offsets = torch.stack((-dr.reshape(-1), -dc.reshape(-1)), dim=-1)
    dtype = torch.float64 if torch.float64 in (q.dtype, k.dtype) else torch.float32
    kk = k.to(dtype).unsqueeze(-2).expand(*k.shape[:-1], offsets.shape[0], dim)
    rotated = axial_rope(kk, offsets, base, layout, split)            # (..., n_offsets, dim)
    scores = (q.to(dtype).unsqueeze(-2) * rotated).sum(-1)
    return scores.reshape(tuple(scores.shape[:-1]) + tuple(dr.shape))


def _offset(value, name: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        t = value
    else:
        try:
            t = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must be a number or a tensor of numbers; got {type(value).__name__}") from None
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{name} must hold integer or real numbers; got dtype {t.dtype}")
    if t.dtype.is_floating_point and not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite; got a NaN or infinite entry")
    return t


def score_map(q, k, rows: int, cols: int, index: int, base: float = VISION_BASE, mode: str = "axial",
              split: str = "shared") -> torch.Tensor:
    """Scores of patch ``index``'s query against every patch's key, as an image ``(rows, cols)``.

    ``q, k: (rows * cols, dim)`` patch features in raster order. ``mode``:

    * ``"axial"``: both rotated by 2-D axial RoPE (interleaved layout);
    * ``"flat"``: 1-D RoPE on the raster index ``t = row * cols + col`` (what a text model would do);
    * ``"none"``: no rotation (attention without positions).
    """
    rows = check_int(rows, "rows", minimum=1)
    cols = check_int(cols, "cols", minimum=1)
    mode = check_choice(mode, "mode", MODES)
    n = rows * cols
    q = check_tensor(q, "q", floating=True, ndim=2, shape_hint="(rows * cols, dim)")
    k = check_tensor(k, "k", floating=True, ndim=2, shape_hint="(rows * cols, dim)")
    for name, t in (("q", q), ("k", k)):
        if t.shape[0] != n:
            raise ValueError(f"{name} must have rows * cols = {n} rows (one per patch); got shape {shape_str(t)}")
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape; got {shape_str(q)} and {shape_str(k)}")
    index = check_int(index, "index", minimum=0)
    if index >= n:
        raise ValueError(f"index must be a patch number in [0, {n}); got {index}")
    base = check_base(base)
    if mode == "axial":
        grid = patch_grid(rows, cols)
        q, k = axial_rope(q, grid, base, split=split), axial_rope(k, grid, base, split=split)
    elif mode == "flat":
        q, k = apply_rope(q, torch.arange(n), base), apply_rope(k, torch.arange(n), base)
    return (k @ q[index]).reshape(rows, cols)
