"""The fused RoPE loops, compiled by numba (private; imported only by ``_kernels`` on first use).

One loop per layout and mode. Each reads every element of ``x`` once, rotates its pair
in registers and writes the result once: one read and one write of memory, the floor.

Arrays (NumPy views of the tensors, no copies), all C-contiguous:

* ``x``, ``out``: ``(n, seq, heads, dim)``. A tensor ``(..., seq, dim)`` stored densely is
  ``(n, seq, 1, dim)`` (``n`` = the product of its leading dims); a ``(batch, heads, seq, dim)``
  view of memory laid out ``(batch, seq, heads, dim)`` (Hugging Face's ``q_proj(x).view(B, S,
  H, D).transpose(1, 2)``, Meta's layout) is ``(batch, seq, heads, dim)``;
* ``cos``, ``sin``: ``(seq, dim // 2)``, in the dtype of ``x`` (float32 or float64).

``fastmath=False``: no reassociation and no fused multiply-add, so every output is
``round(round(a * c) -/+ round(b * s))``, the readable formula's own roundings.

This file holds nothing else, so that editing ``_kernels.py`` does not invalidate numba's
on-disk cache: the cache is keyed by this file's modification time and size.
"""
from __future__ import annotations

import os

import numba
from numba import njit, prange

__all__ = ["TOKEN_BLOCK", "build"]

if "NUMBA_THREADING_LAYER" not in os.environ and "NUMBA_THREADING_LAYER_PRIORITY" not in os.environ:
    # OpenMP first. numba's default order puts TBB first, which (where the tbb package is
    # installed) starts a second pool of busy-waiting worker threads next to PyTorch's, and
    # on a small machine the pools fight over the cores. OpenMP's workers go to sleep soon
    # after a loop ends. Must be set before the first parallel loop runs.
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]

#: Tokens per work item. Work is split into (token block, n) items with the token block
#: outermost: one thread walks TOKEN_BLOCK tokens of every head in turn, so the block's rows
#: of cos/sin (32 KiB at dim 128) come from memory once and then from the core's cache for
#: every head. (Head-major order re-reads the whole table for every head: at seq 8192 that
#: is 4 MiB per head, as much as x itself.) A compile-time constant of the cached loops.
TOKEN_BLOCK = 64

_built: dict = {}


def build(cache: bool = True) -> dict:
    """The four loops as numba dispatchers: ``{"half": (in_place, into), "interleaved": (in_place, into)}``.

    Compilation happens per dtype on the first call, or loads from numba's disk cache
    (``cache=True``). Raises ``RuntimeError`` ("cannot cache ...") when ``cache`` is asked
    for and no folder is writable; the caller then builds again with ``cache=False``.
    """
    if cache in _built:
        return _built[cache]
    jit = njit(parallel=True, fastmath=False, cache=cache, nogil=True)

    @jit
    def half_inplace(x, cos, sin):
        n, seq, heads, d = x.shape
        h = d // 2
        nblk = (seq + TOKEN_BLOCK - 1) // TOKEN_BLOCK
        for j in prange(nblk * n):
            blk, b = j // n, j % n
            for t in range(blk * TOKEN_BLOCK, min(blk * TOKEN_BLOCK + TOKEN_BLOCK, seq)):
                for hd in range(heads):
                    # one loop: both members of a pair are read before either is written
                    for i in range(h):
                        a = x[b, t, hd, i]
                        c = x[b, t, hd, i + h]
                        x[b, t, hd, i] = a * cos[t, i] - c * sin[t, i]
                        x[b, t, hd, i + h] = c * cos[t, i] + a * sin[t, i]

    @jit
    def half_into(x, cos, sin, out):
        n, seq, heads, d = x.shape
        h = d // 2
        nblk = (seq + TOKEN_BLOCK - 1) // TOKEN_BLOCK
        for j in prange(nblk * n):
            blk, b = j // n, j % n
            for t in range(blk * TOKEN_BLOCK, min(blk * TOKEN_BLOCK + TOKEN_BLOCK, seq)):
                for hd in range(heads):
                    # two loops, one per output half: each writes one unbroken run (measured
                    # faster than one loop writing both halves). Needs out apart from x.
                    for i in range(h):
                        out[b, t, hd, i] = x[b, t, hd, i] * cos[t, i] - x[b, t, hd, i + h] * sin[t, i]
                    for i in range(h):
                        out[b, t, hd, i + h] = x[b, t, hd, i + h] * cos[t, i] + x[b, t, hd, i] * sin[t, i]

    @jit
    def interleaved_inplace(x, cos, sin):
        n, seq, heads, d = x.shape
        h = d // 2
        nblk = (seq + TOKEN_BLOCK - 1) // TOKEN_BLOCK
        for j in prange(nblk * n):
            blk, b = j // n, j % n
            for t in range(blk * TOKEN_BLOCK, min(blk * TOKEN_BLOCK + TOKEN_BLOCK, seq)):
                for hd in range(heads):
                    for i in range(h):
                        a = x[b, t, hd, 2 * i]
                        c = x[b, t, hd, 2 * i + 1]
                        x[b, t, hd, 2 * i] = a * cos[t, i] - c * sin[t, i]
                        x[b, t, hd, 2 * i + 1] = c * cos[t, i] + a * sin[t, i]

    @jit
    def interleaved_into(x, cos, sin, out):
        n, seq, heads, d = x.shape
        h = d // 2
        nblk = (seq + TOKEN_BLOCK - 1) // TOKEN_BLOCK
        for j in prange(nblk * n):
            blk, b = j // n, j % n
            for t in range(blk * TOKEN_BLOCK, min(blk * TOKEN_BLOCK + TOKEN_BLOCK, seq)):
                for hd in range(heads):
                    for i in range(h):
                        a = x[b, t, hd, 2 * i]
                        c = x[b, t, hd, 2 * i + 1]
                        out[b, t, hd, 2 * i] = a * cos[t, i] - c * sin[t, i]
                        out[b, t, hd, 2 * i + 1] = c * cos[t, i] + a * sin[t, i]

    _built[cache] = {"half": (half_inplace, half_into), "interleaved": (interleaved_inplace, interleaved_into)}
    return _built[cache]
