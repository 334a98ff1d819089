"""RoPE at memory speed: the kernels behind :func:`ropelab.apply_rope` (private: no validation).

RoPE reads ``x`` once and writes a result of the same size; nothing can do less
than that, which is exactly what ``x.clone()`` costs. The readable forms in
:mod:`ropelab.rope` spend several *passes over memory* (a pass: one read or one
write of a tensor as large as ``x``) because every PyTorch operation writes its
result to a fresh tensor before the next one reads it. This module gets close to
one read and one write without a compile step:

* **interleaved layout** (pairs ``(2i, 2i+1)``): ``x`` viewed as complex numbers
  ``(..., seq, dim/2)`` times ``e^{i m theta}`` is a single fused elementwise
  pass, written straight into the output with ``out=``.
* **half layout** (pairs ``(i, i + dim/2)``): the two members of a pair are not
  neighbours, so no complex view exists. Two passes instead: ``out = x * cat(cos, cos)``,
  then one ``addcmul_`` that adds the ``sin`` terms through two strided views of the
  same memory (see :func:`_half_into`). No temporary tensor is ever allocated.
* Each PyTorch operation on a large tensor is one parallel region: the threads
  split the work and wait for each other at its end. So the fast paths use as few
  operations as possible on the whole tensor, rather than many operations on
  cache-sized blocks: on a busy machine every extra wait can cost a scheduler time
  slice. (Measured on a shared 2-core machine, whole-tensor passes were as fast as
  cache-sized blocks on average and far steadier under load.)
* **float16 / bfloat16** (and pairs that are not adjacent in memory): blocks of
  about ``BLOCK_BYTES`` are copied into a float32 buffer (the arithmetic stays in
  float32, as everywhere in ropelab), rotated there, and rounded once into the output.
* The ``cos``/``sin`` (or ``e^{i m theta}``) table is built in the compute dtype
  and kept in a small cache keyed by the positions' values, ``dim``, ``base``,
  dtype and device, so a model that calls RoPE in every layer builds it once. The
  cache holds at most ``_CACHE_SIZE`` tables and ``_CACHE_BYTES`` bytes (oldest out
  first); a table larger than that on its own is built for the call and not kept.

Results equal the reference forms (:func:`ropelab.rope_complex`,
:func:`ropelab.rope_half`) to within a few float32 roundings. When ``x`` or
``positions`` need gradients (and grad mode is on), the call goes through the
reference forms, which autograd can differentiate (``out=`` operations cannot), and
nothing is cached.

Shapes: ``x: (..., seq, dim)``, ``positions: (seq,)``. Everything here trusts its caller,
:mod:`ropelab.rope`, which validates what a learner passes in.

"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Iterator

import torch

__all__: list[str] = []

#: Size in bytes of the float32 buffer a block of a float16 / bfloat16 input is
#: converted into (the block is rotated there and rounded once into the output).
#: Small enough for the buffers to stay in the CPU's cache, large enough that the
#: per-operation overhead stays small.
BLOCK_BYTES = 4 << 20

_CACHE_SIZE = 8
# Bytes the cached tables may hold together, counting every derived form a table can grow
# (see _Tables.max_nbytes): without it, 8 tables of 262k positions at dim 128 hold 4 GiB.
_CACHE_BYTES = 256 << 20


# ---------------------------------------------------------------------------
# cos / sin tables, cached
# ---------------------------------------------------------------------------

class _Tables:
    """cos/sin of the angle table ``(seq, dim // 2)`` in one compute dtype, plus derived forms."""

    def __init__(self, ang: torch.Tensor):
        self.cos = torch.cos(ang)
        self.sin = torch.sin(ang)
        self._cos_full: torch.Tensor | None = None
        self._rot: torch.Tensor | None = None
        self._sin_pairs: torch.Tensor | None = None
        self._sin_edges: torch.Tensor | None = None

    @property
    def cos_full(self) -> torch.Tensor:
        """``cat(cos, cos)``: ``(seq, dim)``, multiplies the whole half-layout row at once."""
        if self._cos_full is None:
            self._cos_full = torch.cat((self.cos, self.cos), dim=-1)
        return self._cos_full

    @property
    def rot(self) -> torch.Tensor:
        """``cos + i sin = e^{i m theta}``: complex ``(seq, dim // 2)``."""
        if self._rot is None:
            self._rot = torch.complex(self.cos, self.sin)
        return self._rot

    @property
    def sin_pairs(self) -> torch.Tensor:
        """``(seq - 1, 2, dim // 2)``: row ``t`` holds ``sin[t]`` and ``-sin[t + 1]`` (see :func:`_half_into`)."""
        if self._sin_pairs is None:
            self._sin_pairs = torch.stack((self.sin[:-1], -self.sin[1:]), dim=1)
        return self._sin_pairs

    @property
    def sin_edges(self) -> torch.Tensor:
        """``(2, dim // 2)``: ``-sin`` of the first row and ``sin`` of the last (see :func:`_half_into`)."""
        if self._sin_edges is None:
            self._sin_edges = torch.stack((-self.sin[0], self.sin[-1]))
        return self._sin_edges

    def max_nbytes(self) -> int:
        """Bytes once every derived form exists: cos, sin, cos_full (2), rot (2), sin_pairs + sin_edges (2)."""
        return 8 * self.cos.numel() * self.cos.element_size()

    def nbytes(self) -> int:
        total = 0
        for t in (self.cos, self.sin, self._cos_full, self._rot, self._sin_pairs, self._sin_edges):
            if t is not None:
                total += t.numel() * t.element_size()
        return total


_cache: "OrderedDict[tuple, _Tables]" = OrderedDict()
_cache_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0}


def _positions_key(positions: torch.Tensor) -> tuple:
    p = positions.detach()
    if p.device.type != "cpu":
        p = p.cpu()
    if p.numel() and p.stride(-1) != 1:
        # a fresh tensor has unit stride even where .contiguous() keeps a size-1 dim's odd stride
        p = torch.empty(p.shape, dtype=p.dtype).copy_(p)
    raw = p.view(torch.uint8) if p.numel() else p
    return (str(positions.dtype), int(p.numel()), bytes(raw.numpy().tobytes()) if p.numel() else b"")


def tables(positions: torch.Tensor, dim: int, base: float, dtype: torch.dtype, device: torch.device,
           angle_table: Callable[[], torch.Tensor]) -> _Tables:
    """The (cached) tables for these positions, in ``dtype`` (float32 or float64) on ``device``.

    ``angle_table()`` builds the ``(seq, dim // 2)`` angles on a miss (the core's formula).
    """
    key = (dim, base, dtype, str(device)) + _positions_key(positions)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return hit
    with torch.no_grad():  # a cached table must never carry a grad_fn (callers route grad inputs away)
        new = _Tables(angle_table())
    with _cache_lock:
        _stats["misses"] += 1
        if new.max_nbytes() <= _CACHE_BYTES:
            _cache[key] = new
            while len(_cache) > _CACHE_SIZE or sum(t.max_nbytes() for t in _cache.values()) > _CACHE_BYTES:
                _cache.popitem(last=False)
    return new


def clear_cache() -> None:
    """Forget every cached cos/sin table (they are rebuilt on the next call)."""
    with _cache_lock:
        _cache.clear()
        _stats["hits"] = 0
        _stats["misses"] = 0


def cache_info() -> dict:
    """``{"entries", "bytes", "hits", "misses"}`` of the cos/sin table cache."""
    with _cache_lock:
        return {"entries": len(_cache), "bytes": sum(t.nbytes() for t in _cache.values()),
                "hits": _stats["hits"], "misses": _stats["misses"]}


# ---------------------------------------------------------------------------
# blocking
# ---------------------------------------------------------------------------

def _blocks(x: torch.Tensor, target: int) -> Iterator[tuple[slice, ...]]:
    """Split ``x``'s index space (every dim but the last) into blocks of about ``target`` elements.

    Dims are visited from the largest stride (outermost in memory) inward, so a block
    is a run of memory as long as ``x`` is laid out densely in any dim order. Every
    block is a tuple of slices (never an integer index), so the seq dim stays at -2
    and the matching table rows are ``table[block[-1]]``.
    """
    nd = x.ndim
    shape = x.shape
    strides = x.stride()
    full = [slice(None)] * (nd - 1)
    order = sorted((d for d in range(nd - 1) if shape[d] > 1), key=lambda d: (-abs(strides[d]), d))
    row = shape[-1]

    def rest_numel(k: int) -> int:
        n = row
        for d in order[k + 1:]:
            n *= shape[d]
        return n

    def rec(k: int, prefix: list) -> Iterator[tuple[slice, ...]]:
        if k == len(order):
            yield tuple(prefix)
            return
        d = order[k]
        rest = rest_numel(k)
        if rest * shape[d] <= target:
            yield tuple(prefix)
            return
        if rest <= target:
            step = max(1, target // rest)
            for i in range(0, shape[d], step):
                p = list(prefix)
                p[d] = slice(i, min(i + step, shape[d]))
                yield tuple(p)
            return
        for i in range(shape[d]):
            p = list(prefix)
            p[d] = slice(i, i + 1)
            yield from rec(k + 1, p)

    yield from rec(0, full)


def _complex_ok(t: torch.Tensor) -> bool:
    """Can ``t`` (real, ``(..., dim)``) be viewed as complex pairs along its last dim?"""
    st = t.stride()
    if st[-1] != 1 or t.storage_offset() % 2:
        return False
    if t.is_contiguous():
        return True  # strides are multiples of dim, which is even
    return all(s % 2 == 0 for d, s in enumerate(st[:-1]) if t.shape[d] > 1)


def _as_complex(t: torch.Tensor) -> torch.Tensor:
    return torch.view_as_complex(t.view(*t.shape[:-1], t.shape[-1] // 2, 2) if t.is_contiguous()
                                 else t.unflatten(-1, (t.shape[-1] // 2, 2)))


# ---------------------------------------------------------------------------
# the kernels (x already validated; out preallocated)
# ---------------------------------------------------------------------------

def _half_into(xb: torch.Tensor, ob: torch.Tensor, tables: _Tables, rows: slice) -> None:
    """``ob = x * cat(cos, cos) + rotate_half(x) * cat(sin, sin)`` for a block (table rows ``rows``).

    Two passes instead of five: ``ob = x * cat(cos, cos)``, then one ``addcmul_`` adds
    ``x1[t] * sin[t]`` to the second half of row ``t`` and ``-x2[t+1] * sin[t+1]`` to the
    first half of row ``t + 1``. In memory, "second half of row t, first half of row t + 1"
    is one strided view of ``ob`` (start ``h`` elements in, steps of ``h`` then of a row),
    and the x values they need, "first half of row t, second half of row t + 1", are
    another; the matching table ``sin_pairs`` holds ``sin[t]`` and ``-sin[t + 1]``. A
    small ``addcmul_`` finishes the first half of the first row and the second half of
    the last one, through a view that jumps from the one to the other.
    Needs an output whose rows lie more than ``dim/2`` elements apart (checked by the caller).
    """
    d = xb.shape[-1]
    h = d // 2
    seq = xb.shape[-2]
    if rows == slice(None):
        cos_full, sin, pairs, start = tables.cos_full, tables.sin, tables.sin_pairs, 0
    else:
        start = rows.start or 0
        cos_full, sin = tables.cos_full[rows], tables.sin[rows]
        pairs = tables.sin_pairs[start:start + seq - 1]
    torch.mul(xb, cos_full, out=ob)                          # (x1 cos, x2 cos) on every row
    if seq > 1:
        xv, ov = pair_views(xb, ob)
        ov.addcmul_(xv, pairs)
    # the two half rows left: x1 cos - x2 sin in the first row, x2 cos + x1 sin in the last;
    # as one strided view when the rows are far enough apart, else one operation each
    lead = list(xb.shape[:-2])
    xs, os_ = list(xb.stride()), list(ob.stride())
    jump_x = (seq - 1) * xs[-2] - h * xs[-1]
    if seq > 1 and jump_x > 0:
        xe = xb.as_strided(lead + [2, h], xs[:-2] + [jump_x, xs[-1]], xb.storage_offset() + h * xs[-1])
        oe = ob.as_strided(lead + [2, h], os_[:-2] + [(seq - 1) * os_[-2] + h * os_[-1], os_[-1]],
                           ob.storage_offset())
        edges = tables.sin_edges if rows == slice(None) else torch.stack((-sin[0], sin[seq - 1]))
        oe.addcmul_(xe, edges)
    else:
        ob.select(-2, 0).narrow(-1, 0, h).addcmul_(xb.select(-2, 0).narrow(-1, h, h), sin[0], value=-1.0)
        ob.select(-2, seq - 1).narrow(-1, h, h).addcmul_(xb.select(-2, seq - 1).narrow(-1, 0, h), sin[seq - 1])


def pair_views(x: torch.Tensor, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    seq, d = x.shape[-2], x.shape[-1]
    h = d // 2
    lead = list(x.shape[:-2])
    xs, os_ = list(x.stride()), list(out.stride())
    sx, dx, so, do = xs[-2], xs[-1], os_[-2], os_[-1]
    xv = x.as_strided(lead + [seq - 1, 2, h], xs[:-2] + [sx, sx + h * dx, dx], x.storage_offset())
    ov = out.as_strided(lead + [seq - 1, 2, h], os_[:-2] + [so, so - h * do, do], out.storage_offset() + h * do)
    return xv, ov


def _half_into_3(xb: torch.Tensor, ob: torch.Tensor, tables: _Tables, rows: slice) -> None:
    """The same in three passes over halves, for outputs whose rows overlap the trick above."""
    h = xb.shape[-1] // 2
    sin = tables.sin[rows]
    torch.mul(xb, tables.cos_full[rows], out=ob)           # (x1 cos, x2 cos)
    ob[..., :h].addcmul_(xb[..., h:], sin, value=-1.0)     # x1 cos - x2 sin
    ob[..., h:].addcmul_(xb[..., :h], sin)                 # x2 cos + x1 sin


def two_pass_ok(x: torch.Tensor, out: torch.Tensor) -> bool:
    """Can :func:`_half_into` address ``x`` and ``out`` with non-negative strides?"""
    h = x.shape[-1] // 2
    return min(x.stride()) >= 0 and min(out.stride()) >= 0 and out.stride(-2) - h * out.stride(-1) > 0


_scratch = threading.local()


def _scratch_buffer(slot: int, numel: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A reusable 1-D work buffer (never returned to the caller), one set per thread."""
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None:
        bufs = _scratch.bufs = {}
    key = (slot, dtype, str(device))
    buf = bufs.get(key)
    if buf is None or buf.numel() < numel:
        buf = torch.empty(numel, dtype=dtype, device=device)
        if device.type == "cpu" and numel * buf.element_size() <= 2 * BLOCK_BYTES:
            bufs[key] = buf  # keep block-sized buffers only
    return buf[:numel]


def rotate_into(x: torch.Tensor, out: torch.Tensor, tables: _Tables, layout: str) -> None:
    """Write RoPE of ``x`` into ``out`` (same shape).

    float32 / float64 run as whole-tensor passes (one for the interleaved layout, two for
    the half layout); other dtypes and layouts are staged block by block, ``target``
    elements at a time (about ``BLOCK_BYTES`` on the CPU, one block on accelerators).
    """
    cdtype = tables.cos.dtype
    whole = slice(None)
    if x.dtype == cdtype:
        if layout == "interleaved" and _complex_ok(x) and _complex_ok(out):
            torch.mul(_as_complex(x), tables.rot, out=_as_complex(out))
            return
        if layout == "half":
            (_half_into if two_pass_ok(x, out) else _half_into_3)(x, out, tables, whole)
            return

    # staged: copy a block into a contiguous compute-dtype buffer (converting float16 /
    # bfloat16 to float32, or gathering strided pairs), rotate it there, round once into out
    target = _target(x)
    blocks = [tuple([whole] * (x.ndim - 1))] if target is None else _blocks(x, target)
    for b in blocks:
        xb = x[b]
        n = xb.numel()
        stage = _scratch_buffer(0, n, cdtype, x.device).view(xb.shape)
        stage.copy_(xb)
        if layout == "interleaved":
            c = _as_complex(stage)
            torch.mul(c, tables.rot[b[-1]], out=c)
            out[b].copy_(stage)
        else:
            res = _scratch_buffer(1, n, cdtype, x.device).view(xb.shape)
            _half_into(stage, res, tables, b[-1])
            out[b].copy_(res)


def _target(x: torch.Tensor) -> int | None:
    """Elements per block: about BLOCK_BYTES of float32 on CPU; one block on accelerators."""
    if x.device.type != "cpu":
        return None
    return max(1, BLOCK_BYTES // 4)
