"""What fresh memory costs, and which path ``apply_rope`` takes: the small tools of notebook 10.

* :func:`page_faults` runs a function and counts the page faults (缺页) it caused: each
  first touch of a page the operating system has just handed out.
* :func:`pytorch_path` is a ``with`` block in which ``ropelab.apply_rope`` and friends take
  their plain-PyTorch path, as on a machine without numba; :func:`numba_in_use` says
  whether the numba loops run here at all.
"""
from __future__ import annotations

from typing import Callable

from .. import _kernels

__all__ = ["page_faults", "pytorch_path", "numba_in_use"]


def page_faults(fn: Callable, *args, **kwargs) -> tuple[object, int | None]:
    """Run ``fn(*args, **kwargs)``; return ``(result, minor page faults of this process meanwhile)``.

    A minor fault is the operating system mapping a page (4 KiB on most systems) on its first
    touch, and zeroing it. The count covers every thread of the process and is None where
    the system does not report it (Windows). How many faults a fresh tensor causes depends on
    the allocator (glibc reuses small freed blocks; big ones go back to the system) and on
    huge pages (2 MiB pages fault 512 times less often): it is specific to the machine.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return fn(*args, **kwargs), None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    result = fn(*args, **kwargs)
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def pytorch_path():
    """``with pytorch_path():`` RoPE calls in this block (in this thread) skip the numba loops."""
    return _kernels.numba_off()


def numba_in_use() -> bool:
    """Do the numba loops run here (numba installed, loadable, not turned off with ``ROPELAB_NUMBA=0``)?"""
    return bool(_kernels.numba_status()["available"])
