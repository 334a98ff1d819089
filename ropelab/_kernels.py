"""RoPE at memory speed: the kernels behind :func:`ropelab.apply_rope` (private: no validation).

A **pass** (访存遍) is one read or one write of a tensor as large as ``x``. RoPE must read
``x`` once and write its result once: two passes, the floor. The readable forms in
:mod:`ropelab.rope` make many more, because every PyTorch operation writes its result
to a fresh tensor before the next one reads it back. Where the result goes decides
what "the floor" costs: into memory that already exists (in place, or ``out=``), it is
a ``copy_``; into a new tensor, it is a ``clone()``, which on the CPU also pays the
operating system for fresh pages (see notebook 10).

How each case is computed:

* **numba** (float32 / float64 on the CPU, both layouts, contiguous or the transposed
  ``(B, S, H, D)`` memory of a model's projections): one fused loop per
  layout and mode (``ropelab/_numba_rope.py``) reads each pair, rotates it in registers
  and writes it: two passes. It is registered as a PyTorch operator
  (``torch.ops.ropelab.rope_`` in place, ``torch.ops.ropelab.rope_into`` with ``out=``),
  so profilers and dispatch modes (``memory_traffic`` of notebook 10) see one operation.
  The loops are compiled on first use per dtype and kept in numba's on-disk cache
  (see :func:`numba_status`); where no cache folder is writable they are compiled in every
  session. numba runs on as many threads as ``torch.get_num_threads()`` (one for small
  tensors), preferably in its OpenMP layer. A forked child process takes the PyTorch path
  (numba's OpenMP layer is not fork-safe). ``ROPELAB_NUMBA=0`` turns numba off.
* **PyTorch** (everything else: numba missing or off, float16 / bfloat16, other strides,
  ``out`` laid out unlike ``x``, other devices):

  - interleaved layout (pairs ``(2i, 2i+1)``): ``x`` viewed as complex numbers
    ``(..., seq, dim/2)`` times ``e^{i m theta}`` is one fused elementwise operation, two
    passes, written straight into the output with ``out=`` (or in place, ``mul_``);
  - half layout (pairs ``(i, i + dim/2)``): the two members of a pair are not
    neighbours, so no complex view exists. Two operations instead, five passes:
    ``out = x * cat(cos, cos)``, then one ``addcmul_`` that adds the ``sin`` terms
    through two strided views of the same memory (see :func:`_half_into`). No
    temporary tensor is ever allocated. That cannot run in place (its first operation
    would overwrite ``x`` before the second reads it): in place takes five operations
    on the two halves and a half-size temporary (:func:`_half_inplace`);
  - float16 / bfloat16, pairs that are not adjacent in memory:
    blocks of about ``BLOCK_BYTES`` are copied into a float32 buffer (the arithmetic
    stays in float32, as everywhere in ropelab), rotated there, and rounded once into
    the output. A block is read before it is written, so this works in place too.
  - Each PyTorch operation on a large tensor is one parallel region: the threads split
    the work and wait for each other at its end. So the whole-tensor paths use as few
    operations as possible rather than many operations on cache-sized blocks: on a busy
    machine every extra wait can cost a scheduler time slice.

* The ``cos``/``sin`` (or ``e^{i m theta}``) table is built in the compute dtype
  and kept in a small cache keyed by the positions' values, ``dim``, ``base``,
  dtype and device, so a model that calls RoPE in every layer builds it once. The
  cache holds at most ``_CACHE_SIZE`` tables and ``_CACHE_BYTES`` bytes (oldest out
  first); a table larger than that on its own is built for the call and not kept.

Results equal the reference forms (:func:`ropelab.rope_complex`,
:func:`ropelab.rope_half`) to within a few float32 roundings. Autograd never reaches
this module: the core sends inputs that need gradients through the reference forms.

Shapes: ``x: (..., seq, dim)``, ``positions: (seq,)``. Everything here trusts its caller,
:mod:`ropelab.rope`, which validates what a learner passes in: ``out`` has ``x``'s shape,
dtype and device, and is ``x`` itself or shares no memory with it.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import threading
import time
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

#: Layouts the numba loops serve (both: the fused loop beats the complex multiply too, whose
#: broadcast table is re-read for every head).
NUMBA_LAYOUTS = ("half", "interleaved")
NUMBA_DTYPES = (torch.float32, torch.float64)


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
# numba: loaded on first use
# ---------------------------------------------------------------------------

_nb_lock = threading.Lock()
_nb: dict = {}          # see numba_reset for the keys
_nb_off = threading.local()         # depth of numba_off blocks, per thread
_nb_threads = threading.local()     # the thread count last given to numba from this thread


def numba_reset() -> None:
    """Forget what is known about numba: the next call reads ``ROPELAB_NUMBA`` and imports it again."""
    with _nb_lock:
        _nb.clear()
        _nb.update(kernels=None, error=None, import_seconds=None, cache_note=None, layer=None,
                   forked=False, max_threads=1)
    _nb_threads.__dict__.clear()


numba_reset()


def _after_fork_in_child() -> None:
    # A forked child never runs the numba loops. numba's OpenMP layer terminates a child that
    # starts a parallel loop when the parent had started one ("fork() called from a process
    # already using GNU OpenMP"), even on one thread, and a child that starts numba's OpenMP
    # fresh next to PyTorch's inherited one was seen to hang. So a DataLoader worker started
    # with fork takes the PyTorch path. (PyTorch's own OpenMP pool needs torch.set_num_threads(1)
    # in such a child, which DataLoader does.)
    _nb["forked"] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _load_numba() -> None:
    """Import numba and build the loops (compilation itself happens per dtype on the first call)."""
    if os.environ.get("ROPELAB_NUMBA", "1").strip().lower() in ("0", "false", "no", "off"):
        _nb["error"] = "turned off by ROPELAB_NUMBA=0"
        return
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(f"{__package__}._numba_rope")
        try:
            _nb["kernels"] = module.build(cache=True)
        except RuntimeError as e:
            # "cannot cache function ...: no locator available": neither the package folder
            # nor the per-user cache folder is writable. Compile in every session instead.
            if "cannot cache" not in str(e):
                raise
            _nb["kernels"] = module.build(cache=False)
            _nb["cache_note"] = "no writable cache folder: the loops are compiled in every session"
        _nb["module"] = module
        _nb["max_threads"] = max(1, module.numba.config.NUMBA_NUM_THREADS)
    except Exception as e:  # ImportError, or a numba / llvmlite that will not load here
        _nb["kernels"] = None
        _nb["error"] = f"numba is not available ({type(e).__name__}: {e})"
    _nb["import_seconds"] = time.perf_counter() - t0


def numba_kernels() -> dict | None:
    """The numba loops, or None where numba is missing, broken, turned off or unsafe here."""
    if _nb["forked"] or getattr(_nb_off, "depth", 0):
        return None
    if _nb["kernels"] is None and _nb["error"] is None:
        with _nb_lock:
            if _nb["kernels"] is None and _nb["error"] is None:
                _load_numba()
    return _nb["kernels"]


@contextlib.contextmanager
def numba_off():
    """Within this block (in this thread), every call takes the PyTorch path (tests, benchmarks)."""
    _nb_off.depth = getattr(_nb_off, "depth", 0) + 1
    try:
        yield
    finally:
        _nb_off.depth -= 1


def numba_status() -> dict:
    """Whether the numba loops run here and, if not, why; numba's version, threads and cache folder."""
    kernels = numba_kernels()
    reason = _nb["error"]
    if _nb["forked"]:
        reason = "a forked child process: PyTorch path (numba's OpenMP layer is not fork-safe)"
    elif getattr(_nb_off, "depth", 0):
        reason = "turned off in this block (numba_off)"
    info = {"available": kernels is not None, "reason": reason, "import_seconds": _nb["import_seconds"]}
    if kernels is not None:
        nb = _nb["module"].numba
        cache = getattr(kernels["half"][0], "_cache", None)   # numba's FunctionCache (NullCache: none)
        info.update(version=nb.__version__, threads=nb.get_num_threads(), threading_layer=_nb["layer"],
                    cache_dir=getattr(cache, "cache_path", None), cache_note=_nb["cache_note"])
    return info


def _numba_fits(x: torch.Tensor, out: torch.Tensor, tables: "_Tables", layout: str) -> bool:
    """Can the numba loops run on these tensors as they are (NumPy views, no copy)?

    float32 / float64 on the CPU, with ``x`` and ``out`` laid out alike in one of the two
    dense ways the loops know (see :func:`_shape4`).
    """
    return (layout in NUMBA_LAYOUTS and x.device.type == "cpu" and x.dtype in NUMBA_DTYPES
            and tables.cos.dtype == x.dtype and not x.is_neg() and not out.is_neg()
            and _shape4(x) is not None and _shape4(out) == _shape4(x))


def _shape4(t: torch.Tensor) -> tuple | None:
    """``(kind, heads)`` where ``t: (..., seq, dim)`` is dense in a way the numba loops read, else None.

    ``("rows", 1)``: C-contiguous. ``("tokens", H)``: ``(..., H, seq, dim)`` whose dims ``H``
    and ``seq`` are swapped in memory, i.e. a transposed view of a contiguous
    ``(..., seq, H, dim)`` tensor, as a model's ``q_proj(x).view(B, S, H, D).transpose(1, 2)``.
    """
    if t.is_contiguous():
        return ("rows", 1)
    if t.ndim >= 3 and t.transpose(-2, -3).is_contiguous():
        return ("tokens", t.shape[-3])
    return None


_workqueue_lock = threading.Lock()


def _launch(layout: str, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, out: torch.Tensor | None) -> None:
    kernels = _nb["kernels"]
    if _nb["layer"] == "workqueue":
        # numba's fallback threading layer aborts the process when two threads start
        # parallel loops at once: one at a time (the OpenMP and TBB layers need no lock)
        with _workqueue_lock:
            _run(kernels, layout, x, cos, sin, out)
    else:
        _run(kernels, layout, x, cos, sin, out)
        if _nb["layer"] is None:
            _nb["layer"] = _nb["module"].numba.threading_layer()


#: Elements below which a loop runs on one thread, as PyTorch's elementwise operations do
#: (``at::internal::GRAIN_SIZE``): waking the other threads costs more than they save.
GRAIN_SIZE = 32768


def _run(kernels: dict, layout: str, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
         out: torch.Tensor | None) -> None:
    # As many threads as PyTorch uses (numba's setting is per calling thread and may not exceed
    # the pool it started with, NUMBA_NUM_THREADS): whoever lowered torch.set_num_threads to
    # share the machine expects every kernel to honour it. One thread for small tensors.
    want = min(torch.get_num_threads(), _nb["max_threads"], max(1, x.numel() // GRAIN_SIZE))
    if getattr(_nb_threads, "n", None) != want:
        _nb["module"].numba.set_num_threads(want)
        _nb_threads.n = want
    in_place, into = kernels[layout]
    if out is None:
        in_place(_array(x), cos.numpy(), sin.numpy())
    else:
        into(_array(x), cos.numpy(), sin.numpy(), _array(out))


def _array(t: torch.Tensor):
    """``t`` as a C-contiguous NumPy array ``(n, seq, heads, dim)`` sharing its memory (see :func:`_shape4`)."""
    t = t.detach() if t.requires_grad else t
    seq, d = t.shape[-2], t.shape[-1]
    if t.is_contiguous():
        return t.numpy().reshape(-1, seq, 1, d)
    return t.transpose(-2, -3).numpy().reshape(-1, seq, t.shape[-3], d)


def _rope_inplace_cpu(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, layout: str) -> torch.Tensor:
    _launch(layout, x, cos, sin, None)
    _increment_version(x)     # numba wrote behind PyTorch's back: tell autograd x changed
    return x


def _rope_into_cpu(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, layout: str, *,
                   out: torch.Tensor) -> torch.Tensor:
    _launch(layout, x, cos, sin, out)
    _increment_version(out)
    return out


def _increment_version(t: torch.Tensor) -> None:
    bump = getattr(getattr(torch.autograd, "graph", None), "increment_version", None)
    if bump is not None:
        bump(t)
    else:  # pragma: no cover - PyTorch < 2.1
        torch._C._increment_version(t)


def _define_ops():
    """``torch.ops.ropelab.rope_`` (in place) and ``rope_into`` (``out=``): the numba loops as operators.

    Registered so that PyTorch sees one operation where numba works: dispatch modes (the
    ``memory_traffic`` counter of notebook 10), the profiler and fake tensors. The ``Meta``
    kernels describe the result without computing it. Only :func:`rotate_into` calls them,
    for tensors :func:`_numba_fits` accepts.
    """
    try:
        lib = torch.library.Library("ropelab", "DEF")
    except RuntimeError:        # already defined in this process (this module was reloaded)
        return None
    lib.define("rope_(Tensor(a!) x, Tensor cos, Tensor sin, str layout) -> Tensor(a!)")
    lib.define("rope_into(Tensor x, Tensor cos, Tensor sin, str layout, *, Tensor(a!) out) -> Tensor(a!)")
    lib.impl("rope_", _rope_inplace_cpu, "CPU")
    lib.impl("rope_into", _rope_into_cpu, "CPU")
    lib.impl("rope_", lambda x, cos, sin, layout: x, "Meta")
    lib.impl("rope_into", lambda x, cos, sin, layout, *, out: out, "Meta")
    return lib


_LIB = _define_ops()    # kept alive: the registrations last as long as this object


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

    Two operations instead of the readable form's five (three reads and two writes of
    ``x``'s size: five passes): ``ob = x * cat(cos, cos)``, then one ``addcmul_`` adds
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
    """The same in three operations over halves, for outputs whose rows are too close for the trick above."""
    h = xb.shape[-1] // 2
    sin = tables.sin[rows]
    torch.mul(xb, tables.cos_full[rows], out=ob)           # (x1 cos, x2 cos)
    ob[..., :h].addcmul_(xb[..., h:], sin, value=-1.0)     # x1 cos - x2 sin
    ob[..., h:].addcmul_(xb[..., :h], sin)                 # x2 cos + x1 sin


def _half_inplace(x: torch.Tensor, tables: _Tables) -> None:
    """The half layout in place, in five whole-tensor operations and a temporary of half x's size.

    ``x1' = x1 cos - x2 sin`` and ``x2' = x2 cos + x1 sin`` each need the other half's old
    values, so one product is kept aside first: ``t = x2 sin``; then ``x2 = x2 cos + x1 sin``
    (``x1`` still old); then ``x1 = x1 cos - t``. Six passes over x's size, but few parallel
    regions: a blocked version (copy a block out, rotate, copy back) needs dozens, and each
    one waits for every thread, which on a busy machine can cost a time slice.
    """
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    t = x2 * tables.sin
    x2.mul_(tables.cos).addcmul_(x1, tables.sin)
    x1.mul_(tables.cos).sub_(t)


def two_ops_ok(x: torch.Tensor, out: torch.Tensor) -> bool:
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
    """Write RoPE of ``x`` into ``out`` (same shape and dtype): ``out`` is ``x`` (in place) or apart from it.

    The numba loop where it fits (two passes); else whole-tensor PyTorch operations for
    float32 / float64 (one operation for the interleaved layout, two for the half layout
    out of place); else staged block by block, ``target`` elements at a time (about
    ``BLOCK_BYTES`` on the CPU, one block on accelerators).
    """
    if _numba_fits(x, out, tables, layout) and numba_kernels() is not None:
        if out is x:
            torch.ops.ropelab.rope_(x, tables.cos, tables.sin, layout)
        else:
            torch.ops.ropelab.rope_into(x, tables.cos, tables.sin, layout, out=out)
        return
    torch_into(x, out, tables, layout)


def torch_into(x: torch.Tensor, out: torch.Tensor, tables: _Tables, layout: str) -> None:
    """:func:`rotate_into` in plain PyTorch, for every dtype, layout, device and stride (the fallback)."""
    cdtype = tables.cos.dtype
    whole = slice(None)
    in_place = out is x
    if x.dtype == cdtype:
        if layout == "interleaved" and _complex_ok(x) and _complex_ok(out):
            if in_place:
                _as_complex(x).mul_(tables.rot)
            else:
                torch.mul(_as_complex(x), tables.rot, out=_as_complex(out))
            return
        if layout == "half" and not in_place:
            (_half_into if two_ops_ok(x, out) else _half_into_3)(x, out, tables, whole)
            return
        if layout == "half":
            _half_inplace(x, tables)
            return

    # staged: copy a block into a contiguous compute-dtype buffer (converting float16 /
    # bfloat16 to float32, or gathering strided pairs), rotate it there, round once into out.
    # Each block is read in full before its result is written, so out may be x.
    target = _target(x)
    blocks = [tuple([whole] * (x.ndim - 1))] if target is None else _blocks(x, target)
    for b in blocks:
        xb = x[b]
        n = xb.numel()
        stage = _scratch_buffer(0, n, cdtype, x.device).view(xb.shape)
        stage.copy_(xb)
        if layout == "interleaved":
            c = _as_complex(stage)
            c.mul_(tables.rot[b[-1]])
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
