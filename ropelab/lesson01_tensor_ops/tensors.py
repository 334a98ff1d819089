"""Explainers for tensor layout (memory, strides, views) and broadcasting (广播).

Two questions come up again and again when reading LLaMA / InternLM code:

* *Why does this ``view`` fail?* A tensor is a flat block of memory (its storage)
  plus a rule, the strides (步长), that maps an index ``[i, j, k]`` to a position
  ``offset + i*stride[0] + j*stride[1] + k*stride[2]`` in that block.
  :func:`layout`, :func:`element_offsets`, :func:`memory_order` and
  :func:`shares_storage` make that rule visible.
* *Which shape comes out of this broadcast, and why does it clash?*
  :func:`explain_broadcast` aligns two shapes from the right and says, dimension by
  dimension, what happens, or exactly which dimension clashes.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import torch

from .._validate import check_int, check_tensor, shape_str
from ..common.i18n import tr

__all__ = [
    "Clash",
    "BroadcastExplanation",
    "explain_broadcast",
    "Layout",
    "layout",
    "element_offsets",
    "memory_order",
    "shares_storage",
]


# ---------------------------------------------------------------------------
# broadcasting
# ---------------------------------------------------------------------------

def _as_shape(value: Any, name: str) -> tuple[int, ...]:
    """A shape from a tuple/list/torch.Size of sizes, or the shape of a tensor."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (bool, int, float)) or (hasattr(value, "__index__") and not isinstance(value, (list, tuple))):
        raise TypeError(
            f"{name} must be a shape such as (3, 4), (4,) or () for a scalar, or a tensor; "
            f"got the number {value!r}. Write ({value},) for a 1-D shape, or () for a scalar"
        )
    if not isinstance(value, (tuple, list, torch.Size)):
        raise TypeError(
            f"{name} must be a shape (tuple, list or torch.Size of sizes) or a tensor; "
            f"got {type(value).__name__}"
        )
    return tuple(check_int(s, f"{name}[{i}]", minimum=0) for i, s in enumerate(value))


@dataclasses.dataclass(frozen=True)
class Clash:
    """A dimension where two shapes cannot be broadcast.

    ``dim`` counts from the right (``-1`` is the last dimension); ``dim_a`` and
    ``dim_b`` are the same dimension counted from the left in each input.
    """

    dim: int
    dim_a: int
    dim_b: int
    size_a: int
    size_b: int


@dataclasses.dataclass(frozen=True)
class BroadcastExplanation:
    """What broadcasting two shapes does, step by step (returned by :func:`explain_broadcast`).

    ``aligned_a`` / ``aligned_b`` are the shapes padded on the left with 1s to the
    same length; ``result`` is the broadcast shape, or ``None`` when a dimension
    clashes, in which case ``clash`` names the first clashing dimension from the
    right (``clashes`` lists them all). ``steps`` has one sentence per dimension.
    Printing the object (or leaving it as a cell's last expression) shows a table.
    """

    shape_a: tuple[int, ...]
    shape_b: tuple[int, ...]
    aligned_a: tuple[int, ...]
    aligned_b: tuple[int, ...]
    result: tuple[int, ...] | None
    clashes: tuple[Clash, ...]
    steps: tuple[str, ...]
    names: tuple[str, str] = ("a", "b")

    @property
    def ok(self) -> bool:
        """True when the shapes broadcast."""
        return self.result is not None

    @property
    def clash(self) -> Clash | None:
        """The first clashing dimension counted from the right, or ``None``."""
        return self.clashes[0] if self.clashes else None

    @property
    def text(self) -> str:
        na, nb = self.names
        a_s, b_s = shape_str(self.shape_a), shape_str(self.shape_b)
        n = len(self.aligned_a)
        lines = [tr(f"broadcast {na} {a_s} with {nb} {b_s}", f"广播 {na} {a_s} 与 {nb} {b_s}")]
        if n == 0:
            lines.append(tr("  both are scalars: the result is a scalar, shape ()",
                            "  两者都是标量：结果也是标量，形状为 ()"))
            return "\n".join(lines)
        lines.append(tr("  1. align from the right; missing dimensions count as 1:",
                        "  1. 从右端对齐；缺少的维度按 1 计："))
        width = max(3, *(len(str(s)) for s in self.aligned_a + self.aligned_b + (self.result or ())))
        label_w = max(len(na) + len(a_s), len(nb) + len(b_s)) + 1
        result_label = tr("result", "结果")
        label_w = max(label_w, len(result_label))

        def row(label: str, sizes: Sequence[Any]) -> str:
            wide = sum(1 for ch in label if "\u4e00" <= ch <= "\u9fff")  # a Chinese character takes two columns
            return ("     " + " " * max(0, label_w - len(label) - wide) + label + " : "
                    + " ".join(str(s).rjust(width) for s in sizes))

        lines.append(row("dim", [f"{d}" for d in range(-n, 0)]))
        pa, pb = n - len(self.shape_a), n - len(self.shape_b)
        lines.append(row(f"{na} {a_s}", [("1*" if i < pa else str(s)) for i, s in enumerate(self.aligned_a)]))
        lines.append(row(f"{nb} {b_s}", [("1*" if i < pb else str(s)) for i, s in enumerate(self.aligned_b)]))
        if self.result is not None:
            lines.append(row(result_label, list(self.result)))
        if pa or pb:
            lines.append(tr("     (1* = a dimension added on the left)", "     （1* 表示在左侧补上的维度）"))
        lines.append(tr("  2. compare each dimension (sizes must be equal, or one of them 1):",
                        "  2. 逐个维度比较（大小必须相等，或其中一个为 1）："))
        lines.extend("     " + s for s in self.steps)
        if self.result is not None:
            lines.append(tr(f"  result shape: {shape_str(self.result)}", f"  结果形状：{shape_str(self.result)}"))
        else:
            c = self.clash
            lines.append(tr(
                f"  cannot broadcast: dimension {c.dim} clashes ({na} has {c.size_a}, {nb} has {c.size_b}); "
                "insert a size-1 dimension (unsqueeze) or fix the shape so they line up",
                f"  无法广播：第 {c.dim} 维冲突（{na} 为 {c.size_a}，{nb} 为 {c.size_b}）；"
                "插入一个大小为 1 的维度（unsqueeze），或修改形状使它们对齐"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def explain_broadcast(shape_a, shape_b, names: tuple[str, str] = ("a", "b")) -> BroadcastExplanation:
    """Explain how PyTorch broadcasts two shapes, dimension by dimension.

    ``shape_a``, ``shape_b``: shapes such as ``(2, 3, 4)``, ``(4,)``, ``()`` (a
    scalar), a ``torch.Size``, or tensors (their shapes are used). ``names`` label
    the two operands in the text.

    The rules (the same as NumPy's): align the shapes from the right, pad the
    shorter one on the left with 1s; in each dimension the sizes must be equal or
    one of them 1, and the result takes the larger size (a size-1 dimension is
    stretched, without copying, to match). Returns a :class:`BroadcastExplanation`
    with the aligned shapes, the result shape (``None`` when they clash) and the
    clashing dimensions; it never raises for shapes that do not broadcast.
    """
    a = _as_shape(shape_a, "shape_a")
    b = _as_shape(shape_b, "shape_b")
    if (not isinstance(names, (tuple, list)) or len(names) != 2
            or not all(isinstance(s, str) for s in names)):
        raise TypeError(f"names must be a pair of strings such as ('x', 'bias'); got {names!r}")
    na, nb = names
    n = max(len(a), len(b))
    aa = (1,) * (n - len(a)) + a
    bb = (1,) * (n - len(b)) + b
    steps: list[str] = []
    result: list[int] = []
    clashes: list[Clash] = []
    for i in range(n):
        d = i - n
        sa, sb = aa[i], bb[i]
        miss_a, miss_b = i < n - len(a), i < n - len(b)
        missing = tr("1 (missing)", "1（缺失）")
        ta = missing if miss_a else str(sa)
        tb = missing if miss_b else str(sb)
        head = tr(f"dim {d}: {na} {ta} vs {nb} {tb}", f"第 {d} 维：{na} {ta} 对 {nb} {tb}")
        if sa == sb:
            result.append(sa)
            steps.append(f"{head} -> {sa}" + (tr(" (both 1)", "（都是 1）") if sa == 1 else tr(" (equal)", "（相等）")))
        elif sb == 1:
            result.append(sa)
            steps.append(f"{head} -> {sa}" + tr(f" ({nb} is stretched 1 -> {sa})", f"（{nb} 由 1 扩展到 {sa}）"))
        elif sa == 1:
            result.append(sb)
            steps.append(f"{head} -> {sb}" + tr(f" ({na} is stretched 1 -> {sb})", f"（{na} 由 1 扩展到 {sb}）"))
        else:
            clash = Clash(dim=d, dim_a=i - (n - len(a)), dim_b=i - (n - len(b)), size_a=sa, size_b=sb)
            clashes.append(clash)
            steps.append(f"{head} -> " + tr(
                f"CLASH: {sa} != {sb} and neither is 1 "
                f"({na}'s dimension {clash.dim_a}, {nb}'s dimension {clash.dim_b})",
                f"冲突：{sa} != {sb}，且都不是 1（{na} 的第 {clash.dim_a} 维，{nb} 的第 {clash.dim_b} 维）"))
    clashes.sort(key=lambda c: -c.dim)  # rightmost first, the order PyTorch checks in
    return BroadcastExplanation(
        shape_a=a, shape_b=b, aligned_a=aa, aligned_b=bb,
        result=None if clashes else tuple(result), clashes=tuple(clashes),
        steps=tuple(steps), names=(na, nb),
    )


# ---------------------------------------------------------------------------
# memory layout: storage, strides, views
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Layout:
    """How a tensor sits in memory (returned by :func:`layout`).

    Element ``[i0, i1, ...]`` lives at position
    ``storage_offset + i0*stride[0] + i1*stride[1] + ...`` of the storage, counted
    in elements. ``contiguous`` is ``t.is_contiguous()``: reading the tensor row by
    row (last index fastest) walks the storage one step at a time.
    """

    shape: tuple[int, ...]
    stride: tuple[int, ...]
    storage_offset: int
    contiguous: bool
    storage_size: int

    def __repr__(self) -> str:
        return (f"shape {shape_str(self.shape)}, stride {shape_str(self.stride)}, "
                f"offset {self.storage_offset}, contiguous {self.contiguous}")


def _check_t(t, name: str = "t") -> torch.Tensor:
    t = check_tensor(t, name, floating=False, shape_hint="(any shape)")
    if t.layout != torch.strided:
        raise ValueError(f"{name} must be an ordinary (strided) tensor; got layout {t.layout}")
    return t


def layout(t) -> Layout:
    """Shape, strides, storage offset and contiguity of ``t`` (any shape, any dtype).

    ``storage_size`` is the number of elements of ``t``'s dtype the underlying
    storage holds; views of one tensor report the same storage.
    """
    t = _check_t(t)
    return Layout(
        shape=tuple(t.shape),
        stride=tuple(t.stride()),
        storage_offset=int(t.storage_offset()),
        contiguous=bool(t.is_contiguous()),
        storage_size=t.untyped_storage().nbytes() // t.element_size(),
    )


def element_offsets(t) -> torch.Tensor:
    """Where each element of ``t`` lives in its storage: an int64 tensor of ``t``'s shape.

    ``element_offsets(t)[i, j, ...] = t.storage_offset() + i*t.stride(0) + j*t.stride(1) + ...``
    For ``x = torch.arange(6).view(2, 3)`` this is ``[[0, 1, 2], [3, 4, 5]]``;
    for ``x.t()`` it is ``[[0, 3], [1, 4], [2, 5]]``: same memory, new strides.
    """
    t = _check_t(t)
    out = torch.full(tuple(t.shape), int(t.storage_offset()), dtype=torch.long)
    for d, (size, stride) in enumerate(zip(t.shape, t.stride())):
        idx_shape = [1] * t.ndim
        idx_shape[d] = size
        out = out + (torch.arange(size, dtype=torch.long) * stride).view(idx_shape)
    return out


def memory_order(t) -> torch.Tensor:
    """Storage positions visited when ``t`` is read row by row (last index fastest): int64 ``(numel,)``.

    A tensor is contiguous exactly when this is ``offset, offset + 1, offset + 2, ...``.
    After a transpose the walk jumps around: ``memory_order(torch.arange(6).view(2, 3).t())``
    is ``[0, 3, 1, 4, 2, 5]``, which is why ``.view`` refuses to flatten it.
    """
    return element_offsets(t).reshape(-1)


def shares_storage(a, b) -> bool:
    """True when tensors ``a`` and ``b`` use the same block of memory (one is a view of the other).

    Compares the start of the underlying storages, so it is True even when the two
    start at different elements (``x`` and ``x[1]``), where ``a.data_ptr() == b.data_ptr()``
    is False.
    """
    a = _check_t(a, "a")
    b = _check_t(b, "b")
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
