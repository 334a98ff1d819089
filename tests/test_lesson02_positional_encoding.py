"""The sinusoidal-encoding helpers and figures of notebook 02 (ropelab.plots.positional).

Expected values are computed here from the formulas with ``math`` (or brute force),
never with the function under test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab.plots.positional import (binary_analogy_figure, binary_digits, binary_sinusoids, circle_coverage,
                                      extrapolation_figure, measured_periods, nearest_trained_similarity,
                                      pe_columns, pe_heatmap, period_figure)


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
