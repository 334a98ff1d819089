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
