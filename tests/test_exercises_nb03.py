"""Notebook 03's exercises: the solutions pass, other correct forms pass, and plausible wrong
answers fail with the right diagnosis. The references are checked against ``cmath`` and the
2x2 rotation matrix of ropelab.
"""
import cmath
import math

import pytest
import torch

import ropelab
from ropelab.exercises import check, get_exercise
from solutions import nb03 as sol



# ---------------------------------------------------------------------------
# the references agree with cmath and with ropelab.rotation_matrix
# ---------------------------------------------------------------------------

def test_rotate_points_reference_is_complex_multiplication():
    ex = get_exercise("03.rotate_points")
    for points, theta in ex.cases():
        got = ex.reference(points, theta)
        assert got.shape == points.shape and got.dtype == torch.float32
        for j in range(points.shape[0]):
            w = complex(*points[j].tolist()) * cmath.exp(1j * theta[j].item())
            assert got[j].tolist() == pytest.approx([w.real, w.imag], abs=1e-5)


def test_complex_to_matrix_reference_is_the_rotation_matrix():
    ex = get_exercise("03.complex_to_matrix")
    for (w,) in ex.cases():
        got = ex.reference(w)
        assert got.shape == (w.shape[0], 2, 2) and got.dtype == torch.float32
        for j in range(w.shape[0]):
            r, phi = abs(w[j].item()), cmath.phase(w[j].item())
            expected = r * ropelab.rotation_matrix(phi, dim=2)
            torch.testing.assert_close(got[j], expected, atol=1e-5, rtol=1e-5)
            # and it multiplies like the complex number
            z = complex(0.3, -1.7)
            v = got[j] @ torch.tensor([z.real, z.imag])
            assert v.tolist() == pytest.approx([(w[j].item() * z).real, (w[j].item() * z).imag], abs=1e-5)


def test_matrix_to_complex_inverts_complex_to_matrix():
    ex = get_exercise("03.matrix_to_complex")
    for (m,) in ex.cases():
        got = ex.reference(m)
        assert got.dtype == torch.complex64
        for j in range(m.shape[0]):
            a, b = m[j, 0, 0].item(), m[j, 1, 0].item()
            assert m[j, 0, 1].item() == pytest.approx(-b) and m[j, 1, 1].item() == pytest.approx(a)
            assert got[j].item() == pytest.approx(complex(a, b), abs=1e-6)


def test_other_correct_forms_pass():
    def rotate_with_matrices(points, theta):
        c, s = torch.cos(theta), torch.sin(theta)
        x, y = points[:, 0], points[:, 1]
        return torch.stack((x * c - y * s, x * s + y * c), dim=-1)

    def matrix_from_polar(w):
        R = torch.stack([ropelab.rotation_matrix(float(t), dim=2) for t in w.angle()])
        return w.abs()[:, None, None] * R

    assert check("03.rotate_points", rotate_with_matrices).passed
    assert check("03.complex_to_matrix", matrix_from_polar).passed


# ---------------------------------------------------------------------------
# plausible wrong answers
# ---------------------------------------------------------------------------

def rotate_backwards(points, theta):
    return sol.rotate_points(points, -theta)


def rotate_treating_radians_as_degrees(points, theta):
    return sol.rotate_points(points, theta * math.pi / 180)


def rotate_forgets_view_as_real(points, theta):
    return torch.view_as_complex(points.contiguous()) * torch.polar(torch.ones_like(theta), theta)


def rotate_in_place(points, theta):
    z = torch.view_as_complex(points)          # a view: writing to it writes to the input
    z.mul_(torch.polar(torch.ones_like(theta), theta))
    return points


def rotate_without_contiguous_transposed_input(points, theta):
    return torch.view_as_complex(points.T)      # raises: last dim is not of size 2 / stride 1


@pytest.mark.parametrize("fn, words", [
    (rotate_backwards, "wrong values"),
    (rotate_treating_radians_as_degrees, "wrong values"),
    (rotate_forgets_view_as_real, "wrong shape"),
    (rotate_in_place, "changed its input in place"),
    (rotate_without_contiguous_transposed_input, "raised"),
])
def test_wrong_rotate_points_is_diagnosed(fn, words):
    result = check("03.rotate_points", fn)
    assert not result.passed
    assert words in result.message, result.message


def matrix_transposed(w):
    return sol.complex_to_matrix(w).transpose(-1, -2)


def matrix_stacked_on_wrong_axes(w):
    a, b = w.real, w.imag
    return torch.stack((torch.stack((a, -b)), torch.stack((b, a))))   # (2, 2, N)


def matrix_left_complex(w):
    return torch.stack((torch.stack((w, -w), -1), torch.stack((w, w), -1)), -2)


def matrix_without_scaling(w):
    return sol.complex_to_matrix(w / w.abs())


@pytest.mark.parametrize("fn, words", [
    (matrix_transposed, "wrong values"),
    (matrix_stacked_on_wrong_axes, "wrong shape"),
    (matrix_left_complex, "wrong dtype"),
    (matrix_without_scaling, "wrong values"),
])
def test_wrong_complex_to_matrix_is_diagnosed(fn, words):
    result = check("03.complex_to_matrix", fn)
    assert not result.passed
    assert words in result.message, result.message


def test_wrong_axes_get_the_reorder_hint():
    result = check("03.complex_to_matrix", matrix_stacked_on_wrong_axes)
    assert "different order" in result.message


def complex_from_top_row(m):
    return torch.complex(m[:, 0, 0], m[:, 0, 1])       # reads -b: the conjugate, the opposite turn


def complex_as_pairs(m):
    return m[:, :, 0]                                   # (N, 2) real, not complex


def complex_double(m):
    return sol.matrix_to_complex(m).to(torch.complex128)


@pytest.mark.parametrize("fn, words", [
    (complex_from_top_row, "wrong values"),
    (complex_as_pairs, "wrong shape"),
    (complex_double, "wrong dtype"),
])
def test_wrong_matrix_to_complex_is_diagnosed(fn, words):
    result = check("03.matrix_to_complex", fn)
    assert not result.passed
    assert words in result.message, result.message
