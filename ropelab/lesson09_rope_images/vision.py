"""2-D axial RoPE (二维轴向旋转位置编码) for a grid of image patches.

An image cut into ``rows x cols`` patches becomes a sequence of ``N = rows * cols`` tokens in
row-major (raster) order: token ``t`` is patch ``(t // cols, t % cols)``. Axial RoPE gives each
patch two positions: the first ``dim // 4`` pairs rotate with the **row** index, the other
``dim // 4`` pairs with the **column** index. Because each half is ordinary 1-D RoPE, the score
of a query at ``(r1, c1)`` and a key at ``(r2, c2)`` depends only on ``(r1 - r2, c1 - c2)``.

Two frequency choices exist in real code (``split``):

* ``"shared"``: both axes use ``base ** (-4j / dim)``, ``j = 0 .. dim/4 - 1``, i.e.
  :func:`ropelab.inv_freq` of ``dim // 2``: the frequencies of RoPE-ViT's axial RoPE (default base
  100). RoPE-ViT puts the **column** (its ``x``) in the first ``dim // 4`` pairs and the row second;
  ropelab puts the row first. :func:`rope_vit_axial_cis` transcribes RoPE-ViT's table; it equals
  ropelab's with the two position columns swapped.
* ``"interleaved"``: the 1-D frequencies ``base ** (-2i / dim)`` are dealt out alternately:
  even ``i`` to rows, odd ``i`` to columns, so the two axes get slightly different
  frequencies. This is what ``transformers``' Pixtral vision encoder does (with base 10000
  and the half layout); :func:`axial_rope` reproduces it exactly.

**RoPE-Mixed** (Heo et al. 2024) gives every pair a 2-D frequency vector ``(f_x, f_y)``, learned, and
turns it by ``col * f_x + row * f_y`` (:func:`mixed_angles`, :func:`mixed_rope`,
:func:`mixed_init_freqs`, RoPE-ViT's initialisation). Axial RoPE is the special case where every
frequency vector points along one axis, so its score is ``g_row(drow) + g_col(dcol)`` and cannot depend
on a diagonal direction: :func:`additive_part` is the best such sum for any map, :func:`mixed_fit` the
best RoPE-Mixed score with given frequency vectors, :func:`interaction` the mixed second difference
that every axial score map has equal to zero.

Shapes: ``positions: (N, 2)`` integer ``(row, col)``; angle tables ``(N, dim // 2)``;
``x: (..., N, dim)``; ``q, k: (N, dim)`` for score maps; RoPE-Mixed frequencies ``(2, dim // 2)``
(row 0: ``f_x``, the column's; row 1: ``f_y``, the row's, as in RoPE-ViT).
"""
from __future__ import annotations

import torch

from .._validate import check_base, check_choice, check_int, check_real, check_tensor, shape_str
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
    "rope_vit_axial_cis",
    "mixed_init_freqs",
    "mixed_angles",
    "mixed_rope",
    "additive_part",
    "interaction",
    "mixed_fit",
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


# ---------------------------------------------------------------------------
# RoPE-ViT (Heo et al. 2024): its axial table, and RoPE-Mixed
# ---------------------------------------------------------------------------

def rope_vit_axial_cis(dim: int, end_x: int, end_y: int, theta: float = VISION_BASE) -> torch.Tensor:
    """RoPE-ViT's ``compute_axial_cis``, transcribed: complex64 ``(end_x * end_y, dim // 2)``.

    Patches in raster order with ``t_x = t % end_x`` (the column) and ``t_y = t // end_x`` (the row);
    the first ``dim // 4`` entries turn with the **column**, the rest with the row, both with
    ``theta ** (-4j / dim)``. It equals ``torch.polar(1, axial_angles(grid[:, [1, 0]], dim, theta))``.
    """
    dim = _check_dim4(dim)
    end_x = check_int(end_x, "end_x", minimum=1)
    end_y = check_int(end_y, "end_y", minimum=1)
    theta = check_base(theta, "theta")
    freqs_x = 1.0 / (theta ** (torch.arange(0, dim, 4)[: (dim // 4)].float() / dim))
    freqs_y = 1.0 / (theta ** (torch.arange(0, dim, 4)[: (dim // 4)].float() / dim))
    t = torch.arange(end_x * end_y, dtype=torch.float32)
    t_x = (t % end_x).float()
    t_y = torch.div(t, end_x, rounding_mode="floor").float()
    freqs_x = torch.outer(t_x, freqs_x)
    freqs_y = torch.outer(t_y, freqs_y)
    freqs_cis_x = torch.polar(torch.ones_like(freqs_x), freqs_x)
    freqs_cis_y = torch.polar(torch.ones_like(freqs_y), freqs_y)
    return torch.cat([freqs_cis_x, freqs_cis_y], dim=-1)


def mixed_init_freqs(dim: int, theta: float = 10.0, angle: float = 0.0) -> torch.Tensor:
    """RoPE-Mixed's initial frequencies for one head (RoPE-ViT's ``init_2d_freqs``): float32 ``(2, dim // 2)``.

    Magnitudes ``theta ** (-4j / dim)``; the first ``dim // 4`` frequency vectors point in the direction
    ``angle`` (radians, measured from the column axis towards the row axis), the other ``dim // 4`` at
    ``angle + pi/2``. RoPE-ViT draws ``angle`` at random per head and then learns all ``dim`` numbers.
    With ``angle = 0`` it is axial RoPE, column first.
    """
    dim = _check_dim4(dim)
    theta = check_base(theta, "theta")
    angle = torch.tensor([check_real(angle, "angle")])
    mag = 1 / (theta ** (torch.arange(0, dim, 4)[: (dim // 4)].float() / dim))
    fx = torch.cat([mag * torch.cos(angle), mag * torch.cos(torch.pi / 2 + angle)], dim=-1)
    fy = torch.cat([mag * torch.sin(angle), mag * torch.sin(torch.pi / 2 + angle)], dim=-1)
    return torch.stack([fx, fy], dim=0)


def _check_mixed_freqs(freqs, dim: int | None = None) -> torch.Tensor:
    freqs = check_tensor(freqs, "freqs", floating=True, ndim=2, shape_hint="(2, dim // 2)")
    if freqs.shape[0] != 2:
        raise ValueError(f"freqs must have shape (2, dim // 2): row 0 f_x (column), row 1 f_y (row); "
                         f"got {shape_str(freqs)}")
    if dim is not None and freqs.shape[1] != dim // 2:
        raise ValueError(f"freqs has {freqs.shape[1]} frequency vectors but x has dim // 2 = {dim // 2} pairs")
    return freqs


def mixed_angles(positions, freqs) -> torch.Tensor:
    """RoPE-Mixed's angle table ``col * f_x + row * f_y``: ``(N, dim // 2)`` in float32 (float64 for float64 freqs)."""
    positions = _check_positions(positions)
    freqs = _check_mixed_freqs(freqs)
    dtype = torch.float64 if freqs.dtype == torch.float64 else torch.float32
    pos = positions.to(dtype)
    return pos[:, 1:2] * freqs[0].to(dtype) + pos[:, 0:1] * freqs[1].to(dtype)


def mixed_rope(x, positions, freqs, layout: str = "interleaved") -> torch.Tensor:
    """Rotate ``x: (..., N, dim)`` by RoPE-Mixed: pair ``j`` turns by ``col * f_x[j] + row * f_y[j]``."""
    x = check_tensor(x, "x", floating=True, min_ndim=2, shape_hint="(..., N, dim)",
                     fix="for a single patch (dim,) use x[None]")
    positions = _check_positions(positions)
    layout = check_choice(layout, "layout", LAYOUTS)
    if positions.shape[0] != x.shape[-2]:
        raise ValueError(f"positions must have one (row, col) per patch: x has N = {x.shape[-2]} patches, "
                         f"positions has {positions.shape[0]}")
    freqs = _check_mixed_freqs(freqs, x.shape[-1])
    return rope_from_angles(x, mixed_angles(positions, freqs.to(compute_dtype(x.dtype))), layout)


def _check_map(score, name: str = "score") -> torch.Tensor:
    return check_tensor(score, name, floating=True, ndim=2, shape_hint="(n_rows, n_cols)")


def additive_part(score) -> torch.Tensor:
    """The best fit ``a(row) + b(col)`` to a 2-D map (least squares): row mean + column mean - overall mean.

    Every axial RoPE score map, over a grid of offsets, is exactly of this form, whatever q, k and the
    frequencies; so ``score - additive_part(score)`` is what no axial RoPE can produce.
    """
    s = _check_map(score)
    return s.mean(1, keepdim=True) + s.mean(0, keepdim=True) - s.mean()


def interaction(score) -> torch.Tensor:
    """The mixed second difference ``s[r+1, c+1] - s[r+1, c] - s[r, c+1] + s[r, c]``: ``(n_rows - 1, n_cols - 1)``.

    Zero everywhere exactly when the map is ``a(row) + b(col)``: it measures how much a map depends on
    the row and the column *together* (a diagonal direction).
    """
    s = _check_map(score)
    return s[1:, 1:] - s[1:, :-1] - s[:-1, 1:] + s[:-1, :-1]


def mixed_fit(target, drow, dcol, freqs) -> torch.Tensor:
    """The RoPE-Mixed score closest to ``target`` (least squares) for the given frequency vectors.

    A RoPE-Mixed score of a query and a key is ``c + sum_j a_j cos(phi_j) + b_j sin(phi_j)`` with
    ``phi_j = dcol * f_x[j] + drow * f_y[j]`` (each pair contributes ``|q_j| |k_j| cos(phi_j + alpha_j)``,
    any amplitude and phase; ``c`` from a pair with frequency zero). ``target, drow, dcol``: maps of one
    shape (``drow, dcol`` the offsets); ``freqs: (2, n)``. Returns the fitted map, float64.
    """
    t = _check_map(target, "target").double()
    dr = torch.as_tensor(drow).double()
    dc = torch.as_tensor(dcol).double()
    if dr.shape != t.shape or dc.shape != t.shape:
        raise ValueError(f"drow and dcol must have target's shape {shape_str(t)}; got {shape_str(dr)}, {shape_str(dc)}")
    freqs = _check_mixed_freqs(freqs).double()
    phi = dc.reshape(-1, 1) * freqs[0] + dr.reshape(-1, 1) * freqs[1]          # (n_offsets, n)
    design = torch.cat([torch.ones(phi.shape[0], 1, dtype=torch.float64), phi.cos(), phi.sin()], dim=1)
    coef = torch.linalg.lstsq(design, t.reshape(-1, 1)).solution
    return (design @ coef).reshape(t.shape)

