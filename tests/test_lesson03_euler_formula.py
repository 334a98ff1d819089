"""Lesson 03 (Euler's formula): ropelab.lesson03_euler_formula.

* ``widget`` and ``figures``: the rotation widget's Python side (traits, the numbers its
  readout shows, refused values, what a notebook stores) and the static figure. Expected
  numbers come from ``cmath`` / plain trigonometry in the test, never from the code under
  test. The page itself is checked in tests/browser (its numbers against these).
* ``rotation``: the 2x2 rotation by an angle, against ``cmath``.
* ``exercises``: the solutions pass, other correct forms pass, and plausible wrong answers
  fail with the right diagnosis. The references are checked against ``cmath`` and the 2x2
  rotation matrix of ropelab; the predictions' answers against ``cmath`` and PyTorch itself.
"""
from __future__ import annotations

import cmath
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab.exercises import check, get_exercise
from ropelab.lesson03_euler_formula import rotation_2d, rotation_figure, rotation_state, rotation_widget
from solutions import lesson03_euler_formula as sol


def _expected(theta_deg: float, x: float, y: float) -> tuple[complex, complex, complex]:
    z = complex(x, y)
    unit = cmath.exp(1j * math.radians(theta_deg))
    return z, unit, z * unit


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
# the widget (computed and drawn in the browser; its numbers in the page are compared with
# these by tests/browser/test_widgets_static.py, in JupyterLab and in presentation mode)
# ---------------------------------------------------------------------------

def _numbers_expected(theta_deg: float, x: float, y: float) -> dict[str, float]:
    z, unit, rot = _expected(theta_deg, x, y)
    return {"theta_deg": theta_deg, "theta": math.radians(theta_deg), "z_re": x, "z_im": y, "norm_z": abs(z),
            "unit_re": unit.real, "unit_im": unit.imag, "rotated_re": rot.real, "rotated_im": rot.imag,
            "norm_rotated": abs(z), "arg_z_deg": math.degrees(cmath.phase(z)),
            "arg_rotated_deg": math.degrees(cmath.phase(rot))}


def test_default_widget_holds_z_turned_by_60_degrees():
    w = rotation_widget()
    assert w.values() == {"theta_deg": 60.0, "x": 1.0, "y": 0.5}
    assert w.numbers() == pytest.approx(_numbers_expected(60, 1.0, 0.5), abs=1e-12)
    assert repr(w) == "rotation_widget(theta_deg=60, x=1, y=0.5)"
    assert w.error == ""


@pytest.mark.parametrize("name, value", [("theta_deg", 90.0), ("theta_deg", -300.0), ("x", -1.2), ("y", 0.0)])
def test_setting_a_trait_from_python_changes_the_numbers(name, value):
    w = rotation_widget()
    values = {"theta_deg": 60.0, "x": 1.0, "y": 0.5, name: value}
    setattr(w, name, value)
    assert w.values() == values
    assert w.numbers() == pytest.approx(_numbers_expected(**values), abs=1e-12)
    # numbers() for values read back from a page, without moving the widget
    assert w.numbers({"theta_deg": 180.0}) == pytest.approx(_numbers_expected(**{**values, "theta_deg": 180.0}),
                                                            abs=1e-12)
    assert w.values() == values


def test_a_quarter_turn_sends_a_b_to_minus_b_a():
    w = rotation_widget(theta_deg=90, x=-1.2, y=0.8)
    n = w.numbers()
    assert (n["rotated_re"], n["rotated_im"]) == pytest.approx((-0.8, -1.2))
    assert n["norm_rotated"] == pytest.approx(n["norm_z"])


def test_zero_vector_does_not_break():
    w = rotation_widget(x=0.0, y=0.0)
    assert w.numbers()["norm_rotated"] == 0.0 and w.numbers()["arg_z_deg"] == 0.0


@pytest.mark.parametrize("name, bad, words", [
    ("theta_deg", float("nan"), "theta_deg must be finite"),
    ("theta_deg", 400.0, "theta_deg must lie in"),
    ("x", 2.0, "x must lie in"),
    ("y", float("inf"), "y must be finite"),
])
def test_a_refused_value_raises_names_it_and_leaves_the_widget_as_it_was(name, bad, words):
    w = rotation_widget()
    before = w.values()
    with pytest.raises(ValueError, match=words):
        setattr(w, name, bad)
    assert w.values() == before
    assert words in w.error and "not applied" in w.error
    w.theta_deg = 30.0  # the next good value works and clears the message
    assert w.error == "" and w.numbers()["theta_deg"] == 30.0


def test_a_refused_value_from_the_page_is_sent_back():
    w = rotation_widget()
    sent = []
    w.send_state = lambda key=None: sent.append(key)
    w.set_state({"x": 5.0})
    assert w.x == 1.0 and ["x"] in sent and "x must lie in" in w.error
    w.set_state({"x": 0.25})
    assert w.x == 0.25 and w.error == ""


def test_the_output_carries_a_live_view_and_a_page_that_needs_no_kernel():
    a, b = rotation_widget(theta_deg=45), rotation_widget(theta_deg=45)
    (da, _), (db, _) = a._repr_mimebundle_(), b._repr_mimebundle_()
    assert {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"} <= set(da)
    assert da["text/plain"] == "rotation_widget(theta_deg=45, x=1, y=0.5)"
    html = da["text/html"]
    assert html == db["text/html"], "two identical widgets store the same page (strict nbval compares it)"
    assert "const WIDGET" in html and "ropelabMount" in html and '"theta_deg":45.0' in html
    assert "</script>" not in html[:-len("</script>")], "one script, not cut short"
    assert da["application/vnd.jupyter.widget-view+json"]["model_id"] == a.model_id


def test_the_widget_speaks_the_chosen_language():
    ropelab.set_language("zh")
    try:
        w = rotation_widget()
    finally:
        ropelab.set_language("en")
    assert w.language == "zh" and rotation_widget().language == "en"


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
