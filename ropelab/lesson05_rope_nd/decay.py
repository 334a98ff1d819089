"""Relative scores, the long-term decay (远程衰减) of RoPE, and what the dense matrix form costs.

Notation of the RoFormer paper (Su et al.). A query ``q`` and a key ``k`` of even
size ``dim`` are read as ``dim/2`` complex numbers, pair ``i`` being
``q_i = q[2i] + i*q[2i+1]`` (the interleaved layout). RoPE rotates the query of
the token at position ``m`` by ``m*theta_i`` and the key at position ``n`` by
``n*theta_i``; their attention score (注意力分数) is

    <f(q, m), f(k, n)> = Re[ sum_i q_i conj(k_i) e^{i (m - n) theta_i} ] = g(q, k, m - n),

a function of the relative position (相对位置) ``m - n`` only.

Long-term decay. Write ``h_i = q_i conj(k_i)`` and ``S_j = sum_{i<j} e^{i r theta_i}``
for ``r = m - n``. Summation by parts (Abel) gives, with ``h_{dim/2} = 0``,

    sum_i h_i e^{i r theta_i} = sum_{j=1}^{dim/2} (h_{j-1} - h_j) S_j,

so ``|g| <= max_j |h_{j-1} - h_j| * sum_j |S_j|``. The factor
``(1/(dim/2)) sum_j |S_j|`` depends only on ``r``, ``dim`` and the base, and
falls as ``|r|`` grows: the paper's "relative upper bound" (:func:`decay_bound`).

Shapes: ``q``, ``k``: ``(..., dim)`` (leading dims broadcast); distances ``(n_dist,)``.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from ._validate import as_positions, check_base, check_even_dim, check_int, check_real, check_tensor, shape_str
from .rope import (
    DEFAULT_BASE,
    _inv_freq,
    angles,
    apply_rope,
    rope_from_angles,
    rope_interleaved,
    rope_matrix,
    rotate_pairs,
    rotation_matrix,
    sinusoidal_pe,
)

__all__ = [
    "rope_score",
    "relative_score",
    "partial_sums",
    "decay_bound",
    "score_bound",
    "mean_abs_score",
    "additive_vs_rotary",
    "score_tables",
    "rope_op_counts",
    "measure_rope_cost",
]


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------

def _check_qk(q, k) -> tuple[torch.Tensor, torch.Tensor, torch.dtype]:
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


def _freqs(dim: int, base, freqs, dtype: torch.dtype) -> torch.Tensor:
    """The frequencies theta_i: ``inv_freq(dim, base)`` unless ``freqs`` (``(dim // 2,)``) is given."""
    if freqs is None:
        # the same expression as ropelab.inv_freq, evaluated in the compute dtype (as apply_rope does)
        base = check_base(base, "base")
        return _inv_freq(dim, base, dtype)
    freqs = check_tensor(freqs, "freqs", floating=True, ndim=1, shape_hint=f"(dim // 2,) = ({dim // 2},)")
    if freqs.shape[0] != dim // 2:
        raise ValueError(
            f"freqs must have one frequency per pair, shape (dim // 2,) = ({dim // 2},); "
            f"got shape {shape_str(freqs)}"
        )
    return freqs.to(dtype)


def _distances(distance, name: str = "distance") -> tuple[torch.Tensor, bool]:
    """A number or a 1-D sequence of distances -> float64 ``(n_dist,)`` and whether it was a scalar."""
    if getattr(distance, "ndim", None) == 0:  # 0-d tensor or NumPy scalar
        distance = distance.item()
    if not isinstance(distance, (torch.Tensor, range, list, tuple)) and not hasattr(distance, "shape"):
        return torch.tensor([check_real(distance, name)], dtype=torch.float64), True
    return as_positions(distance, name).to(torch.float64), False


def _angles(r: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """``r (n,) x theta (dim/2,)`` -> ``(n, dim/2)``, formed in float64, rounded once to freqs' dtype."""
    return torch.outer(r.to(torch.float64), freqs.to(torch.float64)).to(freqs.dtype)


def _as_complex(x: torch.Tensor) -> torch.Tensor:
    """``(..., dim)`` real -> ``(..., dim/2)`` complex, pair ``i`` = ``x[2i] + i x[2i+1]``."""
    return torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())


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
    q, k, dtype = _check_qk(q, k)
    m = check_real(m, "m")
    n = check_real(n, "n")
    dim = q.shape[-1]
    qx, kx = q.to(dtype).unsqueeze(-2), k.to(dtype).unsqueeze(-2)  # (..., 1, dim): one token
    if freqs is None:
        base = check_base(base, "base")
        qr = apply_rope(qx, [m], base)
        kr = apply_rope(kx, [n], base)
    else:
        f = _freqs(dim, base, freqs, dtype)
        qr = rope_from_angles(qx, _angles(torch.tensor([m]), f))
        kr = rope_from_angles(kx, _angles(torch.tensor([n]), f))
    return (qr * kr).sum(-1).squeeze(-1)


def relative_score(q, k, distance, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """``g(q, k, r) = Re[sum_i q_i conj(k_i) e^{i r theta_i}]``: the score at relative position ``r = m - n``.

    Computed in complex form, without rotating anything: it equals
    :func:`rope_score` ``(q, k, m, n)`` whenever ``m - n = r``.
    ``q``, ``k``: ``(..., dim)``; ``distance``: a number (returns ``(...)``) or a
    1-D sequence of ``n_dist`` distances (returns ``(..., n_dist)``).
    """
    q, k, dtype = _check_qk(q, k)
    r, scalar = _distances(distance)
    f = _freqs(q.shape[-1], base, freqs, dtype)
    h = _as_complex(q.to(dtype)) * _as_complex(k.to(dtype)).conj()  # (..., dim/2)
    ang = _angles(r, f)                                                # (n_dist, dim/2)
    phase = torch.polar(torch.ones_like(ang), ang)
    g = (h @ phase.T).real                                             # (..., n_dist): sum over pairs
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


def _rotate_each(v: torch.Tensor, positions: torch.Tensor, base: float) -> torch.Tensor:
    """One vector ``(dim,)`` placed at each of ``positions`` ``(n,)`` -> ``(n, dim)``."""
    return apply_rope(v.expand(len(positions), v.shape[0]), positions, base)


# ---------------------------------------------------------------------------
# the long-term decay bound
# ---------------------------------------------------------------------------

def partial_sums(distance, dim: int, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """``S_j(r) = sum_{i=0}^{j-1} e^{i r theta_i}`` for ``j = 1 .. dim/2``: complex128 ``(n_dist, dim // 2)``.

    Column ``j - 1`` holds ``S_j``. For ``r = 0`` every term is 1, so ``S_j = j``.
    """
    dim = check_even_dim(dim, "dim")
    r, _ = _distances(distance)
    f = _freqs(dim, base, freqs, torch.float64)
    ang = torch.outer(r, f)
    return torch.polar(torch.ones_like(ang), ang).cumsum(-1)


def decay_bound(distance, dim: int, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """The RoFormer "relative upper bound" ``(1/(dim/2)) * sum_{j=1}^{dim/2} |S_j(r)|``: float64.

    A number for ``distance`` gives a 0-d tensor; a 1-D sequence gives ``(n_dist,)``.
    At ``r = 0`` it is ``(dim/2 + 1) / 2``; it falls (with wiggles) as ``|r|`` grows.
    Times ``max_j |h_{j-1} - h_j| * dim/2`` it bounds ``|g(q, k, r)|`` (see :func:`score_bound`).
    """
    dim = check_even_dim(dim, "dim")
    _, scalar = _distances(distance)
    b = partial_sums(distance, dim, base, freqs).abs().mean(-1)
    return b[0] if scalar else b


def score_bound(q, k, distance, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """The bound ``max_j |h_{j-1} - h_j| * sum_j |S_j(r)|`` on ``|g(q, k, r)|`` for given q, k: float64.

    ``h_i = q_i conj(k_i)`` with ``h_{dim/2} = 0``. ``q``, ``k``: ``(..., dim)``;
    returns ``(...)`` for a number ``distance``, ``(..., n_dist)`` for a sequence.
    """
    q, k, _ = _check_qk(q, k)
    dim = q.shape[-1]
    _, scalar = _distances(distance)
    h = _as_complex(q.double()) * _as_complex(k.double()).conj()  # (..., dim/2)
    h_next = torch.cat((h[..., 1:], torch.zeros_like(h[..., :1])), dim=-1)
    max_step = (h - h_next).abs().amax(-1)  # (...)
    total = partial_sums(distance, dim, base, freqs).abs().sum(-1)  # (n_dist,)
    b = max_step.unsqueeze(-1) * total
    return b.squeeze(-1) if scalar else b


def mean_abs_score(distance, dim: int, n_samples: int = 1000, correlation: float = 0.0,
                   base: float = DEFAULT_BASE, seed: int = 0) -> torch.Tensor:
    """Average ``|g(q, k, r)|`` over random pairs: float64, ``(n_dist,)`` (0-d for a number).

    ``q`` has independent standard normal entries and
    ``k = correlation * q + sqrt(1 - correlation**2) * noise``, so ``correlation = 0``
    gives independent q, k and ``correlation = 1`` gives ``k = q``. Seeded by ``seed``.
    For independent Gaussian q, k the curve is flat: a rotated Gaussian vector is as
    random as the original, so no distance is special. The decay appears when q and k
    are alike (``correlation > 0``).
    """
    dim = check_even_dim(dim, "dim")
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rho = check_real(correlation, "correlation")
    if not -1.0 <= rho <= 1.0:
        raise ValueError(f"correlation must be in [-1, 1]; got {rho}")
    seed = check_int(seed, "seed", minimum=0)
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(n_samples, dim, generator=gen, dtype=torch.float64)
    noise = torch.randn(n_samples, dim, generator=gen, dtype=torch.float64)
    k = rho * q + (1.0 - rho * rho) ** 0.5 * noise
    g = relative_score(q, k, distance, base)  # (n_samples, n_dist) or (n_samples,)
    return g.abs().mean(0)


# ---------------------------------------------------------------------------
# what the dense matrix costs
# ---------------------------------------------------------------------------

def rope_op_counts(dim: int, seq: int = 1) -> dict[str, dict[str, int]]:
    """Arithmetic to rotate ``seq`` vectors of size ``dim``, tables precomputed: dense vs elementwise.

    * ``"dense"``: ``R_{Theta,m} @ x``: each of the ``dim`` outputs is a dot product of
      length ``dim``: ``dim**2`` multiplies and ``dim*(dim-1)`` additions per vector;
      the table holds ``dim**2`` numbers per position (all but ``2*dim`` of them zero).
    * ``"elementwise"``: ``x * cos + rotate(x) * sin``: ``2*dim`` multiplies, ``dim``
      additions and ``dim/2`` sign flips (rotate maps ``(x1, x2) -> (-x2, x1)``) per
      vector; the table holds ``cos`` and ``sin``, ``2*dim`` numbers per position.

    Returns ``{"dense": {...}, "elementwise": {...}}`` with integer entries
    ``multiplies``, ``additions``, ``negations``, ``total`` (the three summed) and
    ``table_numbers``.
    """
    dim = check_even_dim(dim, "dim")
    seq = check_int(seq, "seq", minimum=0)
    dense = {"multiplies": seq * dim * dim, "additions": seq * dim * (dim - 1), "negations": 0,
             "table_numbers": seq * dim * dim}
    elem = {"multiplies": seq * 2 * dim, "additions": seq * dim, "negations": seq * (dim // 2),
            "table_numbers": seq * 2 * dim}
    for c in (dense, elem):
        c["total"] = c["multiplies"] + c["additions"] + c["negations"]
    return {"dense": dense, "elementwise": elem}


def _timed_ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000.0


def measure_rope_cost(dims=(64, 128, 256), seq: int = 128, repeat: int = 7,
                      base: float = DEFAULT_BASE) -> list[dict[str, Any]]:
    """Time the dense and the elementwise RoPE on this machine: median milliseconds per call.

    For each ``dim`` in ``dims``, ``x`` is ``(seq, dim)`` float32 at positions ``0 .. seq-1``.

    * ``dense_ms`` / ``elementwise_ms``: the full calls :func:`ropelab.rope_matrix` and
      :func:`ropelab.rope_interleaved` (each builds its own table: ``(seq, dim, dim)``
      matrices vs ``(seq, dim/2)`` angles);
    * ``dense_apply_ms`` / ``elementwise_apply_ms``: tables built beforehand, only the
      application is timed: ``R @ x`` per position vs ``x * cos + rotate_pairs(x) * sin``.

    The forms are timed in turn on one CPU thread, ``repeat`` rounds after one warm-up,
    so a burst of load on the machine hits all of them alike. Also returned: the two ratios,
    ``max_abs_diff`` between the dense and elementwise results, and the op counts.
    Timings are noisy: read them as orders of magnitude.
    """
    seq = check_int(seq, "seq", minimum=1)
    repeat = check_int(repeat, "repeat", minimum=1)
    base = check_base(base, "base")
    if isinstance(dims, int):
        dims = (dims,)
    rows = []
    gen = torch.Generator().manual_seed(0)
    positions = torch.arange(seq)
    for dim in dims:
        dim = check_even_dim(dim, "dims entry")
        x = torch.randn(seq, dim, generator=gen)
        R = torch.stack([rotation_matrix(m, dim, base) for m in range(seq)])  # (seq, dim, dim)
        ang = angles(positions, dim, base)
        cos = torch.cos(ang).repeat_interleave(2, dim=-1)                    # (seq, dim)
        sin = torch.sin(ang).repeat_interleave(2, dim=-1)
        forms = {
            "dense_ms": lambda: rope_matrix(x, positions, base),
            "elementwise_ms": lambda: rope_interleaved(x, positions, base),
            "dense_apply_ms": lambda: torch.bmm(R, x.unsqueeze(-1)).squeeze(-1),
            "elementwise_apply_ms": lambda: x * cos + rotate_pairs(x) * sin,
        }
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one thread: steadier numbers on a shared machine
        try:
            results = {name: fn() for name, fn in forms.items()}  # warm-up, and the outputs to compare
            times: dict[str, list[float]] = {name: [] for name in forms}
            for _ in range(repeat):
                for name, fn in forms.items():
                    times[name].append(_timed_ms(fn))
        finally:
            torch.set_num_threads(threads)
        row: dict[str, Any] = {"dim": dim}
        row.update({name: statistics.median(t) for name, t in times.items()})
        row["ratio"] = row["dense_ms"] / row["elementwise_ms"]
        row["apply_ratio"] = row["dense_apply_ms"] / row["elementwise_apply_ms"]
        row["max_abs_diff"] = max(float((results["dense_ms"] - results["elementwise_ms"]).abs().max()),
                                  float((results["dense_apply_ms"] - results["elementwise_apply_ms"]).abs().max()))
        counts = rope_op_counts(dim)
        row["dense_ops"] = counts["dense"]["total"]
        row["elementwise_ops"] = counts["elementwise"]["total"]
        rows.append(row)
    return rows
