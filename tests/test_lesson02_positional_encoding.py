"""Lesson 02 (positional encoding): ropelab.lesson02_positional_encoding.

* ``figures``: the sinusoidal-encoding helpers and figures. Expected values are computed
  here from the formulas with ``math`` (or brute force), never with the function under test.
* ``attention``: the tiny self-attention. References are independent: a float64 softmax
  written out here, and PyTorch's own ``scaled_dot_product_attention``.
* ``shift``: the shift property ``PE[pos + k] = M(k) PE[pos]``, checked against an encoding
  written out with NumPy, and its figure.
* ``exercises``: the solutions pass, and plausible wrong answers fail with the right
  diagnosis. The references are checked against the formulas written out with ``math``; the
  prediction's answer is counted here by hand and with ``circle_coverage``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab import lesson02_positional_encoding as lesson02
from ropelab.exercises import check, get_exercise
from ropelab.lesson02_positional_encoding import (
    attention_weights,
    binary_analogy_figure,
    binary_digits,
    binary_sinusoids,
    circle_coverage,
    extrapolation_figure,
    measured_periods,
    nearest_trained_similarity,
    pe_columns,
    pe_heatmap,
    period_figure,
    projection_weights,
    self_attention,
)
from ropelab.lesson02_positional_encoding.attention import attention
from solutions import lesson02_positional_encoding as sol


def period_formula(i: int, d: int, base: float = 10000.0) -> float:
    return 2 * math.pi * base ** (2 * i / d)


def pe_formula(pos: float, j: int, d: int, base: float = 10000.0) -> float:
    i = j // 2
    a = pos / base ** (2 * i / d)
    return math.sin(a) if j % 2 == 0 else math.cos(a)


# ---------------------------------------------------------------------------
# measured periods
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("d, base", [(8, 100.0), (16, 1000.0), (64, 10000.0), (6, 50.0)])
def test_measured_periods_match_the_formula(d, base):
    rows = math.ceil(period_formula(d // 2 - 1, d, base)) + 2
    measured = measured_periods(ropelab.sinusoidal_pe(rows, d, base))
    expected = torch.tensor([period_formula(i, d, base) for i in range(d // 2)], dtype=torch.float64)
    assert measured.dtype == torch.float64 and measured.shape == (d // 2,)
    # linear interpolation of the last crossing, spread over the number of periods in the table
    torch.testing.assert_close(measured, expected, rtol=5e-4, atol=0)


@given(periods=st.lists(st.floats(2.5, 40.0), min_size=1, max_size=5))
def test_measured_periods_of_synthetic_sines(periods):
    """A table made of plain sines (not sinusoidal_pe): the measurement finds their periods."""
    n = 400
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    P = torch.tensor(periods, dtype=torch.float64)
    table = torch.zeros(n, 2 * len(periods), dtype=torch.float64)
    table[:, 0::2] = torch.sin(2 * math.pi * pos / P)
    table[:, 1::2] = torch.cos(2 * math.pi * pos / P)
    # linear interpolation of a crossing is off by < 0.1 of a step; averaged over >= 10 periods
    torch.testing.assert_close(measured_periods(table), P, rtol=0, atol=0.02)


def test_measured_period_is_nan_without_a_full_period():
    m = measured_periods(ropelab.sinusoidal_pe(50, 8))
    assert m[0] == pytest.approx(2 * math.pi, rel=1e-3)   # period 6.28 fits
    assert math.isnan(m[2]) and math.isnan(m[3])         # periods 628 and 6283 do not


def test_measured_periods_validation():
    with pytest.raises(ValueError, match="pe must have 2 dimensions"):
        measured_periods(torch.zeros(10))
    with pytest.raises(ValueError, match="positive even integer"):
        measured_periods(torch.zeros(10, 3))
    with pytest.raises(TypeError, match="pe must be a torch.Tensor"):
        measured_periods([[0.0, 1.0]])


# ---------------------------------------------------------------------------
# the number-system analogy
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("n, bits", [(16, 4), (64, 6), (10, 5)])
def test_binary_digits_match_python_binary_strings(n, bits):
    got = binary_digits(n, bits)
    assert got.shape == (n, bits)
    for pos in range(n):
        text = format(pos, f"0{bits}b")                # most significant first
        assert got[pos].tolist() == [int(c) for c in reversed(text)]


@pytest.mark.parametrize("n, bits", [(16, 4), (256, 8)])
def test_sinusoid_signs_are_the_binary_digits(n, bits):
    waves = binary_sinusoids(n, bits)
    for pos in range(n):
        for k in range(bits):
            digit = (pos // 2 ** k) % 2
            assert (waves[pos, k] > 0) == (digit == 1)
            # and the wave really has period 2^(k+1)
            assert waves[pos, k].item() == pytest.approx(-math.sin(math.pi * (pos + 0.5 + 2 ** (k + 1)) / 2 ** k),
                                                         abs=1e-9)


def test_analogy_validation():
    with pytest.raises(ValueError, match="n must be >= 1"):
        binary_digits(0)
    with pytest.raises(TypeError, match="bits must be an integer"):
        binary_sinusoids(4, 2.0)


# ---------------------------------------------------------------------------
# extrapolation
# ---------------------------------------------------------------------------

def test_nearest_trained_similarity_brute_force():
    trained, total, d = 5, 12, 4

    def vec(p):
        return [pe_formula(p, j, d) for j in range(d)]

    def cos_sim(a, b):
        return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))

    got = nearest_trained_similarity(trained, total, d)
    for p in range(total):
        expected = max(cos_sim(vec(p), vec(n)) for n in range(trained))
        assert got[p].item() == pytest.approx(expected, abs=1e-6)


def test_positions_beyond_training_are_unlike_trained_ones():
    best = nearest_trained_similarity(128, 1024, 64)
    assert torch.allclose(best[:128], torch.ones(128, dtype=torch.float64))
    assert best[129:].max() < 0.97
    assert best[256:].max() < 0.6


@pytest.mark.parametrize("trained, d", [(128, 64), (10, 8), (1, 4)])
def test_circle_coverage_formula(trained, d):
    got = circle_coverage(trained, d)
    for i in range(d // 2):
        expected = min(1.0, (trained - 1) / period_formula(i, d))
        assert got[i].item() == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_extrapolation_validation():
    with pytest.raises(ValueError, match="total must be >= 128"):
        nearest_trained_similarity(128, 100, 8)
    with pytest.raises(ValueError, match="trained must be >= 1"):
        circle_coverage(0, 8)


# ---------------------------------------------------------------------------
# figures: their data is what the formulas say
# ---------------------------------------------------------------------------

def test_heatmap_shows_the_encoding():
    fig = pe_heatmap(num_positions=20, dim=8)
    data = np.asarray(fig.axes[0].images[0].get_array())
    assert data.shape == (20, 8)
    expected = np.array([[pe_formula(p, j, 8) for j in range(8)] for p in range(20)])
    np.testing.assert_allclose(data, expected, atol=1e-6)
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_columns_figure_dots_and_curves():
    fig = pe_columns(pairs=(0, 2), num_positions=30, dim=16)
    axes = [ax for ax in fig.axes]
    assert len(axes) == 2
    for ax, i in zip(axes, (0, 2)):
        line, dots = ax.lines[0], ax.lines[1]
        x, y = dots.get_data()
        np.testing.assert_allclose(y, [pe_formula(p, 2 * i, 16) for p in range(30)], atol=1e-6)
        xs, ys = line.get_data()
        np.testing.assert_allclose(ys, [math.sin(p / 10000 ** (2 * i / 16)) for p in xs], atol=1e-5)
        assert f"T = {period_formula(i, 16):.1f}" in " ".join(t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="pairs must lie in"):
        pe_columns(pairs=(8,), dim=16)


def test_period_figure_plots_formula_and_measurement():
    fig = period_figure(dim=16, base=1000.0)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    formula_line, measured_line = ax.lines[0], ax.lines[1]
    expected = [period_formula(i, 16, 1000.0) for i in range(8)]
    np.testing.assert_allclose(formula_line.get_ydata(), expected, rtol=1e-12)
    np.testing.assert_allclose(measured_line.get_ydata(), expected, rtol=1e-4)


def test_binary_figure_shows_digits_and_signs():
    fig = binary_analogy_figure(16)
    digits_ax, waves_ax, pe_ax = fig.axes
    # the digit printed in row p, column k
    for t in digits_ax.texts:
        k, p = (int(round(c)) for c in t.get_position())
        assert t.get_text() == str((p >> k) & 1)
    signs = {(int(round(t.get_position()[1])), int(round(t.get_position()[0]))): t.get_text()
             for t in waves_ax.texts}
    assert len(signs) == 64
    assert all((s == "+") == ((p >> k) & 1 == 1) for (p, k), s in signs.items())
    pe_values = np.asarray(pe_ax.images[0].get_array())
    np.testing.assert_allclose(pe_values, [[pe_formula(p, 2 * i, 8) for i in range(4)] for p in range(16)],
                               atol=1e-6)


def test_extrapolation_figure_bars_are_the_coverage():
    fig = extrapolation_figure(trained=64, total=256, dim=16)
    curve_ax, bar_ax = fig.axes
    heights = [b.get_height() for b in bar_ax.patches]
    np.testing.assert_allclose(heights, [min(1.0, 63 / period_formula(i, 16)) for i in range(8)], rtol=1e-6)
    y = curve_ax.lines[0].get_ydata()
    assert len(y) == 256 and np.allclose(y[:64], 1.0)


# ===========================================================================
# attention: the tiny self-attention
# ===========================================================================

def _softmax_weights_f64(q, k, causal=False):
    """softmax(q k^T / sqrt(d)) written out with exp and sums, in float64."""
    q, k = q.double(), k.double()
    d = q.shape[-1]
    s = torch.einsum("...id,...jd->...ij", q, k) / math.sqrt(d)
    if causal:
        n = s.shape[-1]
        s = s + torch.tensor([[0.0 if j <= i else -math.inf for j in range(n)] for i in range(n)],
                             dtype=torch.float64)
    e = torch.exp(s - s.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------
# attention_weights / attention
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
def test_weights_match_written_out_softmax(causal):
    g = _gen(1)
    q, k = torch.randn(2, 3, 5, 4, generator=g), torch.randn(2, 3, 5, 4, generator=g)
    w = attention_weights(q, k, causal=causal)
    assert w.shape == (2, 3, 5, 5)
    torch.testing.assert_close(w.double(), _softmax_weights_f64(q, k, causal), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, 5))
    if causal:
        assert torch.all(w.triu(1) == 0)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_sdpa(causal):
    g = _gen(2)
    q, k = torch.randn(2, 6, 8, generator=g), torch.randn(2, 6, 8, generator=g)
    v = torch.randn(2, 6, 3, generator=g)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(attention(q, k, v, causal=causal), expected, atol=1e-5, rtol=1e-5)


def test_attention_rectangular_and_dtypes():
    g = _gen(3)
    q = torch.randn(3, 4, generator=g, dtype=torch.float64)
    k = torch.randn(7, 4, generator=g, dtype=torch.float64)
    v = torch.randn(7, 2, generator=g, dtype=torch.float64)
    out = attention(q, k, v)
    assert out.shape == (3, 2) and out.dtype == torch.float64
    torch.testing.assert_close(out, _softmax_weights_f64(q, k) @ v)
    bf = attention(q.bfloat16(), k.bfloat16(), v.bfloat16())
    assert bf.dtype == torch.bfloat16
    torch.testing.assert_close(bf.double(), out, atol=3e-2, rtol=3e-2)


def test_first_causal_query_sees_only_itself():
    g = _gen(4)
    q, k, v = (torch.randn(5, 4, generator=g) for _ in range(3))
    out = attention(q, k, v, causal=True)
    torch.testing.assert_close(out[0], v[0])


# ---------------------------------------------------------------------------
# self_attention: the permutation property and positions
# ---------------------------------------------------------------------------

@given(seq=st.integers(2, 7), d_model=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_self_attention_is_permutation_equivariant(seq, d_model, seed):
    g = _gen(seed)
    x = torch.randn(seq, d_model, generator=g, dtype=torch.float64)
    w = [t.double() for t in projection_weights(d_model, 4, seed=seed)]
    perm = torch.randperm(seq, generator=g)
    out = self_attention(x, *w)
    torch.testing.assert_close(self_attention(x[perm], *w), out[perm])


def test_positions_break_the_permutation_symmetry():
    g = _gen(5)
    x = torch.randn(4, 8, generator=g)
    w = projection_weights(8, 8, seed=1)
    perm = [2, 1, 0, 3]
    pe = ropelab.sinusoidal_pe(4, 8)
    added = self_attention(x + pe, *w)
    assert not torch.allclose(self_attention(x[perm] + pe, *w), added[perm], atol=1e-3)
    rope = self_attention(x, *w, positions=range(4))
    assert not torch.allclose(self_attention(x[perm], *w, positions=range(4)), rope[perm], atol=1e-3)


@given(shift=st.integers(-50, 500), seed=st.integers(0, 10_000), layout=st.sampled_from(["interleaved", "half"]))
def test_rope_self_attention_depends_only_on_relative_positions(shift, seed, layout):
    g = _gen(seed)
    x = torch.randn(5, 6, generator=g, dtype=torch.float64)
    w = [t.double() for t in projection_weights(6, 4, seed=seed)]
    base = self_attention(x, *w, positions=range(5), layout=layout)
    shifted = self_attention(x, *w, positions=range(shift, shift + 5), layout=layout)
    torch.testing.assert_close(shifted, base, atol=1e-9, rtol=1e-9)


def test_rope_at_position_zero_is_no_rope_and_v_is_not_rotated():
    g = _gen(6)
    x = torch.randn(3, 4, generator=g)
    w_q, w_k, w_v = projection_weights(4, 4, seed=2)
    plain = self_attention(x, w_q, w_k, w_v)
    torch.testing.assert_close(self_attention(x, w_q, w_k, w_v, positions=[0, 0, 0]), plain)
    # with all q, k at the same position the scores equal the plain ones; if v were rotated too,
    # the output at a non-zero common position would change
    torch.testing.assert_close(self_attention(x, w_q, w_k, w_v, positions=[7, 7, 7]), plain, atol=1e-5, rtol=1e-5)


def test_self_attention_weights_and_batches():
    g = _gen(7)
    x = torch.randn(2, 3, 5, 8, generator=g)
    w = projection_weights(8, 4, seed=3, d_v=6)
    out, weights = self_attention(x, *w, causal=True, return_weights=True)
    assert out.shape == (2, 3, 5, 6) and weights.shape == (2, 3, 5, 5)
    for b in range(2):
        for h in range(3):
            torch.testing.assert_close(out[b, h], self_attention(x[b, h], *w, causal=True))
    torch.testing.assert_close(out, weights @ (x @ w[2]))


# ---------------------------------------------------------------------------
# projection_weights and validation
# ---------------------------------------------------------------------------

def test_projection_weights_are_seeded_and_leave_global_rng_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = projection_weights(16, 4, seed=0)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = projection_weights(16, 4, seed=0)
    c = projection_weights(16, 4, seed=1)
    assert all(torch.equal(s, t) for s, t in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert [t.shape for t in a] == [(16, 4)] * 3
    assert projection_weights(16, 4, d_v=5)[2].shape == (16, 5)
    big = projection_weights(400, 400, seed=0)[0]
    assert abs(big.std().item() - 1 / math.sqrt(400)) < 0.005


@pytest.mark.parametrize("call, exc, words", [
    (lambda: attention_weights(torch.zeros(3, 4), torch.zeros(3, 5)), ValueError, "same last dimension"),
    (lambda: attention_weights(torch.zeros(3, 4), torch.zeros(2, 4), causal=True), ValueError, "causal"),
    (lambda: attention_weights(torch.zeros(3, 4), torch.zeros(3, 4), causal=1), TypeError, "causal"),
    (lambda: attention_weights(torch.zeros(4), torch.zeros(3, 4)), ValueError, "q must have at least 2"),
    (lambda: attention(torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(2, 4)), ValueError, "one row per key"),
    (lambda: attention(torch.zeros(3, 4, dtype=torch.long), torch.zeros(3, 4), torch.zeros(3, 4)), TypeError,
     "floating-point"),
    (lambda: self_attention(torch.zeros(3, 4), torch.zeros(5, 2), torch.zeros(4, 2), torch.zeros(4, 2)),
     ValueError, "w_q must have shape (d_model, d_head) with d_model = x.shape[-1] = 4"),
    (lambda: self_attention(torch.zeros(3, 4), torch.zeros(4, 2), torch.zeros(4, 3), torch.zeros(4, 2)),
     ValueError, "w_q and w_k must have the same shape"),
    (lambda: self_attention(torch.zeros(3, 4), *projection_weights(4, 3), positions=range(3)),
     ValueError, "d_head"),
    (lambda: self_attention(torch.zeros(3, 4), *projection_weights(4, 2), positions=range(5)),
     ValueError, "one entry per token"),
    (lambda: self_attention(torch.zeros(3, 4), *projection_weights(4, 2), layout="pairs"), ValueError, "layout"),
    (lambda: projection_weights(0, 4), ValueError, "d_model must be >= 1"),
    (lambda: projection_weights(4, 2.5), TypeError, "d_head must be an integer"),
])
def test_validation_messages(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)


# ===========================================================================
# exercises
# ===========================================================================

def test_references_follow_the_formulas():
    pe_ex = get_exercise("02.sinusoidal_pe")
    for n, d in pe_ex.cases():
        got = pe_ex.reference(n, d)
        assert got.shape == (n, d) and got.dtype == torch.float32
        for pos in range(n):
            for j in range(d):
                a = pos / 10000 ** (2 * (j // 2) / d)
                expected = math.sin(a) if j % 2 == 0 else math.cos(a)
                assert got[pos, j].item() == pytest.approx(expected, abs=1e-6)
    wl_ex = get_exercise("02.wavelengths")
    for (d,) in wl_ex.cases():
        got = wl_ex.reference(d)
        assert got.tolist() == pytest.approx([2 * math.pi * 10000 ** (2 * i / d) for i in range(d // 2)], rel=1e-6)


# ---------------------------------------------------------------------------
# plausible wrong answers
# ---------------------------------------------------------------------------

def _angle(n, d, exponent_uses_2i=True):
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    idx = torch.arange(0, d, 2) if exponent_uses_2i else torch.arange(d // 2)
    return pos / 10000 ** (idx.float() / d)


def pe_sin_cos_swapped(n, d):
    a = _angle(n, d)
    return torch.stack((torch.cos(a), torch.sin(a)), -1).flatten(-2)


def pe_exponent_i_over_d(n, d):
    a = _angle(n, d, exponent_uses_2i=False)
    return torch.stack((torch.sin(a), torch.cos(a)), -1).flatten(-2)


def pe_halves_not_interleaved(n, d):
    a = _angle(n, d)
    return torch.cat((torch.sin(a), torch.cos(a)), -1)


def pe_transposed(n, d):
    return sol.sinusoidal_pe(n, d).T.contiguous()


def pe_float64(n, d):
    return sol.sinusoidal_pe(n, d).double()


def pe_keeps_only_half_the_columns(n, d):
    return torch.sin(_angle(n, d))   # forgot the cos columns: (n, d // 2)


@pytest.mark.parametrize("fn, words", [
    (pe_sin_cos_swapped, "wrong values"),
    (pe_exponent_i_over_d, "wrong values"),
    (pe_halves_not_interleaved, "wrong values"),
    (pe_transposed, "wrong shape"),
    (pe_float64, "wrong dtype"),
    (pe_keeps_only_half_the_columns, "wrong shape"),
])
def test_wrong_sinusoidal_pe_is_diagnosed(fn, words):
    result = check("02.sinusoidal_pe", fn)
    assert not result.passed
    assert words in result.message, result.message


def test_transposed_pe_gets_the_transpose_hint():
    result = check("02.sinusoidal_pe", pe_transposed)
    assert "same sizes in a different order" in result.message, result.message


def wl_without_two_pi(d):
    return 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)


def wl_exponent_i_over_d(d):
    return 2 * math.pi * 10000 ** (torch.arange(d // 2, dtype=torch.float64) / d)


def wl_frequencies_instead(d):
    return 1.0 / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)


def wl_one_per_dimension(d):
    return 2 * math.pi * 10000 ** (2 * (torch.arange(d, dtype=torch.float64) // 2) / d)


def wl_returns_a_list(d):
    return [2 * math.pi * 10000 ** (2 * i / d) for i in range(d // 2)]


def wl_crashes(d):
    return 2 * math.pi * 10000 ** (torch.arange(0, d, 2) / d).item()


@pytest.mark.parametrize("fn, words", [
    (wl_without_two_pi, "wrong values"),
    (wl_exponent_i_over_d, "wrong values"),
    (wl_frequencies_instead, "wrong values"),
    (wl_one_per_dimension, "wrong shape"),
    (wl_returns_a_list, "should be a torch.Tensor"),
    (wl_crashes, "raised"),
])
def test_wrong_wavelengths_are_diagnosed(fn, words):
    result = check("02.wavelengths", fn)
    assert not result.passed
    assert words in result.message, result.message


def wl_kept_complex(d):
    # T = 2*pi / theta with theta read off e^{i theta} as a complex log: the imaginary part was never dropped
    theta = 10000 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    return 2 * math.pi / (torch.log(torch.polar(torch.ones_like(theta), theta)) / 1j)


def test_a_complex_wavelength_fails_with_a_hint_to_take_the_real_part():
    result = check("02.wavelengths", wl_kept_complex)
    assert not result.passed, result.message
    assert "complex" in result.message and "real tensor" in result.message and ".real" in result.message
    assert check("02.wavelengths", lambda d: wl_kept_complex(d).real).passed   # the real part is right


def test_float32_wavelengths_are_accepted():
    def float32_version(d):
        return 2 * math.pi * 10000 ** (torch.arange(0, d, 2, dtype=torch.float32) / d)

    assert check("02.wavelengths", float32_version).passed


# ---------------------------------------------------------------------------
# the shift property: PE[pos + k] = M(k) PE[pos]
# ---------------------------------------------------------------------------

def np_pe(num_positions, dim, base=10000.0):
    """The encoding in float64 NumPy, straight from the formula."""
    pos = np.arange(num_positions, dtype=np.float64)[:, None]
    theta = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    pe = np.zeros((num_positions, dim))
    pe[:, 0::2], pe[:, 1::2] = np.sin(pos * theta), np.cos(pos * theta)
    return pe


@given(k=st.integers(-300, 300), dim=st.integers(1, 16).map(lambda h: 2 * h))
def test_shift_matrix_moves_every_position_by_k(k, dim):
    M = lesson02.shift_matrix(k, dim).numpy()
    pe = np_pe(700, dim)
    start = max(0, -k)
    np.testing.assert_allclose(pe[start:400] @ M.T, pe[start + k:400 + k], atol=1e-9)
    assert M.shape == (dim, dim) and lesson02.shift_matrix(k, dim).dtype == torch.float64


def test_shift_matrix_is_a_block_rotation_and_ropes_rotation_at_minus_k():
    d = 12
    M = lesson02.shift_matrix(5, d)
    theta = 10000 ** (-np.arange(0, d, 2) / d)
    for i in range(d // 2):   # the block of pair i, written out
        block = np.array([[math.cos(5 * theta[i]), math.sin(5 * theta[i])],
                          [-math.sin(5 * theta[i]), math.cos(5 * theta[i])]])
        np.testing.assert_allclose(M[2 * i:2 * i + 2, 2 * i:2 * i + 2].numpy(), block, atol=1e-12)
    outside = M.clone()
    for i in range(d // 2):
        outside[2 * i:2 * i + 2, 2 * i:2 * i + 2] = 0
    assert torch.count_nonzero(outside) == 0
    torch.testing.assert_close(M.T @ M, torch.eye(d, dtype=torch.float64))
    torch.testing.assert_close(lesson02.shift_matrix(3, d) @ lesson02.shift_matrix(4, d), lesson02.shift_matrix(7, d))
    torch.testing.assert_close(M.T, lesson02.shift_matrix(-5, d))
    torch.testing.assert_close(M, ropelab.rotation_matrix(-5, d).double(), atol=1e-6, rtol=0)
    assert lesson02.shift_matrix(5, d, dtype=torch.float32).dtype == torch.float32
    assert lesson02.shift_matrix(0.5, d).shape == (d, d)   # fractional shifts are fine


def test_pair_angles_read_back_pos_theta():
    d = 8
    pe = torch.from_numpy(np_pe(50, d))
    theta = 10000 ** (-np.arange(0, d, 2) / d)
    expected = np.mod(np.arange(50)[:, None] * theta, 2 * math.pi)
    got = lesson02.pair_angles(pe).numpy()
    diff = np.abs(got - expected)
    np.testing.assert_allclose(np.minimum(diff, 2 * math.pi - diff), 0, atol=1e-9)   # equal on the circle
    assert got.min() >= 0 and got.max() < 2 * math.pi


def test_pe_similarity_by_distance_is_the_cosine_of_two_rows():
    d = 16
    pe = np_pe(300, d)
    unit = pe / np.linalg.norm(pe, axis=1, keepdims=True)
    sims = lesson02.pe_similarity_by_distance(range(0, 200), d).numpy()
    for delta in (0, 1, 7, 150):
        for p in (0, 33, 99):
            assert unit[p] @ unit[p + delta] == pytest.approx(sims[delta], abs=1e-12)
    assert lesson02.pe_similarity_by_distance(7, d).ndim == 0
    assert lesson02.pe_similarity_by_distance(-7, d).item() == pytest.approx(sims[7])   # symmetric


def test_best_similarity_is_a_function_of_the_distance_to_the_trained_range():
    L, total, d = 32, 200, 16
    best = nearest_trained_similarity(L, total, d).numpy()
    pe = np_pe(total, d)
    unit = pe / np.linalg.norm(pe, axis=1, keepdims=True)
    brute = (unit @ unit[:L].T).max(1)
    np.testing.assert_allclose(best, brute, atol=1e-5)
    c = lesson02.pe_similarity_by_distance(range(total), d).numpy()
    for p in range(L, total):
        assert best[p] == pytest.approx(c[p - L + 1:p + 1].max(), abs=1e-5)


def test_shift_figure_shows_the_matrix_and_one_circle_per_pair():
    fig = lesson02.shift_figure(k=2, dim=16, pairs=(0, 1), starts=(0, 5, 11))
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == 3
    assert "M(2)" in axes[0].get_title() and "pair 0" in axes[1].get_title() and "pair 1" in axes[2].get_title()
    img = axes[0].images[0].get_array()
    np.testing.assert_allclose(np.asarray(img), lesson02.shift_matrix(2, 16).numpy())
    assert axes[1].get_xlabel() and axes[1].get_ylabel() and axes[0].get_xlabel()
    with pytest.raises(ValueError, match="pairs must lie"):
        lesson02.shift_figure(dim=8, pairs=(4,))
    with pytest.raises(ValueError, match="start \\+ k"):
        lesson02.shift_figure(k=5, starts=(16,), num_positions=20)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: lesson02.shift_matrix(1, 7), ValueError, "even"),
    (lambda: lesson02.shift_matrix("1", 8), TypeError, "k must be a real number"),
    (lambda: lesson02.shift_matrix(1, 8, base=1.0), ValueError, "base must be > 1"),
    (lambda: lesson02.pair_angles(torch.zeros(4, 3)), ValueError, "even"),
    (lambda: lesson02.pe_similarity_by_distance([[1, 2]], 8), ValueError, "1-D"),
])
def test_shift_helpers_validate(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


# the exercise 02.shift_matrix

def shift_float32(k, dim):
    return sol.shift_matrix(k, dim).float()


def shift_wrong_sign(k, dim):      # the RoPE convention R_{Theta,k} instead of R_{Theta,-k}
    return sol.shift_matrix(-k, dim)


def shift_transposed(k, dim):
    return sol.shift_matrix(k, dim).T.contiguous()


def shift_positions_in_it(k, dim):   # cos(pos theta) mistaken for cos(k theta): the identity
    return torch.eye(dim)


def test_other_correct_shift_matrices_pass():
    assert check("02.shift_matrix", shift_float32).passed
    assert check("02.shift_matrix", lambda k, d: lesson02.shift_matrix(k, d)).passed
    assert check("02.shift_matrix", lambda k, d: ropelab.rotation_matrix(-k, d)).passed   # M(k) = R_{Theta,-k}


@pytest.mark.parametrize("fn", [shift_wrong_sign, shift_transposed, shift_positions_in_it])
def test_wrong_shift_matrices_fail_with_values(fn):
    result = check("02.shift_matrix", fn)
    assert not result.passed and "wrong values" in result.message, result.message
    assert "hint" in result.message


def test_shift_matrix_cases_include_negative_shifts():
    ks = [k for k, _ in get_exercise("02.shift_matrix").cases()]
    assert any(k < 0 for k in ks) and all(k != 0 for k in ks)


# the prediction 02.full_turns

def test_full_turns_answer_is_what_circle_coverage_counts():
    p = get_exercise("02.full_turns")
    assert p.answer == int((circle_coverage(128, 64) >= 1).sum()) == 11
    # by hand: pair i turns fully when 2 pi 10000^(i/32) <= 127
    assert max(i for i in range(32) if 2 * math.pi * 10000 ** (i / 32) <= 127) == 10


@pytest.mark.parametrize("value", [11, 11.0, torch.tensor(11)])
def test_full_turns_right_answers_pass(value):
    result = check("02.full_turns", value)
    assert result.passed and "right" in result.message


@pytest.mark.parametrize("value", [10, 12, 32, 0])
def test_full_turns_wrong_answers_fail_with_the_explanation(value):
    result = check("02.full_turns", value)
    assert not result.passed and "the answer is 11" in result.message and "10.4" in result.message


def test_every_exercise_of_lesson_02_has_two_or_three_hint_stages():
    from ropelab.common.exercises import Prediction
    from ropelab.exercises import list_exercises

    ids = [e for e in list_exercises("02.") if not isinstance(get_exercise(e), Prediction)]
    assert ids
    for exercise_id in ids:
        hints = get_exercise(exercise_id).hints
        assert 2 <= len(hints) <= 3 and all(len(h) > 20 for h in hints), exercise_id
