"""Notebook 07's exercises: each solution passes, other correct forms pass too, and plausible
wrong answers fail with the diagnosis a learner needs (raised / wrong shape / wrong values)."""
import pytest
import torch

import ropelab
from ropelab.exercises import check
from solutions import nb07 as sol



def test_solutions_on_hand_made_inputs():
    assert sol.rotate_half(torch.arange(6.0)).tolist() == [-3.0, -4.0, -5.0, 0.0, 1.0, 2.0]
    w = torch.arange(8.0)[:, None]            # 2 heads of D = 4, row r holds the number r
    assert sol.permute_for_rotate_half(w, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def _rot(q, k, c, s, p, rotate=sol.rotate_half, axis=1, sign=1.0):
    c, s = c[0, 0][p].unsqueeze(axis), s[0, 0][p].unsqueeze(axis)
    return q * c + sign * rotate(q) * s, k * c + sign * rotate(k) * s


OTHER_CORRECT = [
    ("07.rotate_half", lambda x: torch.cat(list(reversed(x.chunk(2, dim=-1))), dim=-1) * torch.cat(
        (-torch.ones(x.shape[-1] // 2), torch.ones(x.shape[-1] // 2)))),
    ("07.permute_for_rotate_half", lambda w, n: w.view(n, -1, w.shape[1])[
        :, ropelab.interleaved_to_half_index(w.shape[0] // n)].reshape(w.shape)),
]


@pytest.mark.parametrize("exercise_id, fn", OTHER_CORRECT)
def test_other_correct_forms_pass(exercise_id, fn):
    result = check(exercise_id, fn)
    assert result.passed, result.message


WRONG = [
    ("07.rotate_half", lambda x: torch.cat((x[..., x.shape[-1] // 2:], -x[..., : x.shape[-1] // 2]), -1),
     "wrong values"),
    ("07.rotate_half", lambda x: ropelab.rotate_pairs(x), "wrong values"),
    ("07.rotate_half", lambda x: torch.cat((-x[:, x.shape[1] // 2:], x[:, : x.shape[1] // 2]), 1),
     "wrong"),
    ("07.apply_rotary_pos_emb", lambda q, k, c, s, p: _rot(q, k, c, s, p, axis=2), "raised"),
    ("07.apply_rotary_pos_emb", lambda q, k, c, s, p: _rot(q, k, c, s, p, sign=-1.0), "wrong values"),
    ("07.apply_rotary_pos_emb", lambda q, k, c, s, p: _rot(q, k, c, s, p, rotate=ropelab.rotate_pairs),
     "wrong values"),
    ("07.apply_rotary_pos_emb",   # ignores position_ids: the first S rows for every batch entry
     lambda q, k, c, s, p: _rot(q, k, c, s, torch.arange(q.shape[2])[None].expand_as(p)), "wrong values"),
    ("07.permute_for_rotate_half", lambda w, n: w[ropelab.interleaved_to_half_index(w.shape[0])],
     "wrong values"),
    ("07.permute_for_rotate_half", lambda w, n: w.view(n, -1, w.shape[1])[
        :, ropelab.half_to_interleaved_index(w.shape[0] // n)].reshape(w.shape), "wrong values"),
    ("07.permute_for_rotate_half", lambda w, n: w.T, "wrong shape"),
]


@pytest.mark.parametrize("exercise_id, fn, diagnosis", WRONG)
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message
