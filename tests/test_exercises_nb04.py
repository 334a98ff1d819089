"""Notebook 04's exercises: the solutions pass, other correct forms pass, and plausible wrong
answers fail with the right diagnosis. The references are checked against plain trigonometry.
"""
import math

import pytest
import torch

from ropelab.exercises import check, get_exercise
from solutions import nb04 as sol



# ---------------------------------------------------------------------------
# the references agree with trigonometry written out by hand
# ---------------------------------------------------------------------------

def test_rope_2d_reference_is_a_rotation_by_position_times_theta():
    ex = get_exercise("04.rope_2d")
    for x, positions, theta in ex.cases():
        got = ex.reference(x, positions, theta)
        for j in range(x.shape[0]):
            a = positions[j].item() * theta
            c, s = math.cos(a), math.sin(a)
            x1, x2 = x[j].tolist()
            assert got[j].tolist() == pytest.approx([x1 * c - x2 * s, x1 * s + x2 * c], abs=1e-5)


def test_relative_score_reference_is_the_dot_product_of_rotated_vectors():
    ex = get_exercise("04.relative_score_2d")
    for q, k, distance, theta in ex.cases():
        got = ex.reference(q, k, distance, theta)
        assert got.dtype == torch.float32 and got.shape == (q.shape[0],)
        m, n = distance + 7, 7  # any absolute pair with m - n = distance
        for j in range(q.shape[0]):
            cm, sm = math.cos(m * theta), math.sin(m * theta)
            cn, sn = math.cos(n * theta), math.sin(n * theta)
            q1, q2 = q[j].tolist()
            k1, k2 = k[j].tolist()
            dot = (q1 * cm - q2 * sm) * (k1 * cn - k2 * sn) + (q1 * sm + q2 * cm) * (k1 * sn + k2 * cn)
            assert got[j].item() == pytest.approx(dot, abs=1e-5)


def test_cases_exercise_the_sine_term():
    """A sign error only shows when (m - n) * theta is not a multiple of pi."""
    for q, k, distance, theta in get_exercise("04.relative_score_2d").cases():
        assert abs(math.sin(distance * theta)) > 1e-3


# ---------------------------------------------------------------------------
# other correct forms pass
# ---------------------------------------------------------------------------

def _rope_2d_complex(x, positions, theta):
    z = torch.view_as_complex(x.contiguous())
    turn = torch.polar(torch.ones(x.shape[0]), positions.float() * theta)
    return torch.view_as_real(z * turn)


def _rope_2d_matrix(x, positions, theta):
    a = positions.double() * theta
    R = torch.stack((torch.stack((a.cos(), -a.sin()), -1), torch.stack((a.sin(), a.cos()), -1)), -2)
    return (R @ x.double().unsqueeze(-1)).squeeze(-1).float()


def _score_by_rotating(q, k, distance, theta):
    qr = _rope_2d_matrix(q, torch.full((q.shape[0],), distance), theta)
    return (qr * k).sum(-1)


@pytest.mark.parametrize("exercise_id, fn", [
    ("04.rope_2d", _rope_2d_complex),
    ("04.rope_2d", _rope_2d_matrix),
    ("04.relative_score_2d", _score_by_rotating),
])
def test_other_correct_forms_pass(exercise_id, fn):
    result = check(exercise_id, fn)
    assert result.passed, result.message


# ---------------------------------------------------------------------------
# plausible wrong answers fail with the right diagnosis
# ---------------------------------------------------------------------------

def _clockwise(x, positions, theta):
    return sol.rope_2d(x, positions, -theta)


def _forgot_position(x, positions, theta):
    return sol.rope_2d(x, torch.ones_like(positions), theta)


def _stacked_on_dim0(x, positions, theta):
    return sol.rope_2d(x, positions, theta).T


def _in_place(x, positions, theta):
    out = sol.rope_2d(x, positions, theta)
    x.copy_(out)
    return x


def _degrees(x, positions, theta):
    return sol.rope_2d(x, positions, math.degrees(theta))


def _loops_over_python_floats(x, positions, theta):
    return [sol.rope_2d(x, positions, theta)[j].tolist() for j in range(x.shape[0])]


def _conj_on_q(q, k, distance, theta):
    return sol.relative_score_2d(k, q, distance, theta)          # Re[k conj(q) e^{i r theta}]: sign of r flipped


def _abs_not_real(q, k, distance, theta):
    qc, kc = torch.view_as_complex(q.contiguous()), torch.view_as_complex(k.contiguous())
    return (qc * kc.conj() * complex(math.cos(distance * theta), math.sin(distance * theta))).abs()


def _kept_complex(q, k, distance, theta):
    qc, kc = torch.view_as_complex(q.contiguous()), torch.view_as_complex(k.contiguous())
    return qc * kc.conj() * complex(math.cos(distance * theta), math.sin(distance * theta))


def _keepdim(q, k, distance, theta):
    return sol.relative_score_2d(q, k, distance, theta)[:, None]


def _no_position(q, k, distance, theta):
    return (q * k).sum(-1)


WRONG = [
    ("04.rope_2d", _clockwise, "wrong values"),
    ("04.rope_2d", _forgot_position, "wrong values"),
    ("04.rope_2d", _degrees, "wrong values"),
    ("04.rope_2d", _stacked_on_dim0, "wrong shape"),
    ("04.rope_2d", _in_place, "changed its input in place"),
    ("04.rope_2d", _loops_over_python_floats, "should be a torch.Tensor"),
    ("04.relative_score_2d", _conj_on_q, "wrong values"),
    ("04.relative_score_2d", _abs_not_real, "wrong values"),
    ("04.relative_score_2d", _kept_complex, "wrong dtype"),
    ("04.relative_score_2d", _keepdim, "wrong shape"),
    ("04.relative_score_2d", _no_position, "wrong values"),
]


@pytest.mark.parametrize("exercise_id, fn, diagnosis", WRONG, ids=[f"{e}-{f.__name__}" for e, f, _ in WRONG])
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message


def test_a_crash_is_reported_as_raised():
    def crashes(x, positions, theta):
        return torch.stack((x[:, 0] * torch.cos(positions * theta), x[:, 1]), dim=2)  # dim 2 does not exist

    result = check("04.rope_2d", crashes)
    assert not result.passed and "raised IndexError" in result.message
