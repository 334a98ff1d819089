"""The long-term decay (远程衰减) of RoPE, and what the dense matrix form costs.

Notation of notebook 05 (RoFormer's, with ``j`` for the pair index, because ``i`` is the
imaginary unit): pair ``j`` of a query ``q`` (a key ``k``) of even size ``dim`` is the complex
number ``z_j = q[2j] + i*q[2j+1]`` (``w_j = k[2j] + i*k[2j+1]``), and the score of a query at
position ``m`` and a key at ``n`` is

    <f(q, m), f(k, n)> = Re[ sum_j z_j conj(w_j) e^{i (m - n) theta_j} ] = g(q, k, m - n).

Long-term decay. Write ``h_j = z_j conj(w_j)`` and ``S_j = sum_{l<j} e^{i r theta_l}``
for ``r = m - n``. Summation by parts (Abel) gives, with ``h_{dim/2} = 0``,

    sum_j h_j e^{i r theta_j} = sum_{j=1}^{dim/2} (h_{j-1} - h_j) S_j,

so ``|g| <= max_j |h_{j-1} - h_j| * sum_j |S_j|``. The factor
``(1/(dim/2)) sum_j |S_j|`` depends only on ``r``, ``dim`` and the base, and
falls as ``|r|`` grows: the paper's "relative upper bound" (:func:`decay_bound`).

The cost of the dense form: :func:`rope_op_counts` counts the arithmetic of ``R_{Theta,m} @ x``
against ``x * cos + rotate(x) * sin``, :func:`rope_traffic` the numbers each form reads and
writes, and :func:`measure_rope_cost` times both.

Shapes: ``q``, ``k``: ``(..., dim)`` (leading dims broadcast); distances ``(n_dist,)``.
"""
from __future__ import annotations

from typing import Any

import torch

from .._validate import check_base, check_even_dim, check_int, check_real
from ..common.timing import measure
from ..lesson04_rope_2d.scores import as_distances, check_qk, pair_freqs, relative_score
from ..rope import (
    DEFAULT_BASE,
    angles,
    angles_from_freqs,
    as_complex_pairs,
    rope_interleaved,
    rope_matrix,
    rotate_pairs,
)

__all__ = [
    "partial_sums",
    "decay_bound",
    "score_bound",
    "mean_abs_score",
    "rope_op_counts",
    "rope_traffic",
    "measure_rope_cost",
]


# ---------------------------------------------------------------------------
# the long-term decay bound
# ---------------------------------------------------------------------------

def partial_sums(distance, dim: int, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """``S_j(r) = sum_{l=0}^{j-1} e^{i r theta_l}`` for ``j = 1 .. dim/2``: complex128 ``(n_dist, dim // 2)``.

    Column ``j - 1`` holds ``S_j``. For ``r = 0`` every term is 1, so ``S_j = j``.
    """
    dim = check_even_dim(dim, "dim")
    r, _ = as_distances(distance)
    ang = angles_from_freqs(r, pair_freqs(dim, base, freqs, torch.float64))
    return torch.polar(torch.ones_like(ang), ang).cumsum(-1)


def decay_bound(distance, dim: int, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """The RoFormer "relative upper bound" ``(1/(dim/2)) * sum_{j=1}^{dim/2} |S_j(r)|``: float64.

    A number for ``distance`` gives a 0-d tensor; a 1-D sequence gives ``(n_dist,)``.
    At ``r = 0`` it is ``(dim/2 + 1) / 2``; it falls (with wiggles) as ``|r|`` grows.
    Times ``max_j |h_{j-1} - h_j| * dim/2`` it bounds ``|g(q, k, r)|`` (see :func:`score_bound`).
    """
    dim = check_even_dim(dim, "dim")
    _, scalar = as_distances(distance)
    b = partial_sums(distance, dim, base, freqs).abs().mean(-1)
    return b[0] if scalar else b


def score_bound(q, k, distance, base: float = DEFAULT_BASE, freqs=None) -> torch.Tensor:
    """The bound ``max_j |h_{j-1} - h_j| * sum_j |S_j(r)|`` on ``|g(q, k, r)|`` for given q, k: float64.

    ``h_j = z_j conj(w_j)`` with ``h_{dim/2} = 0``. ``q``, ``k``: ``(..., dim)``;
    returns ``(...)`` for a number ``distance``, ``(..., n_dist)`` for a sequence.
    """
    q, k, _ = check_qk(q, k)
    dim = q.shape[-1]
    _, scalar = as_distances(distance)
    h = as_complex_pairs(q.double()) * as_complex_pairs(k.double()).conj()  # (..., dim/2)
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
      additions and ``dim/2`` sign flips (rotate maps ``(x_2j, x_2j+1) -> (-x_2j+1, x_2j)``) per
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


def rope_traffic(dim: int, seq: int = 1) -> dict[str, dict[str, int]]:
    """Numbers read and written to rotate ``seq`` vectors of size ``dim``, tables precomputed.

    Counts every tensor an operation reads and every result it writes (temporaries included),
    as the code of :func:`measure_rope_cost` runs it:

    * ``"dense"``, ``torch.bmm(R, x)``: reads the ``dim x dim`` matrix and ``x``, writes the result:
      ``dim**2 + dim`` read, ``dim`` written per vector;
    * ``"elementwise"``, ``x * cos + rotate_pairs(x) * sin``: five passes over memory,
      ``x * cos`` (reads 2 dim, writes dim), the sign flip of the odd half (dim/2, dim/2), the
      ``stack`` that interleaves it with the even half (dim, dim; the ``flatten`` after it is a
      view), ``* sin`` (2 dim, dim) and the sum (2 dim, dim): ``7.5 dim`` read, ``4.5 dim``
      written, ``12 dim`` in all.

    Returns ``{"dense": {...}, "elementwise": {...}}`` with integer ``read``, ``written``, ``total``.
    Their ratio, about ``dim / 12``, is much closer to the measured speed ratio than the ratio of
    the operation counts (about ``4 dim / 7``): both forms spend their time moving numbers.
    """
    dim = check_even_dim(dim, "dim")
    seq = check_int(seq, "seq", minimum=0)
    dense = {"read": seq * (dim * dim + dim), "written": seq * dim}
    half = dim // 2
    passes = [(2 * dim, dim), (half, half), (dim, dim), (2 * dim, dim), (2 * dim, dim)]   # (read, written)
    elem = {"read": seq * sum(r for r, _ in passes), "written": seq * sum(w for _, w in passes)}
    for c in (dense, elem):
        c["total"] = c["read"] + c["written"]
    return {"dense": dense, "elementwise": elem}


def measure_rope_cost(dims=(64, 128, 256), seq: int = 128, repeat: int = 7,
                      base: float = DEFAULT_BASE) -> list[dict[str, Any]]:
    """Time the dense and the elementwise RoPE on this machine: median milliseconds per call.

    For each ``dim`` in ``dims``, ``x`` is ``(seq, dim)`` float32 at positions ``0 .. seq-1``.

    * ``dense_ms`` / ``elementwise_ms``: the full calls :func:`ropelab.rope_matrix` and
      :func:`ropelab.rope_interleaved` (each builds its own table: ``(seq, dim, dim)``
      matrices vs ``(seq, dim/2)`` angles);
    * ``dense_apply_ms`` / ``elementwise_apply_ms``: tables built beforehand, only the
      application is timed: ``R @ x`` per position vs ``x * cos + rotate_pairs(x) * sin``.

    The forms are timed in alternation by :func:`ropelab.common.timing.measure` on one CPU
    thread, ``repeat`` rounds after one warm-up call each, so a burst of load on the machine
    hits all of them alike. Also returned: the two ratios,
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
        forms = _rope_forms(torch.randn(seq, dim, generator=gen), positions, base)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one thread: steadier numbers on a shared machine
        try:
            results = {name: fn() for name, fn in forms.items()}  # warm-up, and the outputs to compare
            seconds = measure(forms, rounds=repeat, warmup=0)
        finally:
            torch.set_num_threads(threads)
        row: dict[str, Any] = {"dim": dim}
        row.update({name: 1000.0 * t for name, t in seconds.items()})
        row["ratio"] = row["dense_ms"] / row["elementwise_ms"]
        row["apply_ratio"] = row["dense_apply_ms"] / row["elementwise_apply_ms"]
        row["max_abs_diff"] = max(float((results["dense_ms"] - results["elementwise_ms"]).abs().max()),
                                  float((results["dense_apply_ms"] - results["elementwise_apply_ms"]).abs().max()))
        counts = rope_op_counts(dim)
        row["dense_ops"] = counts["dense"]["total"]
        row["elementwise_ops"] = counts["elementwise"]["total"]
        rows.append(row)
    return rows


def _rope_forms(x: torch.Tensor, positions: torch.Tensor, base: float) -> dict[str, Any]:
    """The four forms :func:`measure_rope_cost` times for one ``x`` ``(seq, dim)``, as functions of no arguments."""
    seq, dim = x.shape
    ang = angles(positions, dim, base)                                   # (seq, dim/2)
    R = _rotation_stack(ang)                                             # (seq, dim, dim): R_{Theta,m} per position
    cos = torch.cos(ang).repeat_interleave(2, dim=-1)                    # (seq, dim)
    sin = torch.sin(ang).repeat_interleave(2, dim=-1)
    return {
        "dense_ms": lambda: rope_matrix(x, positions, base),
        "elementwise_ms": lambda: rope_interleaved(x, positions, base),
        "dense_apply_ms": lambda: torch.bmm(R, x.unsqueeze(-1)).squeeze(-1),
        "elementwise_apply_ms": lambda: x * cos + rotate_pairs(x) * sin,
    }


def _rotation_stack(ang: torch.Tensor) -> torch.Tensor:
    """The block-diagonal ``R_{Theta,m}`` of every row of an angle table ``(seq, dim/2)``: ``(seq, dim, dim)``.

    The same matrices as :func:`ropelab.rotation_matrix` position by position, filled in one go.
    """
    seq, half = ang.shape
    c, s = torch.cos(ang), torch.sin(ang)
    R = ang.new_zeros(seq, 2 * half, 2 * half)
    j = torch.arange(half)
    R[:, 2 * j, 2 * j], R[:, 2 * j, 2 * j + 1] = c, -s
    R[:, 2 * j + 1, 2 * j], R[:, 2 * j + 1, 2 * j + 1] = s, c
    return R
