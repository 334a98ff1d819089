"""Counting what RoPE does to memory: the "passes" of notebook 10, counted rather than estimated.

:func:`memory_traffic` runs any function of tensors and lists each operation with the
bytes it reads, writes and allocates; :func:`half_pair_views` shows the two strided views
behind the two-operation half layout (the PyTorch fallback) of :func:`ropelab.apply_rope`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from .. import _kernels
from .._validate import check_int, check_rope_input

__all__ = ["Traffic", "memory_traffic", "half_pair_views"]


@dataclass
class Traffic:
    """What a function did to memory, op by op (counted by :func:`memory_traffic`).

    ``ops``: one ``(name, bytes_read, bytes_written, bytes_allocated)`` per operation
    that touched tensor data (views, which move no data, are not listed).
    """

    ops: list = field(default_factory=list)
    #: bytes of tensors created empty (``torch.empty_like`` and friends) and filled later
    empty_bytes: int = 0

    @property
    def count(self) -> int:
        return len(self.ops)

    @property
    def bytes_read(self) -> int:
        return sum(o[1] for o in self.ops)

    @property
    def bytes_written(self) -> int:
        return sum(o[2] for o in self.ops)

    @property
    def bytes_allocated(self) -> int:
        return sum(o[3] for o in self.ops) + self.empty_bytes

    def passes(self, nbytes: int) -> dict:
        """Reads, writes and fresh allocations in units of ``nbytes`` (the size of ``x``)."""
        nbytes = check_int(nbytes, "nbytes", minimum=1)
        return {"ops": self.count, "reads": self.bytes_read / nbytes,
                "writes": self.bytes_written / nbytes, "allocated": self.bytes_allocated / nbytes}


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def memory_traffic(fn: Callable, *args, **kwargs) -> tuple[object, Traffic]:
    """Run ``fn(*args, **kwargs)`` and count the bytes each tensor operation moves.

    For every operation that computes (not a view): the bytes of the tensors it reads
    (a broadcast table counts at its own size, since it is small and stays in cache),
    the bytes it writes (its outputs, in place or ``out=``) and the bytes of tensors
    it allocates. Returns ``(result, Traffic)``. The counts depend only on shapes and
    dtypes, so they are the same on every machine.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    traffic = Traffic()
    allocators = {"empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided"}

    class _Counter(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            result = func(*args, **kwargs)
            name = func.overloadpacket.__name__
            if name in allocators:
                traffic.empty_bytes += _nbytes(result)
                return result
            if func.is_view or name in ("detach", "lift_fresh", "set_"):
                return result  # a view moves no data
            schema = func._schema
            written_ids = set()
            read = 0
            flat_kw = dict(kwargs)
            for i, arg in enumerate(schema.arguments):
                val = args[i] if i < len(args) else flat_kw.get(arg.name)
                vals, _ = tree_flatten(val)
                tensors = [v for v in vals if isinstance(v, torch.Tensor)]
                is_write = arg.alias_info is not None and arg.alias_info.is_write
                for t in tensors:
                    if is_write:
                        written_ids.add(t.untyped_storage().data_ptr())
                    # an out= argument is only written; in-place self is read and written
                    # (except by copy_, which overwrites it)
                    if not (is_write and (arg.kwarg_only or name == "copy_")):
                        read += _nbytes(t)
            outs, _ = tree_flatten(result)
            written = allocated = 0
            for t in outs:
                if isinstance(t, torch.Tensor):
                    written += _nbytes(t)
                    if t.untyped_storage().data_ptr() not in written_ids:
                        allocated += _nbytes(t)
            traffic.ops.append((name, read, written, allocated))
            return result

    with _Counter():
        result = fn(*args, **kwargs)
    return result, traffic


def half_pair_views(x: torch.Tensor, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two strided views behind the two-operation half layout of the PyTorch path: ``(..., seq - 1, 2, dim // 2)``.

    ``x``, ``out``: ``(..., seq, dim)``. For row ``t`` (``t < seq - 1``):
    ``x_view[..., t, 0, :] = x1[t]`` (first half of row t), ``x_view[..., t, 1, :] = x2[t + 1]``;
    ``out_view[..., t, 0, :] = out2[t]`` (second half of row t), ``out_view[..., t, 1, :] = out1[t + 1]``.
    Element by element, ``out_view`` is exactly where each ``x_view`` value's sin term goes.
    No data is copied: both are views with non-negative strides.
    """
    x = check_rope_input(x, "x")
    out = check_rope_input(out, "out")
    if x.shape != out.shape:
        raise ValueError(f"x and out must have the same shape (..., seq, dim); got {tuple(x.shape)} "
                         f"and {tuple(out.shape)}")
    if x.shape[-2] < 2:
        raise ValueError(f"x needs seq >= 2 rows to pair row t with row t + 1; got seq = {x.shape[-2]}")
    if not _kernels.two_ops_ok(x, out):
        raise ValueError(f"out's rows must lie more than dim/2 elements apart in memory; got strides "
                         f"{tuple(out.stride())} for dim = {out.shape[-1]}")
    return _kernels.pair_views(x, out)
