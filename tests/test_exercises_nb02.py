"""Notebook 02's exercises: the solutions pass, and plausible wrong answers fail with the right
diagnosis. The references are checked against the formulas written out with ``math``.
"""
import math

import pytest
import torch

from ropelab.exercises import check, get_exercise
from solutions import nb02 as sol



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
