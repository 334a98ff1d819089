"""Attention scores (注意力分数) under RoPE, and why they see only the relative position ``m - n``.

Notation of the RoFormer paper (Su et al.). A query ``q`` and a key ``k`` of even
size ``dim`` are read as ``dim/2`` complex numbers, pair ``i`` being
``q_i = q[2i] + i*q[2i+1]`` (the interleaved layout). RoPE rotates the query of
the token at position ``m`` by ``m*theta_i`` and the key at position ``n`` by
``n*theta_i``; their attention score is

    <f(q, m), f(k, n)> = Re[ sum_i q_i conj(k_i) e^{i (m - n) theta_i} ] = g(q, k, m - n),

a function of the relative position (相对位置) ``m - n`` only. With one pair
(``dim = 2``, ``freqs = torch.tensor([theta])``) this is the 2-D picture of the lesson.

* :func:`rope_score`: rotate, then take the dot product;
* :func:`relative_score`: ``g(q, k, r)`` in complex form, without rotating anything;
* :func:`additive_vs_rotary`, :func:`score_tables`: one token pair moved around, with
  the sinusoidal PE added (the original Transformer) vs rotated in (RoPE);
* :func:`additive_terms`: the additive score split into its four terms, to see which of
  them depend on the absolute positions.

Shapes: ``q``, ``k``: ``(..., dim)`` (leading dims broadcast); distances ``(n_dist,)``.

:func:`check_qk`, :func:`pair_freqs`, :func:`as_distances`
are helpers shared with lesson 05's long-term decay (:mod:`ropelab.lesson05_rope_nd.decay`).
"""
from __future__ import annotations

from typing import Any

import torch

from .._validate import as_positions, check_base, check_even_dim, check_int, check_real, check_tensor, shape_str
from ..rope import (
    DEFAULT_BASE,
    angles_from_freqs,
    apply_rope,
    as_complex_pairs,
    inv_freq,
    rope_from_angles,
    sinusoidal_pe,
)

__all__ = [
    "rope_score",
    "relative_score",
    "additive_vs_rotary",
    "score_tables",
    "additive_terms",
]


# ---------------------------------------------------------------------------
# helpers (shared with lesson 05)
# ---------------------------------------------------------------------------

def check_qk(q, k) -> tuple[torch.Tensor, torch.Tensor, torch.dtype]:
    """Validate a query and a key ``(..., dim)``; return them and the compute dtype (float64 if either is)."""
    q = check_tensor(q, "q", floating=True, min_ndim=1, shape_hint="(..., dim)")
    k = check_tensor(k, "k", floating=True, min_ndim=1, shape_hint="(..., dim)")
    check_even_dim(q.shape[-1], "q.shape[-1] (dim)")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"q and k must have the same last dimension (dim); got q of shape {shape_str(q)} "
            f"and k of shape {shape_str(k)}"
        )
    try:
        torch.broadcast_shapes(q.shape[:-1], k.shape[:-1])
    except RuntimeError:
        raise ValueError(
            f"the leading dimensions of q {shape_str(q)} and k {shape_str(k)} must broadcast "
            f"(same size or 1, aligned from the right)"
        ) from None
    dtype = torch.float64 if torch.float64 in (q.dtype, k.dtype) else torch.float32
    return q, k, dtype


def pair_freqs(dim: int, base, freqs, dtype: torch.dtype) -> torch.Tensor:
    """The frequencies theta_i in ``dtype``: :func:`ropelab.inv_freq` ``(dim, base)`` unless ``freqs``
    (``(dim // 2,)``) is given."""
    if freqs is None:
        # evaluated in the compute dtype, as apply_rope does
        return inv_freq(dim, base, dtype)
    freqs = check_tensor(freqs, "freqs", floating=True, ndim=1, shape_hint=f"(dim // 2,) = ({dim // 2},)")
    if freqs.shape[0] != dim // 2:
        raise ValueError(
            f"freqs must have one frequency per pair, shape (dim // 2,) = ({dim // 2},); "
            f"got shape {shape_str(freqs)}"
        )
    return freqs.to(dtype)


def as_distances(distance, name: str = "distance") -> tuple[torch.Tensor, bool]:
    """A number or a 1-D sequence of distances -> float64 ``(n_dist,)`` and whether it was a scalar."""
    if getattr(distance, "ndim", None) == 0:  # 0-d tensor or NumPy scalar
        distance = distance.item()
    if not isinstance(distance, (torch.Tensor, range, list, tuple)) and not hasattr(distance, "shape"):
        return torch.tensor([check_real(distance, name)], dtype=torch.float64), True
    return as_positions(distance, name).to(torch.float64), False


# ---------------------------------------------------------------------------
# scores
# ---------------------------------------------------------------------------

def rope_score(q, k, m, n, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """The attention score ``<f(q, m), f(k, n)>``: rotate q to position m, k to n, take the dot product.

    ``q``, ``k``: ``(..., dim)`` (leading dims broadcast); ``m``, ``n``: numbers.
    Returns ``(...)``. The rotation is :func:`ropelab.apply_rope` (interleaved
    layout), or :func:`ropelab.rope_from_angles` with angles ``m * freqs`` when a
    custom ``freqs`` ``(dim // 2,)`` is given (e.g. ``torch.tensor([theta])`` in 2-D).
    """
    q, k, dtype = check_qk(q, k)
    m = check_real(m, "m")
    n = check_real(n, "n")
    dim = q.shape[-1]
    qx, kx = q.to(dtype).unsqueeze(-2), k.to(dtype).unsqueeze(-2)  # (..., 1, dim): one token
    if freqs is None:
        base = check_base(base, "base")
        qr = apply_rope(qx, [m], base)
        kr = apply_rope(kx, [n], base)
    else:
        f = pair_freqs(dim, base, freqs, dtype)
        qr = rope_from_angles(qx, angles_from_freqs([m], f))
        kr = rope_from_angles(kx, angles_from_freqs([n], f))
    return (qr * kr).sum(-1).squeeze(-1)


def relative_score(q, k, distance, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """``g(q, k, r) = Re[sum_i q_i conj(k_i) e^{i r theta_i}]``: the score at relative position ``r = m - n``.

    Computed in complex form, without rotating anything: it equals
    :func:`rope_score` ``(q, k, m, n)`` whenever ``m - n = r``.
    ``q``, ``k``: ``(..., dim)``; ``distance``: a number (returns ``(...)``) or a
    1-D sequence of ``n_dist`` distances (returns ``(..., n_dist)``).
    """
    q, k, dtype = check_qk(q, k)
    r, scalar = as_distances(distance)
    f = pair_freqs(q.shape[-1], base, freqs, dtype)
    h = as_complex_pairs(q.to(dtype)) * as_complex_pairs(k.to(dtype)).conj()  # (..., dim/2)
    ang = angles_from_freqs(r, f)                                        # (n_dist, dim/2)
    phase = torch.polar(torch.ones_like(ang), ang)
    g = (h @ phase.T).real                                               # (..., n_dist): sum over pairs
    return g.squeeze(-1) if scalar else g


def additive_vs_rotary(x_m, x_n, w_q, w_k, m: int, n: int, shifts=range(0, 21),
                       base: float = DEFAULT_BASE) -> dict[str, Any]:
    """Score of one token pair at positions ``(m + s, n + s)``: additive sinusoidal PE vs RoPE.

    ``x_m``, ``x_n``: ``(dim,)`` token embeddings; ``w_q``, ``w_k``: ``(dim, dim)`` projections
    (``q = w_q @ x``). ``shifts``: ``(n_shift,)`` integers >= ``-min(m, n)``.

    * additive (the original Transformer): ``q = w_q (x_m + PE[m+s])``, ``k = w_k (x_n + PE[n+s])``
      with :func:`ropelab.sinusoidal_pe`;
    * rotary: ``q = R_{m+s} w_q x_m``, ``k = R_{n+s} w_k x_n`` with :func:`ropelab.apply_rope`.

    Returns ``{"shifts", "m", "n", "additive": (n_shift,), "rotary": (n_shift,)}``.
    """
    x_m = check_tensor(x_m, "x_m", floating=True, ndim=1, shape_hint="(dim,)")
    dim = check_even_dim(x_m.shape[0], "x_m.shape[0] (dim)")
    x_n = check_tensor(x_n, "x_n", floating=True, ndim=1, shape_hint=f"(dim,) = ({dim},)")
    for name, w in (("w_q", w_q), ("w_k", w_k)):
        check_tensor(w, name, floating=True, ndim=2, shape_hint=f"(dim, dim) = ({dim}, {dim})")
        if tuple(w.shape) != (dim, dim):
            raise ValueError(f"{name} must have shape (dim, dim) = ({dim}, {dim}); got {shape_str(w)}")
    if x_n.shape[0] != dim:
        raise ValueError(f"x_n must have shape (dim,) = ({dim},) like x_m; got {shape_str(x_n)}")
    m = check_int(m, "m", minimum=0)
    n = check_int(n, "n", minimum=0)
    s = as_positions(shifts, "shifts")
    if s.dtype.is_floating_point:
        raise TypeError(f"shifts must be integers (positions index the PE table); got dtype {s.dtype}")
    if len(s) and int(s.min()) < -min(m, n):
        raise ValueError(f"shifts must be >= -min(m, n) = {-min(m, n)} so positions stay >= 0; got {int(s.min())}")
    pm, pn = m + s, n + s
    top = int(max(pm.max(), pn.max())) + 1 if len(s) else 0
    pe = sinusoidal_pe(top, dim, base).to(x_m.dtype)                        # (positions, dim)
    q_add = (x_m + pe[pm]) @ w_q.T                                          # (n_shift, dim)
    k_add = (x_n + pe[pn]) @ w_k.T
    q_rot = _rotate_each(w_q @ x_m, pm, base)                               # (n_shift, dim)
    k_rot = _rotate_each(w_k @ x_n, pn, base)
    return {"shifts": s, "m": m, "n": n,
            "additive": (q_add * k_add).sum(-1), "rotary": (q_rot * k_rot).sum(-1)}


def score_tables(x_m, x_n, w_q, w_k, num_positions: int = 32,
                 base: float = DEFAULT_BASE) -> dict[str, torch.Tensor]:
    """Scores of one token pair placed at every ``(m, n)``: additive PE vs RoPE, ``(P, P)`` each.

    Same inputs as :func:`additive_vs_rotary`; row ``m`` is the query position, column ``n``
    the key position, ``P = num_positions``. The RoPE table is constant along each
    diagonal ``m - n = const`` (a Toeplitz matrix); the additive one is not.
    Returns ``{"additive": (P, P), "rotary": (P, P)}``.
    """
    num_positions = check_int(num_positions, "num_positions", minimum=1)
    r = additive_vs_rotary(x_m, x_n, w_q, w_k, 0, 0, range(num_positions), base)  # validates
    pos = r["shifts"]
    pe = sinusoidal_pe(num_positions, x_m.shape[0], base).to(x_m.dtype)
    q_add, k_add = (x_m + pe) @ w_q.T, (x_n + pe) @ w_k.T                   # (P, dim)
    q_rot, k_rot = _rotate_each(w_q @ x_m, pos, base), _rotate_each(w_k @ x_n, pos, base)
    return {"additive": q_add @ k_add.T, "rotary": q_rot @ k_rot.T}


def additive_terms(x_m, x_n, w_q, w_k, m: int, n: int, base: float = DEFAULT_BASE) -> dict[str, torch.Tensor]:
    """The additive score ``q_m . k_n`` with ``q_m = W_q (x_m + p_m)``, ``k_n = W_k (x_n + p_n)``, term by term.

    With ``A = W_q^T W_k`` and ``p = ropelab.sinusoidal_pe``::

        q_m . k_n = x_m^T A x_n  +  x_m^T A p_n  +  p_m^T A x_n  +  p_m^T A p_n
                    "x_x"           "x_p"           "p_x"           "p_p"

    Returns those four 0-d tensors, their sum ``"total"`` (equal to the ``"additive"`` score of
    :func:`additive_vs_rotary` at ``(m, n)``) and ``"p_dot_p"`` = ``p_m . p_n``, the last term
    without the weights between the positions (a function of ``m - n`` only). Same inputs as
    :func:`additive_vs_rotary`, for one pair of positions ``m, n >= 0``.
    """
    r = additive_vs_rotary(x_m, x_n, w_q, w_k, m, n, [0], base)   # validates everything
    m, n = r["m"], r["n"]
    pe = sinusoidal_pe(max(m, n) + 1, x_m.shape[0], base).to(x_m.dtype)
    p_m, p_n = pe[m], pe[n]
    A = w_q.T @ w_k
    terms = {"x_x": x_m @ A @ x_n, "x_p": x_m @ A @ p_n, "p_x": p_m @ A @ x_n, "p_p": p_m @ A @ p_n}
    terms["total"] = terms["x_x"] + terms["x_p"] + terms["p_x"] + terms["p_p"]
    terms["p_dot_p"] = p_m @ p_n
    return terms


def _rotate_each(v: torch.Tensor, positions: torch.Tensor, base: float) -> torch.Tensor:
    """One vector ``(dim,)`` placed at each of ``positions`` ``(n,)`` -> ``(n, dim)``."""
    return apply_rope(v.expand(len(positions), v.shape[0]), positions, base)
