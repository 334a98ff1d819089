"""Unit and property tests of ropelab.rope: the four RoPE forms, frequencies, layouts, validation.

Expected values come from independent formulas (NumPy float64, explicit loops), never
from the function under test.
"""
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab import (
    angles,
    apply_rope,
    apply_rope_qk,
    half_to_interleaved,
    half_to_interleaved_index,
    interleaved_to_half,
    interleaved_to_half_index,
    inv_freq,
    rope_complex,
    rope_from_angles,
    rope_half,
    rope_interleaved,
    rope_matrix,
    rotation_matrix,
    sinusoidal_pe,
    wavelengths,
)

FORMS_INTERLEAVED = [rope_matrix, rope_complex, rope_interleaved]


def np_inv_freq(dim, base):
    return base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def loop_rope_interleaved(x, positions, base):
    """RoPE written with explicit loops over tokens and pairs, in float64."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    seq, dim = x.shape[-2], x.shape[-1]
    freqs = np_inv_freq(dim, base)
    for s in range(seq):
        for i in range(dim // 2):
            a = positions[s] * freqs[i]
            c, si = math.cos(a), math.sin(a)
            x1, x2 = x[..., s, 2 * i], x[..., s, 2 * i + 1]
            out[..., s, 2 * i] = x1 * c - x2 * si
            out[..., s, 2 * i + 1] = x1 * si + x2 * c
    return out


shapes = st.tuples(
    st.lists(st.integers(1, 3), min_size=0, max_size=2),  # leading dims
    st.integers(1, 9),                                      # seq
    st.integers(1, 8).map(lambda h: 2 * h),                 # dim
)


@st.composite
def rope_inputs(draw, max_pos=200.0):
    lead, seq, dim = draw(shapes)
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*lead, seq, dim, generator=gen)
    kind = draw(st.sampled_from(["int", "float", "negative"]))
    if kind == "int":
        pos = torch.randint(0, int(max_pos), (seq,), generator=gen)
    elif kind == "float":
        pos = torch.rand(seq, generator=gen) * max_pos
    else:
        pos = torch.randint(-int(max_pos), int(max_pos), (seq,), generator=gen)
    base = draw(st.sampled_from([10000.0, 500000.0, 100.0]))
    return x, pos, base


# ---------------------------------------------------------------------------
# frequencies, angles, matrices
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [2, 8, 64, 128])
@pytest.mark.parametrize("base", [10000.0, 500000.0, 10.0])
def test_inv_freq_matches_formula(dim, base):
    got = inv_freq(dim, base)
    assert got.dtype == torch.float32 and got.shape == (dim // 2,)
    np.testing.assert_allclose(got.numpy(), np_inv_freq(dim, base), rtol=1e-6)


def test_inv_freq_dim8_is_the_curriculum_example():
    # the InternLM blog's worked example: dim 8, base 10000 -> [1, 0.1, 0.01, 0.001]
    np.testing.assert_allclose(inv_freq(8).numpy(), [1.0, 0.1, 0.01, 0.001], rtol=1e-6)


def test_angles_outer_product():
    pos = [0, 1, 5, -3, 2.5]
    got = angles(pos, 6, 100.0)
    assert got.dtype == torch.float32 and got.shape == (5, 3)
    np.testing.assert_allclose(got.numpy(), np.outer(pos, np_inv_freq(6, 100.0)), rtol=1e-6, atol=1e-7)


def test_angles_are_float32_even_for_half_precision_positions():
    pos = torch.arange(0, 4000, 7).to(torch.bfloat16)
    got = angles(pos, 8)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), np.outer(pos.double().numpy(), np_inv_freq(8, 1e4)), rtol=1e-6)


def test_rotation_matrix_blocks():
    m, dim = 3.0, 6
    R = rotation_matrix(m, dim).double().numpy()
    freqs = np_inv_freq(dim, 1e4)
    expected = np.zeros((dim, dim))
    for i, f in enumerate(freqs):
        c, s = math.cos(m * f), math.sin(m * f)
        expected[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, -s], [s, c]]
    np.testing.assert_allclose(R, expected, atol=1e-6)
    np.testing.assert_allclose(R @ R.T, np.eye(dim), atol=1e-6)


def test_rotation_matrix_composes_like_angles():
    # R_m R_n = R_{m+n} and R_m^T = R_{-m}
    a, b = rotation_matrix(4, 8), rotation_matrix(-9, 8)
    torch.testing.assert_close(a @ b, rotation_matrix(-5, 8), atol=1e-5, rtol=0)
    torch.testing.assert_close(a.T, rotation_matrix(-4, 8), atol=1e-6, rtol=0)


# ---------------------------------------------------------------------------
# the four forms
# ---------------------------------------------------------------------------

def _all_interleaved_forms():
    return FORMS_INTERLEAVED + [lambda x, p, b: apply_rope(x, p, b, layout="interleaved")]


@given(rope_inputs())
def test_interleaved_forms_agree_in_float32(inp):
    x, pos, base = inp
    ref = rope_interleaved(x, pos, base)
    for form in _all_interleaved_forms():
        got = form(x, pos, base)
        assert got.shape == x.shape and got.dtype == x.dtype
        torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


@given(rope_inputs())
def test_interleaved_forms_match_loop_reference_in_float64(inp):
    # float64 input is computed in float64 throughout, so the formulas can be checked tightly
    x, pos, base = inp
    x = x.double()
    expected = loop_rope_interleaved(x.numpy(), pos.double().numpy(), base)
    for form in _all_interleaved_forms():
        np.testing.assert_allclose(form(x, pos, base).numpy(), expected, atol=1e-9, rtol=1e-9)


@given(rope_inputs())
def test_half_form_is_interleaved_form_up_to_the_permutation(inp):
    x, pos, base = inp
    via_interleaved = interleaved_to_half(rope_interleaved(half_to_interleaved(x), pos, base))
    torch.testing.assert_close(rope_half(x, pos, base), via_interleaved, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(apply_rope(x, pos, base, layout="half"), via_interleaved, atol=1e-5, rtol=1e-5)


@given(rope_inputs())
def test_rotation_preserves_every_pair_norm(inp):
    x, pos, base = inp
    y = rope_interleaved(x, pos, base)
    n_x = x.double().reshape(*x.shape[:-1], -1, 2).norm(dim=-1)
    n_y = y.double().reshape(*y.shape[:-1], -1, 2).norm(dim=-1)
    torch.testing.assert_close(n_y, n_x, atol=1e-5, rtol=1e-5)
    h = rope_half(x, pos, base).double()
    half = x.shape[-1] // 2
    n_h = (h[..., :half] ** 2 + h[..., half:] ** 2).sqrt()
    n_xh = (x.double()[..., :half] ** 2 + x.double()[..., half:] ** 2).sqrt()
    torch.testing.assert_close(n_h, n_xh, atol=1e-5, rtol=1e-5)


@given(st.integers(1, 8).map(lambda h: 2 * h), st.integers(-300, 300), st.integers(-300, 300),
       st.integers(-300, 300), st.integers(0, 2**31 - 1), st.sampled_from(["interleaved", "half"]))
def test_score_depends_only_on_relative_position(dim, m, n, shift, seed, layout):
    gen = torch.Generator().manual_seed(seed)
    q, k = torch.randn(2, 1, dim, generator=gen, dtype=torch.float64)
    def score(a, b):
        return float(apply_rope(q, [a], layout=layout)[0] @ apply_rope(k, [b], layout=layout)[0])
    assert score(m, n) == pytest.approx(score(m + shift, n + shift), abs=1e-9)
    # and it equals q^T R_{n-m} k (the RoFormer identity), interleaved layout
    if layout == "interleaved":
        R = np.zeros((dim, dim))
        for i, f in enumerate(np_inv_freq(dim, 1e4)):
            c, s = math.cos((n - m) * f), math.sin((n - m) * f)
            R[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, -s], [s, c]]
        expected = float(q[0].numpy() @ R @ k[0].numpy())
        assert score(m, n) == pytest.approx(expected, abs=1e-9)


@given(rope_inputs())
def test_rotating_by_m_then_minus_m_is_identity(inp):
    x, pos, base = inp
    for layout in ("interleaved", "half"):
        back = apply_rope(apply_rope(x, pos, base, layout=layout), -pos, base, layout=layout)
        torch.testing.assert_close(back, x, atol=1e-5, rtol=1e-5)


@given(st.integers(1, 16).map(lambda h: 2 * h), st.integers(0, 2**31 - 1))
def test_layout_permutation_round_trips(dim, seed):
    x = torch.randn(3, dim, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(half_to_interleaved(interleaved_to_half(x)), x, atol=0, rtol=0)
    torch.testing.assert_close(interleaved_to_half(half_to_interleaved(x)), x, atol=0, rtol=0)
    p, q = interleaved_to_half_index(dim), half_to_interleaved_index(dim)
    assert torch.equal(p[q], torch.arange(dim)) and torch.equal(q[p], torch.arange(dim))


def test_layout_index_small_example():
    # interleaved pairs (0,1) (2,3) (4,5) become half pairs (0,3) (1,4) (2,5)
    assert interleaved_to_half_index(6).tolist() == [0, 2, 4, 1, 3, 5]
    assert half_to_interleaved_index(6).tolist() == [0, 3, 1, 4, 2, 5]


def test_rope_from_angles_matches_positions_form():
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(1))
    pos = torch.tensor([0, 3, 1, 7, 2])
    table = torch.tensor(np.outer(pos.numpy(), np_inv_freq(8, 1e4)), dtype=torch.float32)
    torch.testing.assert_close(rope_from_angles(x, table), rope_interleaved(x, pos), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(rope_from_angles(x, table, "half"), rope_half(x, pos), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
@pytest.mark.parametrize("form", FORMS_INTERLEAVED + [rope_half, apply_rope])
def test_dtype_is_preserved_and_result_close_to_float64(dtype, form):
    x = torch.randn(2, 7, 16, generator=torch.Generator().manual_seed(2)).to(dtype)
    pos = torch.arange(7) * 13
    y = form(x, pos)
    assert y.dtype == dtype and y.shape == x.shape
    exact = form(x.double(), pos)
    tol = {torch.bfloat16: 2e-2, torch.float16: 2e-3, torch.float64: 1e-12}[dtype]
    torch.testing.assert_close(y.double(), exact, atol=tol, rtol=tol)


def test_positions_accept_range_list_tensor_and_numpy():
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(3))
    ref = apply_rope(x, torch.arange(4))
    for pos in (range(4), [0, 1, 2, 3], (0, 1, 2, 3), np.arange(4)):
        torch.testing.assert_close(apply_rope(x, pos), ref, atol=0, rtol=0)


def test_fractional_positions_interpolate():
    # position interpolation: positions m / s rotate by (m / s) * theta
    x = torch.randn(1, 8, 4, generator=torch.Generator().manual_seed(4))
    pos = torch.arange(8) / 4.0
    expected = loop_rope_interleaved(x.numpy(), pos.double().numpy(), 1e4)
    np.testing.assert_allclose(rope_interleaved(x, pos).numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(rope_interleaved(x.double(), pos.double()).numpy(), expected, atol=1e-12)


def test_sinusoidal_pe_formula():
    pe = sinusoidal_pe(50, 10)
    assert pe.shape == (50, 10) and pe.dtype == torch.float32
    for pos in (0, 1, 17, 49):
        for i in range(5):
            a = pos / 10000 ** (2 * i / 10)
            assert pe[pos, 2 * i].item() == pytest.approx(math.sin(a), abs=1e-6)
            assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(a), abs=1e-6)


def test_wavelengths_range_from_2pi_towards_2pi_base():
    T = wavelengths(128).numpy()
    assert T[0] == pytest.approx(2 * math.pi)
    assert T[-1] == pytest.approx(2 * math.pi * 10000 ** (126 / 128), rel=1e-6)
    assert np.all(np.diff(T) > 0)


def test_nothing_changes_the_input():
    x = torch.randn(2, 3, 8, generator=torch.Generator().manual_seed(5))
    before = x.clone()
    for form in FORMS_INTERLEAVED + [rope_half, apply_rope]:
        form(x, range(3))
    assert torch.equal(x, before)


# ---------------------------------------------------------------------------
# validation: every bad input names its argument
# ---------------------------------------------------------------------------

X = torch.zeros(2, 4, 8)

BAD_CALLS = [
    (lambda: inv_freq(7), ValueError, "dim"),
    (lambda: inv_freq(0), ValueError, "dim"),
    (lambda: inv_freq(8.0), TypeError, "dim"),
    (lambda: inv_freq(8, base=-1.0), ValueError, "base"),
    (lambda: angles([[0, 1]], 8), ValueError, "positions"),
    (lambda: angles("abc", 8), TypeError, "positions"),
    (lambda: rotation_matrix(1, 5), ValueError, "dim"),
    (lambda: rotation_matrix(torch.arange(3), 4), ValueError, "position"),
    (lambda: apply_rope(torch.zeros(2, 4, 7), range(4)), ValueError, "dim"),
    (lambda: apply_rope(X, range(3)), ValueError, "positions"),
    (lambda: apply_rope(X.long(), range(4)), TypeError, "x"),
    (lambda: apply_rope(X.numpy(), range(4)), TypeError, "x"),
    (lambda: apply_rope(torch.zeros(8), range(1)), ValueError, "x"),
    (lambda: apply_rope(X, torch.zeros(2, 4)), ValueError, "positions"),
    (lambda: apply_rope(X, torch.ones(4, dtype=torch.bool)), TypeError, "positions"),
    (lambda: apply_rope(X, torch.tensor([0, 1, float("nan"), 3])), ValueError, "positions"),
    (lambda: apply_rope(X, range(4), layout="rotate_half"), ValueError, "layout"),
    (lambda: rope_from_angles(X, torch.zeros(4, 3)), ValueError, "angle_table"),
    (lambda: rope_from_angles(X, torch.zeros(5, 4)), ValueError, "angle_table"),
    (lambda: rope_from_angles(X, torch.zeros(4, 4), layout="x"), ValueError, "layout"),
    (lambda: rope_half(X, range(5)), ValueError, "positions"),
    (lambda: rope_complex(X.int(), range(4)), TypeError, "x"),
    (lambda: rope_matrix(torch.zeros(3, 5), range(3)), ValueError, "dim"),
    (lambda: interleaved_to_half(torch.zeros(3, 5)), ValueError, "dim"),
    (lambda: half_to_interleaved([1, 2]), TypeError, "x"),
    (lambda: sinusoidal_pe(-1, 8), ValueError, "num_positions"),
    (lambda: sinusoidal_pe(10, 9), ValueError, "dim"),
]


@pytest.mark.parametrize("call,exc,name", BAD_CALLS, ids=[f"bad{i}" for i in range(len(BAD_CALLS))])
def test_bad_input_raises_naming_the_argument(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert name in str(info.value)


def test_error_messages_show_expected_and_given():
    with pytest.raises(ValueError) as info:
        apply_rope(X, range(3))
    msg = str(info.value)
    assert "4" in msg and "3" in msg and "seq" in msg
    with pytest.raises(ValueError) as info:
        rope_from_angles(X, torch.zeros(4, 3))
    assert "(4, 4)" in str(info.value) and "dim = 8" in str(info.value)


def test_public_names_are_exported():
    for name in ropelab.rope.__all__:
        assert getattr(ropelab, name) is getattr(ropelab.rope, name)


def test_views_with_odd_offsets_and_strided_positions_work():
    # a slice that starts at an odd storage offset cannot be viewed as complex numbers directly
    base = torch.randn(3, 10, generator=torch.Generator().manual_seed(6))
    x = base[:1, 1:9]
    assert x.storage_offset() % 2 == 1
    grid = torch.arange(12).view(3, 4)
    pos = grid[:1, 0]  # a one-element column slice: stride 4
    expected = loop_rope_interleaved(x.numpy(), [0.0], 1e4)
    for form in _all_interleaved_forms():
        np.testing.assert_allclose(form(x, pos, 1e4).numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(rope_from_angles(x, angles(pos, 8)).numpy(), expected, atol=1e-6)
    torch.testing.assert_close(apply_rope(base[:3, :8], grid[:, 0]), apply_rope(base[:3, :8], [0, 4, 8]))


# ---------------------------------------------------------------------------
# in place and out=: what may be written, and the errors for what may not
# ---------------------------------------------------------------------------

def _exp_output():
    return torch.zeros(2, 4, 8, requires_grad=True).exp()     # exp saves its result for backward


class _SavesOutput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x * 2
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def _inference_tensor():
    with torch.inference_mode():
        return torch.zeros(2, 4, 8)


_BUF = torch.zeros(2 * 4 * 8 + 8)
_Q, _K = torch.zeros(2, 4, 8), torch.zeros(2, 4, 8)

BAD_WRITES = [
    (lambda: apply_rope(X, range(4), out=torch.zeros(2, 4, 6)), ValueError,
     ["out", "shape (2, 4, 8)", "(2, 4, 6)", "torch.empty_like(x)"]),
    (lambda: apply_rope(X, range(4), out=torch.zeros(2, 4, 8, dtype=torch.float64)), TypeError,
     ["out", "dtype torch.float32", "torch.float64", "empty_like"]),
    (lambda: apply_rope(X, range(4), out=torch.zeros(2, 4, 8, dtype=torch.int32)), TypeError, ["out", "int32"]),
    (lambda: apply_rope(X, range(4), out=torch.zeros(2, 4, 8, device="meta")), ValueError,
     ["out", "device cpu", "meta", "empty_like"]),
    (lambda: apply_rope(X, range(4), out=np.zeros((2, 4, 8), np.float32)), TypeError,
     ["out", "torch.Tensor", "ndarray"]),
    (lambda: apply_rope(_BUF[:64].view(2, 4, 8), range(4), out=_BUF[8:72].view(2, 4, 8)), ValueError,
     ["out", "shares memory with x", "out=x", "empty_like"]),
    (lambda: ropelab.apply_rope_(torch.zeros(1, 4, 8).expand(3, 4, 8), range(4)), ValueError,
     ["x", "share memory", "expand", "clone()"]),
    (lambda: apply_rope(X, range(4), out=torch.zeros(1, 4, 8).expand(2, 4, 8)), ValueError, ["out", "expand"]),
    (lambda: ropelab.apply_rope_(torch.zeros(2, 4, 8, requires_grad=True), range(4)), ValueError,
     ["x", "requires grad", "leaf", "torch.no_grad()", "ropelab.apply_rope(x, positions)"]),
    (lambda: ropelab.apply_rope_(torch.zeros(2, 4, 8, requires_grad=True)[0], range(4)), ValueError,
     ["a view of a leaf tensor", "requires grad"]),
    (lambda: (lambda x: apply_rope(x, range(4), out=x))(torch.zeros(2, 4, 8, requires_grad=True)), ValueError,
     ["x", "leaf", "in place"]),
    (lambda: apply_rope(X, range(4), out=torch.zeros(2, 4, 8, requires_grad=True)), ValueError,
     ["out", "leaf", "through out="]),
    (lambda: ropelab.apply_rope_(_exp_output(), range(4)), ValueError,
     ["x", "needed for the backward pass", "ExpBackward0", "clone()"]),
    (lambda: ropelab.apply_rope_(_SavesOutput.apply(torch.zeros(2, 4, 8, requires_grad=True)), range(4)),
     ValueError, ["x", "backward pass", "_SavesOutputBackward"]),
    (lambda: ropelab.apply_rope_(_exp_output()[0], range(4)), ValueError, ["backward pass"]),
    (lambda: ropelab.apply_rope_(_inference_tensor(), range(4)), ValueError,
     ["x", "torch.inference_mode()", "clone()"]),
    (lambda: ropelab.apply_rope_("x", range(4)), TypeError, ["x", "torch.Tensor"]),
    (lambda: ropelab.apply_rope_(X, range(3)), ValueError, ["positions"]),
    (lambda: ropelab.apply_rope_(X, range(4), layout="neox"), ValueError, ["layout"]),
    (lambda: apply_rope_qk(_Q, _K, range(4), out=torch.zeros(2, 4, 8)), TypeError,
     ["out", "pair (q_out, k_out)", "Tensor"]),
    (lambda: apply_rope_qk(_Q, _K, range(4), out=(torch.zeros(2, 4, 8),)), TypeError, ["out", "length 1"]),
    (lambda: apply_rope_qk(_Q, _K, range(4), out=(torch.zeros(2, 4, 6), torch.zeros(2, 4, 8))), ValueError,
     ["out[0] (q_out)", "q's shape"]),
    (lambda: apply_rope_qk(_Q, _K, range(4), out=(torch.zeros(2, 4, 8), torch.zeros(2, 4, 8).double())),
     TypeError, ["out[1] (k_out)", "k's dtype"]),
    (lambda: apply_rope_qk(_Q, _K, range(4), out=(_K, torch.zeros(2, 4, 8))), ValueError,
     ["out[0] (q_out)", "shares memory with k", "before it is rotated"]),
    (lambda: apply_rope_qk(_Q, _K, range(4), out=(torch.zeros(2, 4, 8), _Q)), ValueError,
     ["out[1] (k_out)", "shares memory with q"]),
    (lambda: (lambda b: apply_rope_qk(_Q, _K, range(4), out=(b, b)))(torch.zeros(2, 4, 8)), ValueError,
     ["out[0] (q_out)", "out[1] (k_out)", "overwrite the other"]),
    (lambda: ropelab.apply_rope_qk_(_Q, _Q, range(4)), ValueError, ["q and k share memory", "twice"]),
    (lambda: ropelab.apply_rope_qk_(_Q, torch.zeros(2, 4, 8, requires_grad=True), range(4)), ValueError,
     ["k", "leaf", "ropelab.apply_rope_qk(q, k, positions)"]),
    (lambda: ropelab.apply_rope_qk_(_Q, torch.zeros(2, 5, 8), range(4)), ValueError, ["q and k", "seq"]),
]


@pytest.mark.parametrize("call,exc,words", BAD_WRITES, ids=[f"bad_write{i}" for i in range(len(BAD_WRITES))])
def test_bad_writes_raise_naming_the_argument_and_the_fix(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), f"{w!r} not in: {info.value}"


def test_writing_errors_are_raised_before_anything_is_written(monkeypatch):
    from ropelab import _kernels

    def never(*args, **kwargs):
        raise AssertionError("a kernel ran on an input the core should have refused")

    monkeypatch.setattr(_kernels, "tables", never)
    monkeypatch.setattr(_kernels, "rotate_into", never)
    for call, exc, _ in BAD_WRITES:
        with pytest.raises(exc):
            call()
    # q is checked together with k: an unwritable k leaves q as it was
    q = torch.randn(2, 4, 8)
    q0 = q.clone()
    with pytest.raises(ValueError, match="k"):
        ropelab.apply_rope_qk_(q, torch.zeros(2, 4, 8, requires_grad=True), range(4))
    assert torch.equal(q, q0)


def test_what_may_be_written():
    x = torch.randn(2, 4, 8, generator=torch.Generator().manual_seed(31))
    ref = apply_rope(x, range(4))
    # out=x, out= a view of exactly x's memory, apply_rope_: all in place
    for target in ("x", "view", "inplace"):
        y = x.clone()
        if target == "x":
            r = apply_rope(y, range(4), out=y)
        elif target == "view":
            r = apply_rope(y, range(4), out=y[:])
        else:
            r = ropelab.apply_rope_(y, range(4))
        torch.testing.assert_close(y, ref, atol=0, rtol=0)
        assert r.data_ptr() == y.data_ptr()
    # interleaved slices of one tensor share no element: each may be written from the other
    buf = torch.randn(2, 4, 16, generator=torch.Generator().manual_seed(32))
    src, dst = buf[..., 0::2], buf[..., 1::2]
    src0 = src.clone()
    apply_rope(src, range(4), out=dst)
    torch.testing.assert_close(src, src0, atol=0, rtol=0)
    torch.testing.assert_close(dst, apply_rope(src0, range(4)), atol=1e-6, rtol=0)
    # a non-leaf that requires grad may be rotated in place; so may a leaf under no_grad
    a = torch.randn(2, 4, 8, requires_grad=True)
    y = a * 1.0
    assert ropelab.apply_rope_(y, range(4)).grad_fn is not None
    with torch.no_grad():
        ropelab.apply_rope_(a, range(4))


def test_the_writing_forms_are_public():
    for name in ("apply_rope_", "apply_rope_qk_"):
        assert name in ropelab.rope.__all__ and callable(getattr(ropelab, name))
    import inspect

    assert "out" in inspect.signature(apply_rope).parameters
    assert inspect.signature(apply_rope_qk).parameters["out"].kind is inspect.Parameter.KEYWORD_ONLY
