"""Lesson 00 (start here): its one exercise, ``"00.pair_norms"``.

The reference is checked against ``math.hypot`` pair by pair; plausible wrong answers
fail with the diagnosis a learner needs. (That the worked solution passes and the stub
is reported as not done is tested for every exercise in test_common_exercises.py.)
"""
import math

import pytest
import torch

from ropelab.exercises import check, get_exercise


def test_reference_is_the_length_of_every_pair():
    ex = get_exercise("00.pair_norms")
    for (x,) in ex.cases():
        got = ex.reference(x)
        assert got.shape == (x.shape[0], x.shape[1] // 2) and got.dtype == x.dtype
        for r in range(x.shape[0]):
            for i in range(x.shape[1] // 2):
                expected = math.hypot(x[r, 2 * i].item(), x[r, 2 * i + 1].item())
                assert got[r, i].item() == pytest.approx(expected, rel=1e-6)


def test_other_correct_forms_pass():
    assert check("00.pair_norms", lambda x: torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2)).abs()).passed
    assert check("00.pair_norms", lambda x: torch.hypot(x[..., 0::2], x[..., 1::2])).passed


@pytest.mark.parametrize("mistake, fn, words", [
    ("no square root", lambda x: x[..., 0::2] ** 2 + x[..., 1::2] ** 2, ["wrong values"]),
    ("pairs (i, i + dim/2), the half layout",
     lambda x: torch.hypot(*x.chunk(2, dim=-1)), ["wrong values"]),
    ("length of the whole vector", lambda x: x.norm(dim=-1), ["wrong shape"]),
    ("the pairs, not their lengths", lambda x: x.view(*x.shape[:-1], -1, 2), ["wrong shape"]),
])
def test_wrong_answers_are_diagnosed(mistake, fn, words):
    result = check("00.pair_norms", fn)
    assert not result.passed, f"{mistake!r} was accepted"
    assert result.message.startswith("❌ [00.pair_norms]")
    for w in words:
        assert w in result.message, f"{mistake!r}: {w!r} not in {result.message!r}"


def test_every_exercise_of_lesson_00_has_two_or_three_hint_stages():
    from ropelab.common.exercises import Prediction
    from ropelab.exercises import list_exercises

    ids = [e for e in list_exercises("00.") if not isinstance(get_exercise(e), Prediction)]
    assert ids
    for exercise_id in ids:
        hints = get_exercise(exercise_id).hints
        assert 2 <= len(hints) <= 3 and all(len(h) > 20 for h in hints), exercise_id


def test_hints_get_more_concrete_with_each_failure():
    from ropelab.common.exercises import reset_hints

    reset_hints("00.pair_norms")
    wrong = lambda x: x[..., 0::2]   # noqa: E731  (the first coordinates only)
    first, second, third = (check("00.pair_norms", wrong).message for _ in range(3))
    assert "hint 1 of 3" in first and "hint 2 of 3" in second and "hint 3 of 3" in third
    assert "x[..., 0::2]" not in first and "x[..., 0::2]" in third   # code-level help comes last
    reset_hints("00.pair_norms")
