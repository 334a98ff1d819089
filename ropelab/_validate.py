"""Input validation shared by every public ropelab function.

Each helper raises a ``TypeError`` (wrong kind of object or dtype) or a
``ValueError`` (wrong shape or value) whose message names the argument, says
what was expected and shows what was given.
"""
from __future__ import annotations

import functools
import inspect
import numbers
from typing import Callable, Iterable, Sequence

import torch

__all__: list[str] = []

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def shape_str(shape) -> str:
    """Format a shape as ``(2, 3)``, the way the docstrings write shapes (``(4,)`` in 1-D, ``()`` in 0-D).

    ``shape``: a tensor (its shape is used) or a sequence of sizes (``torch.Size``, tuple, list).
    """
    sizes = tuple(shape.shape) if isinstance(shape, torch.Tensor) else tuple(shape)
    return "(" + ", ".join(str(s) for s in sizes) + ("," if len(sizes) == 1 else "") + ")"


def check_tensor(
    x,
    name: str,
    *,
    floating: bool = True,
    min_ndim: int | None = None,
    ndim: int | None = None,
    shape_hint: str = "",
    fix: str = "",
) -> torch.Tensor:
    """Check that ``x`` is a tensor (floating point unless told otherwise) of a given rank.

    ``fix`` is appended to a wrong-rank message (e.g. how to add a missing dimension).
    """
    hint = f" of shape {shape_hint}" if shape_hint else ""
    fix = f"; {fix}" if fix else ""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor{hint}; got {type(x).__name__}")
    if floating and x.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must be a floating-point tensor (float16, bfloat16, float32 or float64){hint}; "
            f"got dtype {x.dtype}. Convert it first, e.g. {name}.float()"
        )
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions{hint}; got shape {shape_str(x)}{fix}")
    if min_ndim is not None and x.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions{hint}; got shape {shape_str(x)}{fix}"
        )
    return x


def check_rope_input(x, name: str = "x") -> torch.Tensor:
    """What every RoPE form takes: a floating tensor ``(..., seq, dim)`` with an even ``dim``."""
    x = check_tensor(x, name, floating=True, min_ndim=2, shape_hint="(..., seq, dim)",
                     fix=f"for a single vector (dim,) use {name}[None], a sequence of one token")
    check_even_dim(x.shape[-1], f"{name}.shape[-1] (dim)")
    return x


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    """Check that ``value`` is an integer (Python int or integral 0-d tensor) >= minimum."""
    if isinstance(value, torch.Tensor) and value.ndim == 0 and not value.dtype.is_floating_point:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return value


def check_even_dim(dim, name: str = "dim") -> int:
    """RoPE rotates pairs of coordinates, so a head dimension must be a positive even number."""
    dim = check_int(dim, name)
    if dim <= 0 or dim % 2:
        raise ValueError(
            f"{name} must be a positive even integer, because RoPE rotates pairs of "
            f"dimensions (2i, 2i+1); got {dim}"
        )
    return dim


def check_real(value, name: str, *, positive: bool = False) -> float:
    """Check that ``value`` is a real number (optionally > 0) and return it as a float."""
    if isinstance(value, torch.Tensor) and value.ndim == 0 and value.dtype != torch.bool:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r} ({type(value).__name__})")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite; got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0; got {value}")
    return value


def check_base(value, name: str = "base") -> float:
    """The one rule for a RoPE base (``base``, ``theta``, ``rope_theta``): a finite real number > 1.

    The frequencies are ``theta_i = base ** (-2i / dim)``. Only a base > 1 makes them
    decrease from the fastest pair (``theta_0 = 1``) to the slowest; base 1 turns every
    pair at the same speed and a base < 1 reverses the order. Returns it as a float.
    """
    value = check_real(value, name)
    if value <= 1:
        raise ValueError(
            f"{name} must be > 1 so the frequencies {name} ** (-2i/dim) decrease from pair to pair "
            f"(1 turns every pair at the same speed, < 1 reverses their order); got {value:g}. "
            f"Typical values: 10000 (LLaMA 2), 500000 (Llama 3), 100 (image axes)"
        )
    return value


def check_angle_table(ang: torch.Tensor, positions: torch.Tensor, name: str = "positions") -> torch.Tensor:
    """Check a derived angle table ``positions * theta_i``: every entry finite.

    Finite positions can still overflow: ``1e39 * theta_0`` is infinite in float32, and
    the cos/sin of an infinite angle is NaN. (Meta tensors hold no values: not checked.)
    """
    if ang.device.type != "meta" and ang.numel() and not torch.isfinite(ang).all():
        biggest = positions.detach().abs().max().item()
        limit = torch.finfo(ang.dtype).max
        raise ValueError(
            f"{name} are too large: the angles position * theta_i overflow {ang.dtype} (largest "
            f"|position| {biggest:g}, largest {ang.dtype} {limit:.3g}), and cos/sin of an infinite "
            f"angle is NaN; use smaller positions (|position| * theta_i must stay below {limit:.3g})"
        )
    return ang


def check_choice(value, name: str, choices: Sequence[str]) -> str:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def as_positions(positions, name: str = "positions", *, length: int | None = None,
                 length_name: str = "seq") -> torch.Tensor:
    """Turn positions (1-D tensor, range, list or tuple of numbers) into a 1-D tensor.

    Integer and floating positions are both allowed (fractional positions are how
    position interpolation works); negative positions rotate backwards.
    """
    if isinstance(positions, (range, list, tuple)):
        if len(positions) == 0:
            positions = torch.zeros(0, dtype=torch.long)
        else:
            try:
                positions = torch.as_tensor(list(positions))
            except (TypeError, ValueError, RuntimeError) as err:
                raise TypeError(
                    f"{name} must be a 1-D tensor, range or list of numbers; could not convert: {err}"
                ) from None
    elif not isinstance(positions, torch.Tensor):
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is a dependency
            np = None
        if np is not None and isinstance(positions, np.ndarray):
            positions = torch.from_numpy(positions)
        else:
            raise TypeError(
                f"{name} must be a 1-D tensor, range or list of numbers (one per token); "
                f"got {type(positions).__name__}"
            )
    if positions.dtype == torch.bool or positions.is_complex():
        raise TypeError(f"{name} must hold integer or real numbers; got dtype {positions.dtype}")
    if positions.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape ({length_name},); got shape {shape_str(positions)}")
    if length is not None and positions.shape[0] != length:
        raise ValueError(
            f"{name} must have one entry per token: length {length_name} = {length}, "
            f"but it has length {positions.shape[0]}"
        )
    if positions.dtype.is_floating_point and not torch.isfinite(positions).all():
        raise ValueError(f"{name} must be finite; got a NaN or infinite entry")
    return positions


def names(items: Iterable[str]) -> str:
    return ", ".join(repr(i) for i in items)


def validated(check: Callable[..., tuple]) -> Callable[[Callable], Callable]:
    """Decorator: run ``check(*arguments)`` before every call and call the function with what it returns.

    ``check`` takes the decorated function's parameters in order (``self`` too, for a method),
    with the defaults filled in, and returns them, checked, as a tuple.
    """
    def decorate(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def checked_call(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return fn(*check(*bound.args))

        return checked_call

    return decorate


# ---------------------------------------------------------------------------
# writing into existing tensors: out= and in place
# ---------------------------------------------------------------------------

def memory_span(t: torch.Tensor) -> tuple[int, int] | None:
    """``(first byte, last byte + 1)`` of the memory ``t``'s elements occupy; None when it holds none.

    Empty tensors and meta tensors (no data) occupy nothing. PyTorch strides are never
    negative, so the span runs from ``t.data_ptr()`` to the element with every index at its
    maximum.
    """
    if t.numel() == 0 or t.device.type == "meta":
        return None
    extent = sum((n - 1) * s for n, s in zip(t.shape, t.stride()))
    start = t.data_ptr()
    return start, start + (extent + 1) * t.element_size()


def overlaps(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Could writing ``a`` change ``b``? True when some element of ``a`` shares memory with one of ``b``.

    Exact for tensors of one dtype with the same strides (slices of one tensor, such as q
    and k of a packed ``qkv``, or ``t[..., 0::2]`` and ``t[..., 1::2]``): see
    :func:`_lattice_overlap`. Otherwise a span test: their memory spans intersect, which
    may refuse a pair that shares no element (the safe side).
    """
    if a.device != b.device:
        return False
    sa, sb = memory_span(a), memory_span(b)
    if sa is None or sb is None or not (sa[0] < sb[1] and sb[0] < sa[1]):
        return False
    es = a.element_size()
    if a.dtype != b.dtype or a.ndim != b.ndim or (b.data_ptr() - a.data_ptr()) % es:
        return True
    dims = []
    for na, nb, st_a, st_b in zip(a.shape, b.shape, a.stride(), b.stride()):
        if na > 1 or nb > 1:
            if st_a != st_b:
                return True
            dims.append((st_a, na, nb))
    dims.sort(reverse=True)
    return _lattice_overlap(dims, (b.data_ptr() - a.data_ptr()) // es)


def _lattice_overlap(dims: list, d: int, budget: list | None = None) -> bool:
    """Is ``d`` a difference ``sum(i * s) - sum(j * s)``, ``0 <= i < na``, ``0 <= j < nb`` per dim ``(s, na, nb)``?

    That is, does the element at index ``i`` of ``a`` sit where the element at index ``j`` of
    ``b`` does, ``b`` starting ``d`` elements after ``a``? Dims come outermost first; for
    each, only the index differences ``c = i - j`` that leave a remainder the inner dims can
    still reach are tried (one or two, when each stride exceeds the span of the dims inside
    it, as in any slice of a dense tensor). Gives up, answering True, past a few hundred steps.
    """
    budget = [256] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        return True
    if not dims:
        return d == 0
    (s, na, nb), rest = dims[0], dims[1:]
    reach = sum((max(ma, mb) - 1) * t for t, ma, mb in rest)     # |inner differences| <= reach
    lo = max(-(nb - 1), -((reach - d) // s))                     # c * s >= d - reach
    hi = min(na - 1, (d + reach) // s)                           # c * s <= d + reach
    return any(_lattice_overlap(rest, d - c * s, budget) for c in range(lo, hi + 1))


def same_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Do ``a`` and ``b`` name exactly the same elements in the same order (``a`` may be a view ``b[...]``)?"""
    if a is b:
        return True
    if a.device != b.device or a.dtype != b.dtype or a.shape != b.shape or a.data_ptr() != b.data_ptr():
        return False
    return all(sa == sb for n, sa, sb in zip(a.shape, a.stride(), b.stride()) if n > 1)


def check_out(out, x: torch.Tensor, name: str = "out", x_name: str = "x") -> torch.Tensor:
    """An ``out=`` tensor for a result like ``x``: a tensor of ``x``'s shape, dtype and device.

    It may be ``x`` itself (the result is then written in place) but may not share memory
    with ``x`` otherwise: a partly overlapping output would overwrite inputs not yet read.
    """
    fix = f"allocate it with torch.empty_like({x_name})"
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of {x_name}'s shape {shape_str(x)} and dtype {x.dtype} "
                        f"({fix}), or None for a new tensor; got {type(out).__name__}")
    if out.shape != x.shape:
        raise ValueError(f"{name} must have {x_name}'s shape {shape_str(x)}; got shape {shape_str(out)}: {fix}")
    if out.dtype != x.dtype:
        raise TypeError(f"{name} must have {x_name}'s dtype {x.dtype} (the result is written in the input's "
                        f"dtype); got dtype {out.dtype}: {fix}, or convert {x_name} first")
    if out.device != x.device:
        raise ValueError(f"{name} must be on {x_name}'s device {x.device}; got a tensor on {out.device}: {fix}")
    if not same_memory(out, x) and overlaps(out, x):
        raise ValueError(
            f"{name} shares memory with {x_name} without being {x_name} itself (a view of part of it, or of "
            f"a tensor that holds both): writing the result would overwrite values of {x_name} not yet read. "
            f"Pass {name}={x_name} to rotate in place, or a separate tensor: {fix}"
        )
    return out


def _saved_by_graph(t: torch.Tensor) -> str | None:
    """The autograd node that saved ``t`` (or the tensor ``t`` is a view of) for its backward, if any.

    Only the node that produced ``t`` is visible from ``t``; a later operation that saved it
    (``y = t * w`` with ``w`` requiring grad) is not, and PyTorch itself reports that one at
    ``backward()`` (the kernels bump ``t``'s version counter when they write it).
    """
    for u in (t, t._base):
        fn = getattr(u, "grad_fn", None) if u is not None else None
        if fn is None:
            continue
        saved = []
        names = [a for a in dir(fn) if a.startswith("_saved_")]
        if isinstance(fn, torch.autograd.function.BackwardCFunction):   # custom Function: ctx.save_for_backward
            names.append("saved_tensors")
        for a in names:
            try:
                saved.append(getattr(fn, a))
            except RuntimeError:                # already freed by a backward pass: nothing kept
                pass
        for v in saved:
            for s in (v if isinstance(v, (list, tuple)) else [v]):
                if isinstance(s, torch.Tensor) and s.device == t.device and overlaps(s, t):
                    return type(fn).__name__
    return None


def check_writable(t: torch.Tensor, name: str, *, how: str = "in place", fix: str = "") -> torch.Tensor:
    """Check that ``t`` may be written in place (by ``apply_rope_`` or as an ``out=`` tensor).

    Refused: a tensor whose elements share memory (``expand``), an inference tensor outside
    inference mode, a tensor that requires grad and is a leaf (or a view of one) while grad
    mode is on, and a tensor autograd saved for the backward pass. ``how`` and ``fix``
    complete the messages ("in place", "use apply_rope(x, ...) instead").
    """
    fix = f"; {fix}" if fix else ""
    if t.device.type != "meta" and torch._debug_has_internal_overlap(t) == 1:
        raise ValueError(
            f"{name} has elements that share memory (e.g. made by expand(), stride 0), so results written "
            f"{how} would overwrite each other; pass a dense tensor, e.g. {name}.clone(){fix}")
    if t.is_inference() and not torch.is_inference_mode_enabled():
        raise ValueError(
            f"{name} was created under torch.inference_mode() and can only be changed there: call this "
            f"inside `with torch.inference_mode():`, or pass {name}.clone(){fix}")
    if torch.is_grad_enabled():
        base = t._base
        leaf = t if t.requires_grad and t.is_leaf else (base if base is not None and base.requires_grad
                                                        and base.is_leaf else None)
        if leaf is not None:
            what = name if leaf is t else f"{name} (a view of a leaf tensor)"
            raise ValueError(
                f"{what} requires grad and is a leaf tensor: autograd cannot record a change {how} to it "
                f"(PyTorch refuses every in-place operation on it). Compute the result out of place, "
                f"rotate {name}.detach() or work inside torch.no_grad() if no gradient is wanted{fix}")
    node = _saved_by_graph(t)
    if node is not None:
        raise ValueError(
            f"{name} is needed for the backward pass ({node} saved it), so changing it {how} would break "
            f"backward(); compute the result out of place, or pass {name}.clone(){fix}")
    return t
