"""Notebook 08's exercises: each solution passes, and plausible wrong answers fail with the
diagnosis a learner needs (wrong shape / wrong dtype / wrong values / raised)."""
import math

import pytest
import torch

import ropelab
from ropelab.exercises import check
from solutions import nb08 as sol



def test_solutions_agree_with_formulas_written_out():
    # interpolation: pair i of position m turns by (m / s) * base^(-2i/d)
    pos = torch.tensor([0, 7, 4000])
    got = sol.interpolated_angles(pos, 8, 10000.0, 4.0)
    for r, m in enumerate(pos.tolist()):
        for i in range(4):
            assert got[r, i].item() == pytest.approx(m / 4.0 * 10000.0 ** (-2 * i / 8), rel=1e-6)
    # ntk: the slowest pair is exactly `factor` times slower, the fastest untouched
    f = sol.ntk_inv_freq(16, 10000.0, 8.0)
    assert f[0].item() == 1.0
    assert f[-1].item() == pytest.approx(10000.0 ** (-14 / 16) / 8.0, rel=1e-6)
    # the fix: bf16 cos of a float32 angle is within bf16 rounding of the exact cosine
    cos, sin = sol.safe_cos_sin(torch.tensor([65535]), 8, 10000.0)
    exact = [math.cos(65535 * 10000.0 ** (-2 * i / 8)) for i in range(4)]
    assert cos.dtype == torch.bfloat16
    assert max(abs(c - e) for c, e in zip(cos[0].double().tolist(), exact)) < 0.01


def _bf16_table(positions, dim, base):
    ang = torch.outer(positions.to(torch.bfloat16), ropelab.inv_freq(dim, base).to(torch.bfloat16))
    return torch.cos(ang), torch.sin(ang)


WRONG = [
    # interpolation
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p * s, d, b), "wrong values"),
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p // int(s), d, b), "wrong values"),
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p.double() / s, d, b).T, "wrong shape"),
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p.double() / s, d, b).double(), "wrong dtype"),
    # ntk
    ("08.ntk_inv_freq", lambda d, b, s: ropelab.inv_freq(d, b) / s, "wrong values"),       # that is linear
    ("08.ntk_inv_freq", lambda d, b, s: ropelab.inv_freq(d, b * s), "wrong values"),       # exponent forgotten
    ("08.ntk_inv_freq", lambda d, b, s: ropelab.inv_freq(2 * d, b * s ** (d / (d - 2))), "wrong shape"),
    ("08.ntk_inv_freq", lambda d, b, s: None, "returned None"),
    # the precision fix
    ("08.safe_cos_sin", _bf16_table, "wrong values"),                                      # the trap itself
    ("08.safe_cos_sin", lambda p, d, b: (torch.cos(ropelab.angles(p, d, b)), torch.sin(ropelab.angles(p, d, b))),
     "wrong dtype"),
    ("08.safe_cos_sin", lambda p, d, b: torch.cos(ropelab.angles(p, d, b)).bfloat16(), "2 values"),
    ("08.safe_cos_sin", lambda p, d, b: (torch.cos(ropelab.angles(p, d, b)).repeat(1, 2).bfloat16(),) * 2,
     "wrong shape"),
    ("08.safe_cos_sin", lambda p, d, b: ropelab.angles(p, d, b, dtype=torch.bfloat16), "raised"),
]


@pytest.mark.parametrize("exercise_id,fn,diagnosis", WRONG)
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message
