"""Notebook 05's exercises: the solutions pass, other correct forms pass, and plausible wrong
answers fail with the right diagnosis. References are checked against NumPy loops.
"""
import math

import numpy as np
import pytest
import torch

import ropelab
from ropelab.exercises import check, get_exercise
from solutions import nb05 as sol



def np_theta(dim):
    return 10000.0 ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


# ---------------------------------------------------------------------------
# the references against loops written here
# ---------------------------------------------------------------------------

def test_rope_elementwise_reference_against_a_loop():
    ex = get_exercise("05.rope_elementwise")
    for x, positions in ex.cases():
        got = ex.reference(x, positions).double().numpy()
        xs = x.double().numpy()
        th = np_theta(x.shape[-1])
        for s, m in enumerate(positions.tolist()):
            for i, t in enumerate(th):
                c, sn = math.cos(m * t), math.sin(m * t)
                a, b = xs[..., s, 2 * i], xs[..., s, 2 * i + 1]
                np.testing.assert_allclose(got[..., s, 2 * i], a * c - b * sn, atol=1e-4)
                np.testing.assert_allclose(got[..., s, 2 * i + 1], a * sn + b * c, atol=1e-4)


def test_rotation_matrix_reference_is_block_diagonal():
    ex = get_exercise("05.rotation_matrix")
    for position, dim in ex.cases():
        R = ex.reference(position, dim).double().numpy()
        expected = np.zeros((dim, dim))
        for i, t in enumerate(np_theta(dim)):
            a = position * t
            expected[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
        np.testing.assert_allclose(R, expected, atol=1e-4)


def test_relative_property_reference_sides_agree_and_cases_have_m_ne_n():
    ex = get_exercise("05.relative_property")
    for q, k, m, n in ex.cases():
        assert m != n
        lhs, rhs = ex.reference(q, k, m, n)
        assert lhs.shape == rhs.shape == ()
        assert lhs.item() == pytest.approx(rhs.item(), abs=1e-3)
        # and they differ from the wrong-direction rotation, so a sign error is caught
        wrong = q @ ropelab.rotation_matrix(m - n, q.shape[0]) @ k
        assert abs(wrong.item() - rhs.item()) > 1e-3


# ---------------------------------------------------------------------------
# other correct forms pass
# ---------------------------------------------------------------------------

def _elementwise_complex(x, positions):
    ang = ropelab.angles(positions, x.shape[-1])
    z = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(ang), ang)).flatten(-2)


def _elementwise_with_rotate_pairs(x, positions):
    ang = ropelab.angles(positions, x.shape[-1])
    cos, sin = ang.cos().repeat_interleave(2, -1), ang.sin().repeat_interleave(2, -1)
    return x * cos + ropelab.rotate_pairs(x) * sin


def _matrix_block_diag(position, dim):
    blocks = []
    for a in ropelab.angles([position], dim)[0]:
        c, s = torch.cos(a), torch.sin(a)
        blocks.append(torch.stack((torch.stack((c, -s)), torch.stack((s, c)))))
    return torch.block_diag(*blocks)


def _relative_via_transpose(q, k, m, n):
    Rm, Rn = ropelab.rotation_matrix(m, q.shape[0]), ropelab.rotation_matrix(n, q.shape[0])
    return q @ Rm.T @ Rn @ k, q @ ropelab.rotation_matrix(n - m, q.shape[0]) @ k


@pytest.mark.parametrize("exercise_id, fn", [
    ("05.rope_elementwise", _elementwise_complex),
    ("05.rope_elementwise", _elementwise_with_rotate_pairs),
    ("05.rope_elementwise", lambda x, p: ropelab.rope_matrix(x, p)),
    ("05.rotation_matrix", _matrix_block_diag),
    ("05.relative_property", _relative_via_transpose),
    ("05.relative_property", lambda q, k, m, n: [sol.relative_property(q, k, m, n)[0],
                                                 sol.relative_property(q, k, m, n)[1]]),
])
def test_other_correct_forms_pass(exercise_id, fn):
    result = check(exercise_id, fn)
    assert result.passed, result.message


# ---------------------------------------------------------------------------
# plausible wrong answers fail with the right diagnosis
# ---------------------------------------------------------------------------

def _half_layout(x, positions):
    return ropelab.rope_half(x, positions)


def _tiled_not_interleaved(x, positions):
    ang = ropelab.angles(positions, x.shape[-1])
    cos, sin = ang.cos().repeat(1, 2), ang.sin().repeat(1, 2)     # [c0 c1 .. c0 c1 ..] instead of [c0 c0 c1 c1 ..]
    return x * cos + ropelab.rotate_pairs(x) * sin


def _rotate_wrong_way(x, positions):
    ang = ropelab.angles(positions, x.shape[-1])
    cos, sin = ang.cos().repeat_interleave(2, -1), ang.sin().repeat_interleave(2, -1)
    return x * cos - ropelab.rotate_pairs(x) * sin


def _forgot_repeat(x, positions):
    ang = ropelab.angles(positions, x.shape[-1])
    return x * ang.cos() + ropelab.rotate_pairs(x) * ang.sin()       # (seq, dim//2) does not broadcast


def _wrong_base(x, positions):
    return ropelab.rope_interleaved(x, positions, base=500_000.0)


def _float64_result(x, positions):
    return ropelab.rope_interleaved(x.double(), positions)


def _matrix_transposed(position, dim):
    return ropelab.rotation_matrix(position, dim).T


def _matrix_half_layout(position, dim):
    p = ropelab.interleaved_to_half_index(dim)
    return ropelab.rotation_matrix(position, dim)[p][:, p]


def _matrix_blocks_only(position, dim):
    R = ropelab.rotation_matrix(position, dim)
    return torch.stack([R[2 * i:2 * i + 2, 2 * i:2 * i + 2] for i in range(dim // 2)])   # (dim/2, 2, 2)


def _matrix_without_position(position, dim):
    return ropelab.rotation_matrix(1, dim)


def _relative_wrong_direction(q, k, m, n):
    lhs = (ropelab.rotation_matrix(m, q.shape[0]) @ q) @ (ropelab.rotation_matrix(n, q.shape[0]) @ k)
    return lhs, q @ ropelab.rotation_matrix(m - n, q.shape[0]) @ k


def _relative_same_position(q, k, m, n):
    lhs = (ropelab.rotation_matrix(m, q.shape[0]) @ q) @ (ropelab.rotation_matrix(m, q.shape[0]) @ k)
    return lhs, q @ ropelab.rotation_matrix(n - m, q.shape[0]) @ k


def _relative_one_value(q, k, m, n):
    return q @ ropelab.rotation_matrix(n - m, q.shape[0]) @ k


def _relative_python_floats(q, k, m, n):
    lhs, rhs = sol.relative_property(q, k, m, n)
    return lhs.item(), rhs.item()


WRONG = [
    ("05.rope_elementwise", _half_layout, "wrong values"),
    ("05.rope_elementwise", _tiled_not_interleaved, "wrong values"),
    ("05.rope_elementwise", _rotate_wrong_way, "wrong values"),
    ("05.rope_elementwise", _wrong_base, "wrong values"),
    ("05.rope_elementwise", _forgot_repeat, "raised RuntimeError"),
    ("05.rope_elementwise", _float64_result, "wrong dtype"),
    ("05.rotation_matrix", _matrix_transposed, "wrong values"),
    ("05.rotation_matrix", _matrix_half_layout, "wrong values"),
    ("05.rotation_matrix", _matrix_without_position, "wrong values"),
    ("05.rotation_matrix", _matrix_blocks_only, "wrong shape"),
    ("05.relative_property", _relative_wrong_direction, "wrong values in the output number 2"),
    ("05.relative_property", _relative_same_position, "wrong values in the output number 1"),
    ("05.relative_property", _relative_one_value, "should return 2 values"),
    ("05.relative_property", _relative_python_floats, "should be a torch.Tensor"),
]


@pytest.mark.parametrize("exercise_id, fn, diagnosis", WRONG, ids=[f"{e}-{f.__name__}" for e, f, _ in WRONG])
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message
