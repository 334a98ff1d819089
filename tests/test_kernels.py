"""The fast path of ropelab.apply_rope / apply_rope_qk (kernels in ropelab._kernels) against the readable forms.

Every property is checked on many shapes, the three working dtypes, both layouts and
inputs that are not contiguous (transposed like Meta's (B, S, H, D) code, sliced with
steps, strided along dim, at odd storage offsets, expanded), with blocks made tiny so
that the cache-blocked loops run many times and end on a partial block.
"""
from __future__ import annotations

import contextlib
import importlib.util

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab import _kernels, apply_rope, apply_rope_qk, rope_complex, rope_half, rope_interleaved, rope_matrix

# unit roundoff of each dtype (half the distance from 1 to the next number); 1e-6 is the float32 spec
EPS = {torch.float32: 1e-6, torch.bfloat16: 2.0 ** -8, torch.float16: 2.0 ** -11, torch.float64: 1e-13}
REFERENCES = {"interleaved": (rope_complex, rope_interleaved), "half": (rope_half,)}


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def pair_norms(x: torch.Tensor, layout: str) -> torch.Tensor:
    """|pair| for every element of x (float64): a rotation keeps it, so errors scale with it."""
    x = x.double()
    h = x.shape[-1] // 2
    if layout == "interleaved":
        n = x.unflatten(-1, (h, 2)).norm(dim=-1)
        return n.repeat_interleave(2, dim=-1)
    n = torch.sqrt(x[..., :h] ** 2 + x[..., h:] ** 2)
    return torch.cat((n, n), dim=-1)


def assert_close_rel(y: torch.Tensor, ref: torch.Tensor, x: torch.Tensor, layout: str, rel: float):
    """|y - ref| <= rel * |pair| elementwise (plus a float32 denormal floor)."""
    err = (y.double() - ref.double()).abs()
    bound = rel * pair_norms(x, layout) + 1e-30
    worst = (err / bound).max().item() if err.numel() else 0.0
    assert worst <= 1.0, f"error {worst:.2f}x the bound of {rel:g} relative to |pair| ({layout}, {y.dtype})"


def exact_rope(x: torch.Tensor, positions: torch.Tensor, base: float, layout: str,
               table=np.float32) -> np.ndarray:
    """RoPE in float64 NumPy, one pair at a time, from the angle table the spec prescribes.

    The angle ``m * theta_i`` is rounded once to ``table`` (float32, ropelab's table
    precision for every input but float64); everything after that is float64, so the
    fast path's own arithmetic is what the comparison measures.
    """
    a = x.double().numpy()
    pos = positions.double().numpy()
    d = a.shape[-1]
    if table == np.float32:
        theta = ropelab.inv_freq(d, base).double().numpy()
    else:
        theta = 1.0 / base ** (np.arange(0, d, 2, dtype=np.float64) / d)
    out = np.empty_like(a)
    for i in range(d // 2):
        ang = (pos * theta[i]).astype(table).astype(np.float64)
        c, s = np.cos(ang), np.sin(ang)
        j, k = (2 * i, 2 * i + 1) if layout == "interleaved" else (i, i + d // 2)
        out[..., j] = a[..., j] * c - a[..., k] * s
        out[..., k] = a[..., j] * s + a[..., k] * c
    return out


def make_input(data, shape, dtype, kind: str) -> torch.Tensor:
    """A tensor of ``shape`` and ``dtype`` whose memory layout is described by ``kind``."""
    gen = torch.Generator().manual_seed(data.draw(st.integers(0, 2 ** 16), label="seed"))
    lead, (seq, dim) = shape[:-2], shape[-2:]
    if kind == "contiguous":
        base = torch.randn(shape, generator=gen)
        x = base
    elif kind == "seq_outer":              # Meta: (B, S, H, D) stored, (B, H, S, D) viewed
        if not lead:
            x = torch.randn(shape, generator=gen)
        else:
            base = torch.randn(*lead[:-1], seq, lead[-1], dim, generator=gen)
            x = base.transpose(-2, -3)
    elif kind == "strided_seq":             # every other token
        base = torch.randn(*lead, 2 * seq, dim, generator=gen)
        x = base[..., ::2, :]
    elif kind == "dim_strided":             # dim not the fastest-moving axis
        base = torch.randn(*lead, dim, seq, generator=gen)
        x = base.transpose(-1, -2)
    elif kind == "odd_offset":              # a window of a wider row: odd storage offset, even strides
        base = torch.randn(*lead, seq, dim + 2, generator=gen)
        x = base[..., 1:dim + 1]
    elif kind == "odd_stride":              # rows of odd length: pairs cannot be viewed as complex
        base = torch.randn(*lead, seq, dim + 1, generator=gen)
        x = base[..., :dim]
    elif kind == "expanded":                # one vector broadcast over a leading dim (stride 0)
        base = torch.randn(1, *shape[1:], generator=gen) if lead else torch.randn(shape, generator=gen)
        x = base.expand(shape)
    else:  # pragma: no cover
        raise AssertionError(kind)
    x = x.to(dtype) if kind != "expanded" else base.to(dtype).expand(shape)
    assert x.shape == torch.Size(shape)
    return x


KINDS = ["contiguous", "seq_outer", "strided_seq", "dim_strided", "odd_offset", "odd_stride", "expanded"]
shapes = st.tuples(
    st.lists(st.integers(1, 4), min_size=0, max_size=3),
    st.integers(1, 24),
    st.integers(1, 20).map(lambda h: 2 * h),
).map(lambda t: (*t[0], t[1], t[2]))


@contextlib.contextmanager
def block_bytes(n: int):
    """Blocks of ``n`` bytes: tiny ones make the blocked loops run many times on small tensors."""
    old = _kernels.BLOCK_BYTES
    _kernels.BLOCK_BYTES = n
    try:
        yield
    finally:
        _kernels.BLOCK_BYTES = old


# ---------------------------------------------------------------------------
# correctness against the reference forms
# ---------------------------------------------------------------------------

@given(data=st.data(), shape=shapes, layout=st.sampled_from(["interleaved", "half"]),
       kind=st.sampled_from(KINDS), block=st.sampled_from([48, 1000, 1 << 20]),
       base=st.sampled_from([10000.0, 500000.0, 10.0]), offset=st.integers(-50, 3000))
def test_float32_matches_every_reference_within_1e6_relative(data, shape, layout, kind, block, base, offset):
    x = make_input(data, shape, torch.float32, kind)
    pos = torch.arange(shape[-2]) * data.draw(st.sampled_from([1, 3]), label="step") + offset
    before = x.clone()
    with block_bytes(block):
        y = apply_rope(x, pos, base, layout=layout)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert y.data_ptr() != x.data_ptr()
    torch.testing.assert_close(x, before, atol=0, rtol=0)  # the input is never written
    # the references see the same values in a fresh contiguous tensor (rope_complex's complex
    # view cannot start at an odd storage offset)
    xc = x.clone(memory_format=torch.contiguous_format)
    for ref in REFERENCES[layout]:
        assert_close_rel(y, ref(xc, pos, base), x, layout, 1e-6)
    exact = torch.from_numpy(exact_rope(x, pos, base, layout))
    assert_close_rel(y, exact, x, layout, 1e-6)


@given(data=st.data(), shape=shapes, layout=st.sampled_from(["interleaved", "half"]),
       dtype=st.sampled_from([torch.bfloat16, torch.float16]), kind=st.sampled_from(KINDS),
       block=st.sampled_from([48, 1000, 1 << 20]))
def test_half_precision_rounds_once_from_float32(data, shape, layout, dtype, kind, block):
    x = make_input(data, shape, dtype, kind)
    pos = torch.arange(shape[-2]) * 7
    with block_bytes(block):
        y = apply_rope(x, pos, layout=layout)
    assert y.dtype == dtype and y.shape == x.shape
    # the fast result is the float32 result of the same (exactly representable) input, rounded
    # once to the output dtype. Not always bit for bit: PyTorch's vectorised and scalar complex
    # multiplies (contiguous staging buffer vs strided input) differ in the last float32 bit,
    # which can tip a rounding. So: y must be the rounding of a float32 value within float32's
    # error bound n of y32, i.e. lie between round(y32 - n) and round(y32 + n) (rounding is
    # monotonic). Rounding twice (e.g. cos/sin first rounded to dtype) misses by ~EPS[dtype].
    y32 = apply_rope(x.float(), pos, layout=layout)
    n = (EPS[torch.float32] * pair_norms(x, layout)).float()
    lo, hi = (y32 - n).to(dtype), (y32 + n).to(dtype)
    assert ((y >= lo) & (y <= hi)).all()
    # the reference forms also compute in float32 and round once; their float32 results may
    # differ from ours in the last bit, which can move the rounded result by one step (2 * EPS)
    xc = x.clone(memory_format=torch.contiguous_format)
    for ref in REFERENCES[layout]:
        assert_close_rel(y, ref(xc, pos), x, layout, 2.02 * EPS[dtype])


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_float64_stays_float64(layout):
    x = torch.randn(3, 2, 9, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    pos = torch.arange(9) * 101
    y = apply_rope(x, pos, layout=layout)
    assert y.dtype == torch.float64
    assert_close_rel(y, torch.from_numpy(exact_rope(x, pos, 1e4, layout, np.float64)), x, layout, 1e-12)


def test_interleaved_matches_the_dense_matrix_form():
    x = torch.randn(2, 3, 10, 16, generator=torch.Generator().manual_seed(6))
    pos = torch.arange(10) - 4
    assert_close_rel(apply_rope(x, pos), rope_matrix(x, pos), x, "interleaved", 1e-6)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_large_tensor_many_blocks(layout):
    # big enough for several real (default-sized) blocks and a partial last block
    x = torch.randn(1, 6, 700, 128, generator=torch.Generator().manual_seed(7))
    pos = torch.arange(700)
    ref = rope_complex(x, pos) if layout == "interleaved" else rope_half(x, pos)
    assert_close_rel(apply_rope(x, pos, layout=layout), ref, x, layout, 1e-6)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_dense_inputs_keep_their_memory_layout(layout):
    # Meta code rotates (B, S, H, D) viewed as (B, H, S, D): the result should transpose back for free
    q = torch.randn(2, 5, 3, 8, generator=torch.Generator().manual_seed(8))  # (B, S, H, D)
    y = apply_rope(q.transpose(1, 2), torch.arange(5), layout=layout)
    assert y.stride() == q.transpose(1, 2).stride()
    assert y.transpose(1, 2).is_contiguous()


@pytest.mark.parametrize("shape", [(0, 4, 8), (3, 0, 8), (2, 0, 0, 4)])
def test_empty_inputs(shape):
    x = torch.zeros(shape)
    for layout in ("interleaved", "half"):
        y = apply_rope(x, torch.arange(shape[-2]), layout=layout)
        assert y.shape == x.shape


# ---------------------------------------------------------------------------
# q and k together
# ---------------------------------------------------------------------------

@given(data=st.data(), layout=st.sampled_from(["interleaved", "half"]), seq=st.integers(1, 12),
       heads_q=st.integers(1, 4), group=st.integers(1, 3), dtype=st.sampled_from([torch.float32, torch.bfloat16]))
def test_apply_rope_qk_equals_two_single_calls(data, layout, seq, heads_q, group, dtype):
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 999), label="seed"))
    q = torch.randn(2, heads_q * group, seq, 8, generator=g).to(dtype)
    k = torch.randn(2, heads_q, seq, 8, generator=g).to(dtype)     # fewer key heads (GQA)
    pos = torch.arange(seq) + 3
    qr, kr = apply_rope_qk(q, k, pos, layout=layout)
    torch.testing.assert_close(qr, apply_rope(q, pos, layout=layout), atol=0, rtol=0)
    torch.testing.assert_close(kr, apply_rope(k, pos, layout=layout), atol=0, rtol=0)


def test_rotated_scores_depend_on_relative_position_only():
    g = torch.Generator().manual_seed(9)
    q, k = torch.randn(1, 1, 1, 64, generator=g), torch.randn(1, 1, 1, 64, generator=g)
    for layout in ("interleaved", "half"):
        scores = []
        for m in (0, 17, 1000):
            qr, _ = apply_rope_qk(q, q, [m + 5], layout=layout)
            _, kr = apply_rope_qk(k, k, [m], layout=layout)
            scores.append(float((qr * kr).sum()))
        assert max(scores) - min(scores) < 1e-4 * abs(scores[0]) + 1e-5


@pytest.mark.parametrize("call, err, words", [
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8), torch.zeros(2, 5, 8), range(4)), ValueError, ["q", "k", "seq"]),
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8), torch.zeros(2, 4, 6), range(4)), ValueError, ["dim", "(2, 4, 6)"]),
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8), torch.zeros(2, 4, 7), range(4)), ValueError, ["k.shape[-1]"]),
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8).long(), torch.zeros(2, 4, 8), range(4)), TypeError, ["q", "int64"]),
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8), "k", range(4)), TypeError, ["k", "str"]),
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8), torch.zeros(2, 4, 8), range(3)), ValueError, ["positions", "4"]),
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8), torch.zeros(2, 4, 8), range(4), base=-1), ValueError, ["base"]),
    (lambda: apply_rope_qk(torch.zeros(2, 4, 8), torch.zeros(2, 4, 8), range(4), layout="neox"), ValueError,
     ["layout", "'half'"]),
])
def test_apply_rope_qk_errors_name_the_argument(call, err, words):
    with pytest.raises(err) as info:
        call()
    for w in words:
        assert w in str(info.value)


# ---------------------------------------------------------------------------
# autograd, the table cache, devices
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_gradients_flow(layout):
    x = torch.randn(2, 6, 8, generator=torch.Generator().manual_seed(10), requires_grad=True)
    pos = torch.arange(6)
    y = apply_rope(x, pos, layout=layout)
    g = torch.randn(2, 6, 8, generator=torch.Generator().manual_seed(11))
    (y * g).sum().backward()
    # RoPE is a rotation, so the gradient is the upstream gradient rotated back
    expected = torch.from_numpy(exact_rope(g, -pos, 1e4, layout)).float()
    torch.testing.assert_close(x.grad, expected, atol=1e-6, rtol=1e-5)


def _reference_rope(x, pos, layout):
    """The dense-matrix form (rope_matrix), moved to the half layout by a coordinate permutation."""
    if layout == "interleaved":
        return rope_matrix(x, pos)
    return ropelab.interleaved_to_half(rope_matrix(ropelab.half_to_interleaved(x), pos))


@pytest.mark.parametrize("layout", ["interleaved", "half"])
@pytest.mark.parametrize("x_grad", [False, True])
def test_gradient_through_positions_matches_the_matrix_form(layout, x_grad):
    g = torch.Generator().manual_seed(13)
    x0 = torch.randn(2, 6, 8, generator=g, dtype=torch.float64)
    w = torch.randn(2, 6, 8, generator=g, dtype=torch.float64)
    p0 = torch.tensor([0.0, 1.5, 2.0, 7.25, 30.0, 100.0], dtype=torch.float64)
    grads = []
    for fn in (lambda x, p: apply_rope(x, p, layout=layout), lambda x, p: _reference_rope(x, p, layout)):
        x = x0.clone().requires_grad_(x_grad)
        p = p0.clone().requires_grad_()
        y = fn(x, p)
        (y * w).sum().backward()
        grads.append((p.grad, x.grad))
    (gp, gx), (gp_ref, gx_ref) = grads
    torch.testing.assert_close(gp, gp_ref, atol=1e-10, rtol=1e-10)
    if x_grad:
        torch.testing.assert_close(gx, gx_ref, atol=1e-10, rtol=1e-10)


def test_apply_rope_qk_gradients_through_positions_and_one_of_q_k():
    g = torch.Generator().manual_seed(14)
    q = torch.randn(1, 4, 5, 8, generator=g, dtype=torch.float64)
    k = torch.randn(1, 2, 5, 8, generator=g, dtype=torch.float64, requires_grad=True)
    p = torch.arange(5, dtype=torch.float64).requires_grad_()
    qr, kr = apply_rope_qk(q, k, p, layout="half")
    (qr.sum() + (kr * kr.detach()).sum()).backward()
    p_ref = p.detach().clone().requires_grad_()
    k_ref = k.detach().clone().requires_grad_()
    (_reference_rope(q, p_ref, "half").sum() + (_reference_rope(k_ref, p_ref, "half") * kr.detach()).sum()).backward()
    torch.testing.assert_close(p.grad, p_ref.grad, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(k.grad, k_ref.grad, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_a_grad_call_leaves_the_cache_usable(layout):
    # positions that need a gradient used to build (and cache) a table with a grad_fn, which
    # broke every later plain call with the same positions until _kernels.clear_cache()
    _kernels.clear_cache()
    x = torch.randn(3, 6, 8, generator=torch.Generator().manual_seed(15))
    p = torch.arange(6.0).requires_grad_()
    apply_rope(x, p, layout=layout).sum().backward()
    apply_rope_qk(x, x, p, layout=layout)[1].sum().backward()   # q, k plain, positions with grad
    plain = apply_rope(x, torch.arange(6.0), layout=layout)
    assert not plain.requires_grad
    torch.testing.assert_close(plain, _reference_rope(x, torch.arange(6.0), layout), atol=1e-5, rtol=0)
    with torch.no_grad():                                       # grad mode off: the fast path, cached
        apply_rope(x, p, layout=layout)
    assert apply_rope_qk(x, x, torch.arange(6.0), layout=layout)[0].grad_fn is None
    _kernels.clear_cache()


def _fill_both_layouts(x, pos):
    apply_rope(x, pos)
    apply_rope(x, pos, layout="half")   # the half layout adds its own derived tables


def test_cache_is_bounded_in_bytes_oldest_out(monkeypatch):
    x = torch.zeros(1, 1024, 64)
    one = 8 * 1024 * 32 * 4        # every table form of one entry: 1024 positions x 32 pairs, float32
    monkeypatch.setattr(_kernels, "_CACHE_BYTES", int(3.5 * one))
    _kernels.clear_cache()
    for i in range(5):
        _fill_both_layouts(x, torch.arange(1024) + i)
        assert _kernels.cache_info()["bytes"] <= 3.5 * one
    info = _kernels.cache_info()
    assert info["entries"] == 3 and info["misses"] == 5
    apply_rope(x, torch.arange(1024) + 4)           # the newest: still there
    assert _kernels.cache_info()["hits"] == info["hits"] + 1
    apply_rope(x, torch.arange(1024))               # the oldest: evicted
    assert _kernels.cache_info()["misses"] == 6
    _kernels.clear_cache()


def test_a_table_larger_than_the_bound_is_used_but_not_kept(monkeypatch):
    monkeypatch.setattr(_kernels, "_CACHE_BYTES", 4096)
    _kernels.clear_cache()
    x = torch.randn(2, 64, 16, generator=torch.Generator().manual_seed(16))
    for layout in ("interleaved", "half"):
        for _ in range(2):
            y = apply_rope(x, torch.arange(64), layout=layout)
            torch.testing.assert_close(y, _reference_rope(x, torch.arange(64), layout), atol=1e-5, rtol=0)
    info = _kernels.cache_info()
    assert info["entries"] == 0 and info["bytes"] == 0 and info["misses"] == 4
    _kernels.clear_cache()


@pytest.mark.parametrize("q_dtype,k_dtype", [(torch.float32, torch.bfloat16), (torch.float16, torch.float64),
                                             (torch.bfloat16, torch.float32), (torch.float64, torch.float16)])
@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_apply_rope_qk_with_different_dtypes(q_dtype, k_dtype, layout):
    g = torch.Generator().manual_seed(17)
    q = torch.randn(2, 4, 7, 16, generator=g).to(q_dtype)
    k = torch.randn(2, 2, 7, 16, generator=g).to(k_dtype)
    pos = torch.arange(7) * 5 + 2
    qr, kr = apply_rope_qk(q, k, pos, layout=layout)
    for t, r in ((q, qr), (k, kr)):
        assert r.dtype == t.dtype and r.shape == t.shape
        assert torch.equal(r, apply_rope(t, pos, layout=layout))
        # and against the matrix form in float64, to the rounding of t's dtype
        exact = _reference_rope(t.double(), pos, layout)
        assert_close_rel(r, exact, t, layout, 2.02 * EPS[t.dtype] if t.dtype != torch.float64 else 1e-6)


def test_no_grad_mode_uses_fast_path_even_for_leaf_tensors():
    x = torch.randn(2, 6, 8, requires_grad=True)
    with torch.no_grad():
        y = apply_rope(x, torch.arange(6))
    assert not y.requires_grad
    assert_close_rel(y, rope_complex(x.detach(), torch.arange(6)), x.detach(), "interleaved", 1e-6)


def test_cache_is_keyed_by_position_values_not_tensor_identity():
    _kernels.clear_cache()
    x = torch.randn(3, 5, 8, generator=torch.Generator().manual_seed(12))
    pos = torch.arange(5)
    first = apply_rope(x, pos)
    assert _kernels.cache_info()["misses"] == 1
    again = apply_rope(x, torch.arange(5))          # a new tensor, equal values: a hit
    assert _kernels.cache_info()["hits"] == 1
    torch.testing.assert_close(first, again, atol=0, rtol=0)
    pos.add_(1)                                       # same tensor, new values: a miss, new result
    moved = apply_rope(x, pos)
    assert _kernels.cache_info()["misses"] == 2
    assert_close_rel(moved, rope_complex(x, torch.arange(1, 6)), x, "interleaved", 1e-6)
    apply_rope(x, torch.arange(5).double())           # same numbers, other dtype: its own entry
    assert _kernels.cache_info()["misses"] == 3
    apply_rope(x, torch.arange(5), base=500.0)         # other base
    assert _kernels.cache_info()["misses"] == 4
    for i in range(20):
        apply_rope(x, torch.arange(5) + i)
    assert _kernels.cache_info()["entries"] <= 8
    _kernels.clear_cache()
    assert _kernels.cache_info() == {"entries": 0, "bytes": 0, "hits": 0, "misses": 0}


@pytest.mark.parametrize("call, match", [
    (lambda: apply_rope(torch.zeros(2, 3, 5), range(3)), "x.shape\\[-1\\]"),
    (lambda: apply_rope(torch.zeros(2, 3, 4), range(3), layout="x"), "layout"),
    (lambda: apply_rope(torch.zeros(2, 3, 4), range(2)), "positions"),
    (lambda: apply_rope_qk(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4), range(2)), "positions"),
])
def test_bad_input_is_refused_before_the_kernels_run(call, match, monkeypatch):
    # the kernels trust their caller: apply_rope must refuse a bad input before building a table
    def never(*args, **kwargs):
        raise AssertionError("a kernel ran on an input the core should have refused")

    monkeypatch.setattr(_kernels, "tables", never)
    monkeypatch.setattr(_kernels, "rotate_into", never)
    with pytest.raises(ValueError, match=match):
        call()
    with pytest.raises(AssertionError, match="a kernel ran"):   # a good input does reach the patched kernels
        apply_rope(torch.zeros(2, 3, 4), range(3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("layout", ["interleaved", "half"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_cuda_matches_cpu(layout, dtype):
    x = torch.randn(2, 4, 33, 64, generator=torch.Generator().manual_seed(13)).to(dtype)
    pos = torch.arange(33)
    y = apply_rope(x.cuda(), pos.cuda(), layout=layout).cpu()
    assert_close_rel(y, apply_rope(x, pos, layout=layout), x, layout, max(EPS[dtype], 2e-6))


# ---------------------------------------------------------------------------
# in place and out=: the same numbers as the reference forms, with numba and without
# ---------------------------------------------------------------------------

MODES = ["in_place", "out=x", "out", "out_view"]
NUMBA = ["on", "off"]
NUMBA_DTYPES = (torch.float32, torch.float64)


@contextlib.contextmanager
def numba_mode(mode: str):
    with (_kernels.numba_off() if mode == "off" else contextlib.nullcontext()):
        yield


def rotate(x: torch.Tensor, pos, layout: str, mode: str, base: float = 10000.0) -> torch.Tensor:
    """RoPE of x through one of the writing forms; returns the tensor holding the result."""
    if mode == "in_place":
        y = ropelab.apply_rope_(x, pos, base, layout=layout)
        assert y is x
    elif mode == "out=x":
        y = apply_rope(x, pos, base, layout=layout, out=x)
        assert y is x
    elif mode == "out_view":                      # the same memory under another tensor object
        view = x.view_as(x)
        y = apply_rope(x, pos, base, layout=layout, out=view)
        assert y is view and y.data_ptr() == x.data_ptr()
    else:
        out = torch.empty_like(x)
        y = apply_rope(x, pos, base, layout=layout, out=out)
        assert y is out
    return y


WRITABLE_KINDS = [k for k in KINDS if k != "expanded"]   # an expanded tensor cannot be written (tested below)


@given(data=st.data(), shape=shapes, layout=st.sampled_from(["interleaved", "half"]),
       dtype=st.sampled_from([torch.float32, torch.float64, torch.bfloat16, torch.float16]),
       kind=st.sampled_from(WRITABLE_KINDS), mode=st.sampled_from(MODES), numba=st.sampled_from(NUMBA),
       block=st.sampled_from([48, 1000, 1 << 20]))
def test_writing_forms_match_the_reference_forms(data, shape, layout, dtype, kind, mode, numba, block):
    x = make_input(data, shape, dtype, kind)
    pos = torch.arange(shape[-2]) * data.draw(st.sampled_from([1, 7]), label="step") + 3
    x0 = x.clone(memory_format=torch.contiguous_format)       # the input's values, before it is rotated
    with numba_mode(numba), block_bytes(block):
        new = apply_rope(x0, pos, layout=layout)
        y = rotate(x, pos, layout, mode)
    assert y.shape == x0.shape and y.dtype == dtype
    if mode == "out":
        torch.testing.assert_close(x, x0, atol=0, rtol=0)      # the input is untouched
    if dtype == torch.float32:
        refs = [ref(x0, pos) for ref in REFERENCES[layout]]
        if layout == "interleaved":
            refs.append(rope_matrix(x0, pos))
        for ref in refs:
            assert_close_rel(y, ref, x0, layout, 1e-6)
    elif dtype == torch.float64:
        assert_close_rel(y, torch.from_numpy(exact_rope(x0, pos, 1e4, layout, np.float64)), x0, layout, 1e-12)
    else:
        # rounded once from the float32 result (see test_half_precision_rounds_once_from_float32)
        y32 = apply_rope(x0.float(), pos, layout=layout)
        n = (EPS[torch.float32] * pair_norms(x0, layout)).float()
        assert ((y >= (y32 - n).to(dtype)) & (y <= (y32 + n).to(dtype))).all()
        for ref in REFERENCES[layout]:
            assert_close_rel(y, ref(x0, pos), x0, layout, 2.02 * EPS[dtype])
    if kind == "contiguous" and numba == "on" and dtype in NUMBA_DTYPES and _kernels.numba_status()["available"]:
        # the numba loops in place and into a buffer compute the same formula, without fused
        # multiply-adds: the same numbers as the out-of-place form, to the last bit. (The
        # PyTorch paths may differ in the last bit between in place and out of place, e.g.
        # PyTorch's vectorised and scalar complex multiplies.)
        torch.testing.assert_close(y, new, atol=0, rtol=0)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
@pytest.mark.parametrize("seq", [1, 37, 63, 64, 65, 200])
def test_numba_and_the_fallback_agree_on_every_token_block(layout, seq):
    # the numba loops split tokens into blocks of TOKEN_BLOCK: partial and single blocks too
    x = torch.randn(2, 3, seq, 32, generator=torch.Generator().manual_seed(seq))
    pos = torch.arange(seq)
    ref = REFERENCES[layout][0](x, pos)
    results = {}
    for numba in NUMBA:
        with numba_mode(numba):
            results[numba, "new"] = apply_rope(x, pos, layout=layout)
            results[numba, "in_place"] = rotate(x.clone(), pos, layout, "in_place")
            results[numba, "out"] = rotate(x, pos, layout, "out")
    for y in results.values():
        assert_close_rel(y, ref, x, layout, 1e-6)


def _same_numbers(a: torch.Tensor, b: torch.Tensor, x: torch.Tensor, layout: str) -> None:
    """Bit for bit on the numba path (one formula everywhere); within 1e-6 on the PyTorch path, whose
    in-place and out-of-place half layouts round the same products in a different order."""
    if _kernels.numba_status()["available"]:
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    else:
        assert_close_rel(a, b, x, layout, 1e-6)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_apply_rope_qk_writing_forms(layout):
    g = torch.Generator().manual_seed(21)
    q = torch.randn(2, 4, 9, 16, generator=g)
    k = torch.randn(2, 2, 9, 16, generator=g)                  # fewer key heads (GQA)
    pos = torch.arange(9) + 5
    qr, kr = apply_rope_qk(q, k, pos, layout=layout)
    q_out, k_out = torch.empty_like(q), torch.empty_like(k)
    res = apply_rope_qk(q, k, pos, layout=layout, out=(q_out, k_out))
    assert isinstance(res, tuple) and res[0] is q_out and res[1] is k_out
    _same_numbers(q_out, qr, q, layout)
    _same_numbers(k_out, kr, k, layout)
    qi, ki = q.clone(), k.clone()
    res = ropelab.apply_rope_qk_(qi, ki, pos, layout=layout)
    assert res[0] is qi and res[1] is ki
    _same_numbers(qi, qr, q, layout)
    _same_numbers(ki, kr, k, layout)
    qm, k_out = q.clone(), torch.empty_like(k)                # in place for q, into a buffer for k
    apply_rope_qk(qm, k, pos, layout=layout, out=[qm, k_out])
    _same_numbers(qm, qr, q, layout)
    _same_numbers(k_out, kr, k, layout)
    # slices of one packed tensor (B, S, 2, H, D) that do not overlap, rotated in place
    packed = torch.stack((q[:, :2], k), dim=2).transpose(1, 3).contiguous().transpose(1, 3)   # (B, 2, 2, S, D)
    qs, ks = packed[:, :, 0], packed[:, :, 1]
    ropelab.apply_rope_qk_(qs, ks, pos, layout=layout)          # strided: the fallback, rounded its own way
    assert_close_rel(qs, qr[:, :2], q[:, :2], layout, 1e-6)
    assert_close_rel(ks, kr, k, layout, 1e-6)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_writing_forms_on_empty_and_meta_tensors(layout):
    for shape in [(0, 4, 8), (3, 0, 8), (2, 0, 0, 4)]:
        x = torch.zeros(shape)
        assert ropelab.apply_rope_(x, torch.arange(shape[-2]), layout=layout) is x
        out = torch.empty_like(x)
        assert apply_rope(x, torch.arange(shape[-2]), layout=layout, out=out) is out
    x = torch.empty(2, 5, 8, device="meta")                    # shapes only: no data, no numba
    assert ropelab.apply_rope_(x, torch.arange(5), layout=layout) is x
    out = torch.empty_like(x)
    assert apply_rope(x, torch.arange(5), layout=layout, out=out) is out


# ---------------------------------------------------------------------------
# which path runs: numba where it can, the PyTorch fallback everywhere else
# ---------------------------------------------------------------------------

HAS_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")


@pytest.fixture
def fresh_numba():
    """numba's state forgotten before and after the test (so each test sees its own environment)."""
    _kernels.numba_reset()
    yield
    _kernels.numba_reset()


class PathSpy:
    """Counts calls of the numba launcher and of the PyTorch fallback."""

    def __init__(self, monkeypatch):
        self.numba = self.torch = 0
        launch, fallback = _kernels._launch, _kernels.torch_into

        def spy_launch(*args, **kwargs):
            self.numba += 1
            return launch(*args, **kwargs)

        def spy_fallback(*args, **kwargs):
            self.torch += 1
            return fallback(*args, **kwargs)

        monkeypatch.setattr(_kernels, "_launch", spy_launch)
        monkeypatch.setattr(_kernels, "torch_into", spy_fallback)


def run_every_form(layout: str, x: torch.Tensor | None = None) -> torch.Tensor:
    x = torch.randn(2, 3, 70, 16, generator=torch.Generator().manual_seed(22)) if x is None else x
    pos = torch.arange(x.shape[-2])
    ref = REFERENCES[layout][0](x, pos)
    for mode in ("new", *MODES):
        y = apply_rope(x, pos, layout=layout) if mode == "new" else rotate(x.clone(), pos, layout, mode)
        assert_close_rel(y, ref, x, layout, 1e-6)
    return x


@needs_numba
@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_numba_runs_for_dense_float32_and_float64_on_the_cpu(layout, monkeypatch, fresh_numba):
    spy = PathSpy(monkeypatch)
    run_every_form(layout)
    run_every_form(layout, torch.randn(2, 40, 8, dtype=torch.float64))
    # a model's q: q_proj(x).view(B, S, H, D).transpose(1, 2), i.e. (B, S, H, D) memory seen as (B, H, S, D)
    run_every_form(layout, torch.randn(2, 70, 3, 16).transpose(1, 2))
    assert spy.numba == 3 * (1 + len(MODES)) and spy.torch == 0
    assert _kernels.numba_status()["available"]


@needs_numba
@pytest.mark.parametrize("layout", ["interleaved", "half"])
@pytest.mark.parametrize("case", ["bfloat16", "float16", "padded_rows", "strided", "out_unlike_x", "grad",
                                  "numba_off"])
def test_the_fallback_runs_where_numba_cannot(layout, case, monkeypatch, fresh_numba):
    spy = PathSpy(monkeypatch)
    g = torch.Generator().manual_seed(23)
    x = torch.randn(2, 3, 20, 16, generator=g)
    pos = torch.arange(20)
    if case in ("bfloat16", "float16"):
        x = x.to(getattr(torch, case))
    elif case == "padded_rows":
        x = torch.randn(2, 3, 20, 18, generator=g)[..., :16]            # rows of 18, 16 used
    elif case == "strided":
        x = torch.randn(2, 3, 40, 16, generator=g)[:, :, ::2]
    elif case == "out_unlike_x":                                       # x transposed, out contiguous
        x = torch.randn(2, 20, 3, 16, generator=g).transpose(1, 2)
        ropelab.apply_rope(x, pos, layout=layout, out=torch.empty(x.shape))
        assert spy.numba == 0 and spy.torch == 1
        return
    if case == "grad":
        x.requires_grad_()
        y = apply_rope(x, pos, layout=layout)                            # the reference forms: no kernel
        assert y.requires_grad and spy.numba == 0
        return
    z = torch.empty_strided(x.shape, x.stride(), dtype=x.dtype).copy_(x)     # a copy with x's strides
    with (_kernels.numba_off() if case == "numba_off" else contextlib.nullcontext()):
        y = apply_rope(x, pos, layout=layout)
        ropelab.apply_rope_(z, pos, layout=layout)
    assert_close_rel(y, REFERENCES[layout][0](x.float(), pos), x.float(), layout,
                     1e-6 if x.dtype == torch.float32 else 2.02 * EPS[x.dtype])
    assert_close_rel(z, y.float(), x.float(), layout, 1e-6 if x.dtype == torch.float32 else 2.02 * EPS[x.dtype])
    assert spy.numba == 0 and spy.torch == 2


def _hide_numba(monkeypatch):
    """Make ``import numba`` fail, as if it were not installed."""
    import sys

    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "ropelab._numba_rope", raising=False)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_without_numba_installed_the_fallback_is_used(layout, monkeypatch, fresh_numba):
    _hide_numba(monkeypatch)
    spy = PathSpy(monkeypatch)
    run_every_form(layout)
    assert spy.numba == 0 and spy.torch == 1 + len(MODES)
    status = _kernels.numba_status()
    assert not status["available"] and "Error" in status["reason"] and "numba" in status["reason"]


@pytest.mark.parametrize("value", ["0", "off"])
def test_ropelab_numba_0_turns_numba_off(value, monkeypatch, fresh_numba):
    monkeypatch.setenv("ROPELAB_NUMBA", value)
    spy = PathSpy(monkeypatch)
    run_every_form("half")
    assert spy.numba == 0 and spy.torch == 1 + len(MODES)
    assert "ROPELAB_NUMBA" in _kernels.numba_status()["reason"]


def test_a_numba_that_fails_to_load_falls_back(monkeypatch, fresh_numba):
    import types

    broken = types.ModuleType("ropelab._numba_rope")

    def build(cache=True):
        raise OSError("libllvmlite.so: cannot open shared object file")

    broken.build = build
    monkeypatch.setitem(__import__("sys").modules, "ropelab._numba_rope", broken)
    spy = PathSpy(monkeypatch)
    run_every_form("half")
    assert spy.numba == 0
    assert "OSError" in _kernels.numba_status()["reason"]


@needs_numba
def test_no_writable_cache_folder_compiles_without_the_cache(monkeypatch, fresh_numba):
    import ropelab._numba_rope as nr

    real = nr.build

    def build(cache=True):
        if cache:
            raise RuntimeError("cannot cache function 'half_inplace': no locator available for file 'x.py'")
        return real(cache=False)

    monkeypatch.setattr(nr, "build", build)
    spy = PathSpy(monkeypatch)
    run_every_form("half")
    status = _kernels.numba_status()
    assert spy.numba > 0 and status["available"] and "compiled in every session" in status["cache_note"]
    assert status["cache_dir"] is None


def _run_child(code: str, env: dict | None = None, timeout: int = 240):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]), **(env or {}))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


CHILD_CHECK = """
import torch, ropelab
from ropelab import _kernels
x = torch.randn(2, 3, 70, 16)
y = x.clone(); ropelab.apply_rope_(y, torch.arange(70), layout="half")
assert (y - ropelab.rope_half(x, torch.arange(70))).abs().max() < 1e-5
s = _kernels.numba_status()
print(s["available"], s["cache_note"], s["reason"])
"""


@needs_numba
def test_real_numba_without_any_cache_locator_still_runs():
    # numba's own "cannot cache" error (no folder it may write to), raised by numba itself
    numba_config = pytest.importorskip("numba.core.config")
    if not hasattr(numba_config, "CACHE_LOCATOR_CLASSES"):
        pytest.skip("this numba cannot choose its cache locators")
    out = _run_child(CHILD_CHECK, {"NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator"})
    assert out.startswith("True no writable cache folder"), out


@needs_numba
@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_takes_the_fallback():
    code = """
import os, torch, ropelab
from ropelab import _kernels
x = torch.randn(1, 4, 128, 64); p = torch.arange(128)
ropelab.apply_rope_(x.clone(), p, layout="half")            # the parent runs numba's loops
assert _kernels.numba_status()["available"]
pid = os.fork()
if pid == 0:
    torch.set_num_threads(1)      # PyTorch's own OpenMP pool needs this in a forked child (DataLoader does it)
    y = x.clone(); ropelab.apply_rope_(y, p, layout="half")
    ok = bool((y - ropelab.rope_half(x, p)).abs().max() < 1e-5)
    s = _kernels.numba_status()
    os._exit(0 if ok and not s["available"] and "forked" in s["reason"] else 3)
print(os.waitpid(pid, 0)[1])
"""
    assert _run_child(code, timeout=120).strip() == "0"


@needs_numba
def test_numba_uses_as_many_threads_as_torch_and_one_for_small_tensors(fresh_numba):
    import numba

    x = torch.randn(1, 8, 256, 64)                 # 131072 elements: 4 grains
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            ropelab.apply_rope_(x, torch.arange(256), layout="half")
            assert numba.get_num_threads() == min(n, numba.config.NUMBA_NUM_THREADS)
        ropelab.apply_rope_(torch.randn(2, 8, 16), torch.arange(8), layout="half")    # below one grain
        assert numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert _kernels.numba_status()["threading_layer"] in ("omp", "tbb", "workqueue")


@needs_numba
def test_the_numba_operators_are_registered_with_meta_kernels():
    x = torch.randn(2, 8, 16)
    cos, sin = torch.rand(8, 8), torch.rand(8, 8)
    _kernels.numba_kernels()
    out = torch.empty_like(x)
    y = torch.ops.ropelab.rope_into(x, cos, sin, "half", out=out)
    assert y is out
    xm = torch.empty(2, 8, 16, device="meta")
    assert torch.ops.ropelab.rope_(xm, cos.to("meta"), sin.to("meta"), "half") is xm
    opcheck = getattr(torch.library, "opcheck", None)
    if opcheck is not None:
        opcheck(torch.ops.ropelab.rope_.default, (x.clone(), cos, sin, "interleaved"),
                test_utils=("test_schema", "test_faketensor"))


# ---------------------------------------------------------------------------
# autograd around the writing forms
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("layout", ["interleaved", "half"])
@pytest.mark.parametrize("mode", ["in_place", "out"])
def test_gradients_through_the_writing_forms(layout, mode):
    g = torch.Generator().manual_seed(24)
    a = torch.randn(2, 6, 8, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 6, 8, generator=g, dtype=torch.float64)
    p0 = torch.tensor([0.0, 1.5, 2.0, 7.25, 30.0, 100.0], dtype=torch.float64)
    grads = []
    for fn in ("writing", "reference"):
        a.grad = None
        p = p0.clone().requires_grad_()
        x = a * 1.0                                 # a non-leaf that requires grad
        if fn == "reference":
            y = _reference_rope(x, p, layout)
        elif mode == "in_place":
            y = ropelab.apply_rope_(x, p, layout=layout)
            assert y is x
        else:
            y = apply_rope(x, p, layout=layout, out=torch.empty_like(x))
        (y * w).sum().backward()
        grads.append((a.grad.clone(), p.grad.clone()))
    torch.testing.assert_close(grads[0], grads[1], atol=1e-10, rtol=1e-10)


def test_a_plain_tensor_rotated_in_place_with_positions_that_need_grad():
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    p = torch.arange(5.0, dtype=torch.float64).requires_grad_()
    y = ropelab.apply_rope_(x.clone(), p, layout="half")
    assert y.requires_grad
    y.sum().backward()
    p_ref = p.detach().clone().requires_grad_()
    _reference_rope(x, p_ref, "half").sum().backward()
    torch.testing.assert_close(p.grad, p_ref.grad, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
@pytest.mark.parametrize("numba", NUMBA)
def test_writes_bump_the_version_counter_so_autograd_notices(layout, numba):
    # a later operation saved x for its backward; rotating x in place must make that backward
    # fail (PyTorch's own check), not silently use the rotated values
    x = torch.randn(2, 70, 16)
    w = torch.randn(2, 70, 16, requires_grad=True)
    z = x * w                                        # saves x to compute w's gradient
    v = x._version
    with numba_mode(numba):
        ropelab.apply_rope_(x, torch.arange(70), layout=layout)
    assert x._version > v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    out = torch.zeros(2, 70, 16)
    z = out * w
    with numba_mode(numba):
        apply_rope(x, torch.arange(70), layout=layout, out=out)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_no_grad_allows_writing_a_leaf_that_requires_grad():
    x = torch.randn(2, 6, 8, requires_grad=True)
    ref = rope_half(x.detach(), torch.arange(6))
    with torch.no_grad():
        ropelab.apply_rope_(x, torch.arange(6), layout="half")
    assert_close_rel(x.detach(), ref, ref, "half", 1e-6)


def test_inference_tensors_are_written_inside_inference_mode():
    with torch.inference_mode():
        x = torch.randn(2, 6, 8)
        ref = rope_half(x, torch.arange(6))
        ropelab.apply_rope_(x, torch.arange(6), layout="half")
        assert_close_rel(x, ref, ref, "half", 1e-6)
