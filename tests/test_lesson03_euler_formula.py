"""Lesson 03 (Euler's formula): ropelab.lesson03_euler_formula.

* ``widget`` and ``figures``: the rotation widget and figure, tested without a browser.
  Expected numbers come from ``cmath`` / plain trigonometry in the test, never from the
  code under test. The frame itself is checked too: the PNG the widget sends must show
  the rotated arrow where the new state says it is.
* ``rotation``: the 2x2 rotation by an angle, against ``cmath``.
* ``exercises``: the solutions pass, other correct forms pass, and plausible wrong answers
  fail with the right diagnosis. The references are checked against ``cmath`` and the 2x2
  rotation matrix of ropelab; the predictions' answers against ``cmath`` and PyTorch itself.
"""
from __future__ import annotations

import cmath
import io
import math
import re

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import ropelab
from ropelab.common.figures import K_COLOR, Q_COLOR
from ropelab.exercises import check, get_exercise
from ropelab.lesson03_euler_formula import rotation_2d, rotation_figure, rotation_state, rotation_widget
from solutions import lesson03_euler_formula as sol

NUM = r"(-?\d+\.\d+)"


def _hex_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))


def _readout_numbers(html: str) -> dict[str, complex | float]:
    """Parse the readout: the three complex numbers and the two lengths."""
    def cnum(label: str) -> complex:
        m = re.search(label + r"[^<]*?= " + NUM + r" ([+−]) " + NUM + "i", html)
        assert m, f"no {label} in readout {html!r}"
        sign = 1 if m.group(2) == "+" else -1
        return complex(float(m.group(1)), sign * float(m.group(3)))

    theta = re.search(r"θ = " + NUM + "° = " + NUM + " rad", html)
    norms = re.findall(r"\| = " + NUM, html)
    return {
        "theta_deg": float(theta.group(1)),
        "theta_rad": float(theta.group(2)),
        "z": cnum(r"^.*?<br>z"),
        "unit": cnum(r"cos θ \+ i sin θ"),
        "rotated": cnum(r"z·e<sup>iθ</sup>"),
        "norm_z": float(norms[0]),
        "norm_rotated": float(norms[1]),
    }


def _expected(theta_deg: float, x: float, y: float) -> tuple[complex, complex, complex]:
    z = complex(x, y)
    unit = cmath.exp(1j * math.radians(theta_deg))
    return z, unit, z * unit


def _pixel(w, point: complex) -> tuple[int, int, int]:
    """RGB of the widget's current PNG at a point of the plane (data coordinates)."""
    img = Image.open(io.BytesIO(w.image.value)).convert("RGB")
    ax = w._handles["ax"]
    px, py = ax.transData.transform((point.real, point.imag))
    return img.getpixel((int(round(px)), int(round(img.height - py))))


def _close_to(rgb, color: str, tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, _hex_rgb(color)))


# ---------------------------------------------------------------------------
# the pure state
# ---------------------------------------------------------------------------

@given(theta=st.floats(-720, 720), x=st.floats(-3, 3), y=st.floats(-3, 3))
def test_state_is_a_rotation(theta, x, y):
    s = rotation_state(theta, x, y)
    z, unit, rotated = _expected(theta, x, y)
    assert s["z"] == z
    assert abs(s["unit"] - unit) < 1e-12
    assert abs(s["rotated"] - rotated) < 1e-12
    assert s["norm_rotated"] == pytest.approx(abs(z), abs=1e-12)
    # the same as the 2x2 rotation matrix of RoPE (float32 there, hence the tolerance)
    R = ropelab.rotation_matrix(math.radians(theta), dim=2).double()
    v = R @ torch.tensor([x, y], dtype=torch.float64)
    assert v[0].item() == pytest.approx(rotated.real, abs=1e-5 * max(1.0, abs(z)))
    assert v[1].item() == pytest.approx(rotated.imag, abs=1e-5 * max(1.0, abs(z)))
    if abs(z) > 1e-6:
        turned = (s["arg_rotated_deg"] - s["arg_z_deg"] - theta) % 360
        assert min(turned, 360 - turned) < 1e-6


def test_state_validates():
    with pytest.raises(TypeError, match="theta_deg"):
        rotation_state("60")
    with pytest.raises(ValueError, match="x must be finite"):
        rotation_state(60, float("nan"))
    with pytest.raises(ValueError, match="x must lie in"):
        rotation_widget(x=2.0)
    with pytest.raises(ValueError, match="theta_deg must lie in"):
        rotation_widget(theta_deg=400)


# ---------------------------------------------------------------------------
# the widget
# ---------------------------------------------------------------------------

def test_default_widget_shows_z_turned_by_60_degrees():
    w = rotation_widget()
    assert set(w.controls) == {"theta_deg", "x", "y"}
    assert w.values() == {"theta_deg": 60.0, "x": 1.0, "y": 0.5}
    z, unit, rot = _expected(60, 1.0, 0.5)
    assert w._handles["rot"].xy == pytest.approx((rot.real, rot.imag))
    assert w._handles["z"].xy == pytest.approx((1.0, 0.5))
    nums = _readout_numbers(w.readout.value)
    assert nums["rotated"] == pytest.approx(rot, abs=1e-3)
    assert nums["unit"] == pytest.approx(unit, abs=1e-3)
    assert repr(w) == "rotation_widget(theta_deg=60, x=1, y=0.5)"


@pytest.mark.parametrize("theta", [90.0, 180.0, -45.0, 300.0, 360.0])
def test_theta_slider_moves_arrow_and_readout(theta):
    w = rotation_widget()
    before = w.image.value
    w.controls["theta_deg"].value = theta
    z, unit, rot = _expected(theta, 1.0, 0.5)
    h = w._handles
    # plotted data
    assert h["rot"].xy == pytest.approx((rot.real, rot.imag), abs=1e-12)
    assert h["z"].xy == pytest.approx((1.0, 0.5))
    ux, uy = h["unit"].get_data()
    assert (ux[0], uy[0]) == pytest.approx((unit.real, unit.imag), abs=1e-12)
    # the dotted circle the tip runs on has radius |z|
    px, py = h["path"].get_data()
    assert max(abs(complex(a, b)) for a, b in zip(px, py)) == pytest.approx(abs(z))
    # the angle arc starts on z's direction and sweeps theta
    ax_, ay_ = h["arc"].get_data()
    start, end = complex(ax_[0], ay_[0]), complex(ax_[-1], ay_[-1])
    assert cmath.phase(start) == pytest.approx(cmath.phase(z), abs=1e-9)
    assert cmath.phase(end / start) == pytest.approx(cmath.phase(unit), abs=1e-9)
    # readout
    nums = _readout_numbers(w.readout.value)
    assert nums["theta_deg"] == pytest.approx(theta)
    assert nums["theta_rad"] == pytest.approx(math.radians(theta), abs=1e-4)
    assert nums["z"] == pytest.approx(z, abs=1e-3)
    assert nums["unit"] == pytest.approx(unit, abs=1e-3)
    assert nums["rotated"] == pytest.approx(rot, abs=1e-3)
    assert nums["norm_rotated"] == pytest.approx(abs(z), abs=1e-4)
    # the frame changed, and shows the rotated arrow where the state says
    assert w.image.value != before
    assert _close_to(_pixel(w, 0.6 * rot), K_COLOR)


def test_vector_sliders_move_z_and_keep_length():
    w = rotation_widget(theta_deg=90)
    w.controls["x"].value = -1.2
    w.controls["y"].value = 0.8
    z, unit, rot = _expected(90, -1.2, 0.8)
    assert rot == pytest.approx(complex(-0.8, -1.2))  # a quarter turn: (a, b) -> (-b, a)
    assert w.state["rotated"] == pytest.approx(rot)
    assert w._handles["z"].xy == pytest.approx((-1.2, 0.8))
    assert w._handles["rot"].xy == pytest.approx((rot.real, rot.imag))
    nums = _readout_numbers(w.readout.value)
    assert nums["norm_z"] == pytest.approx(abs(z), abs=1e-4)
    assert nums["norm_rotated"] == pytest.approx(abs(z), abs=1e-4)
    assert _close_to(_pixel(w, 0.6 * z), Q_COLOR)
    assert _close_to(_pixel(w, 0.6 * rot), K_COLOR)


def test_old_arrow_is_erased_after_a_move():
    """Blitting must restore the background: the arrow at the old angle disappears."""
    w = rotation_widget(theta_deg=0, x=1.0, y=0.0)
    old = complex(0.6, 0.0)
    assert _close_to(_pixel(w, old + 0.0j), K_COLOR) or _close_to(_pixel(w, old), Q_COLOR)
    w.controls["x"].value = 0.0
    w.controls["y"].value = 1.0
    w.controls["theta_deg"].value = 180.0   # z = i, rotated = -i: nothing on the positive real axis
    assert not _close_to(_pixel(w, old), K_COLOR)
    assert not _close_to(_pixel(w, old), Q_COLOR)
    assert _close_to(_pixel(w, -0.6j), K_COLOR)


def test_zero_vector_does_not_break():
    w = rotation_widget()
    w.controls["x"].value = 0.0
    w.controls["y"].value = 0.0
    assert w.state["rotated"] == 0
    assert _readout_numbers(w.readout.value)["norm_rotated"] == 0.0


def test_each_slider_move_redraws_once():
    # how fast each redraw is belongs to benchmarks/lab_speed.py (a budget, not a test)
    w = rotation_widget()
    moves = [float(t) for t in range(0, 181, 6)]   # every value differs from the one before
    for t in moves:
        w.controls["theta_deg"].value = t
    assert len(w.redraw_ms) == len(moves)


# ---------------------------------------------------------------------------
# the static figure
# ---------------------------------------------------------------------------

def test_rotation_figure_matches_state():
    fig = rotation_figure(theta_deg=120, x=0.5, y=-1.0)
    ax = fig.axes[0]
    tips = [a.xy for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    z, unit, rot = _expected(120, 0.5, -1.0)
    assert len(tips) == 2
    assert tips[0] == pytest.approx((z.real, z.imag))
    assert tips[1] == pytest.approx((rot.real, rot.imag))
    panel = "\n".join(t.get_text() for t in fig.texts)
    assert f"{abs(z):.3f}" in panel
    assert f"{rot.real:.3f}" in panel and f"{abs(rot.imag):.3f}" in panel
    png = fig._repr_png_()
    assert png[:4] == b"\x89PNG"


# ===========================================================================
# exercises
# ===========================================================================

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


# ---------------------------------------------------------------------------
# rotation_2d: the rotation by an angle
# ---------------------------------------------------------------------------

@given(alpha=st.floats(-20, 20, allow_nan=False))
def test_rotation_2d_multiplies_like_e_to_the_i_alpha(alpha):
    R = rotation_2d(alpha, dtype=torch.float64)
    for a, b in ((1.0, 0.0), (0.3, -2.0)):
        w = complex(a, b) * cmath.exp(1j * alpha)
        x, y = (R @ torch.tensor([a, b], dtype=torch.float64)).tolist()
        assert x == pytest.approx(w.real, abs=1e-12) and y == pytest.approx(w.imag, abs=1e-12)


def test_rotation_2d_equals_rotation_matrix_only_in_two_dimensions():
    for alpha in (0.0, 0.7, -2.5, 10.0):
        torch.testing.assert_close(rotation_2d(alpha), ropelab.rotation_matrix(alpha, 2))   # theta_0 = 1
    # in 4 dimensions the position 0.7 turns the second pair by 0.7 * 0.01, not by 0.7
    R4 = ropelab.rotation_matrix(0.7, 4)
    assert not torch.allclose(R4[2:, 2:], rotation_2d(0.7))
    assert rotation_2d(1.0).dtype == torch.float32 and rotation_2d(1.0, torch.float64).dtype == torch.float64


@pytest.mark.parametrize("call, exc, words", [
    (lambda: rotation_2d("1"), TypeError, "alpha must be a real number"),
    (lambda: rotation_2d(float("nan")), ValueError, "finite"),
    (lambda: rotation_2d(1.0, torch.int64), TypeError, "floating-point"),
])
def test_rotation_2d_validates(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


# ---------------------------------------------------------------------------
# the predictions
# ---------------------------------------------------------------------------

def test_turned_length_answer_is_the_length_of_3_plus_4i():
    assert get_exercise("03.turned_length").answer == pytest.approx(5.0)
    assert abs(complex(3, 4) * cmath.exp(1j)) == pytest.approx(5.0)


@pytest.mark.parametrize("value", [5, 5.0, 5.0004, torch.tensor(5.0)])
def test_turned_length_right_answers_pass(value):
    assert check("03.turned_length", value).passed


@pytest.mark.parametrize("value", [7, 25, 5 * math.cos(1), 1])
def test_turned_length_wrong_answers_fail_with_the_explanation(value):
    result = check("03.turned_length", value)
    assert not result.passed and "never stretches" in result.message


def test_transposed_view_answer_is_what_pytorch_does():
    y = torch.zeros(2, 5).t()
    with pytest.raises(RuntimeError, match="stride 1"):
        torch.view_as_complex(y)
    assert get_exercise("03.transposed_view").answer == "raises an error"


def test_transposed_view_predictions_are_graded():
    assert check("03.transposed_view", "raises an error").passed
    assert check("03.transposed_view", "  Raises an Error ").passed
    wrong = check("03.transposed_view", "works")
    assert not wrong.passed and "stride" in wrong.message
    with pytest.raises(ValueError, match="must be one of"):
        check("03.transposed_view", "maybe")


def test_every_exercise_of_lesson_03_has_two_or_three_hint_stages():
    from ropelab.common.exercises import Prediction
    from ropelab.exercises import list_exercises

    ids = [e for e in list_exercises("03.") if not isinstance(get_exercise(e), Prediction)]
    assert ids
    for exercise_id in ids:
        hints = get_exercise(exercise_id).hints
        assert 2 <= len(hints) <= 3 and all(len(h) > 20 for h in hints), exercise_id
