"""Notebook 09's exercises: each solution passes, and plausible wrong answers fail with the
diagnosis a learner needs (wrong shape / wrong values / raised)."""
import math

import pytest
import torch

import ropelab
from ropelab.exercises import check
from ropelab.vision import axial_rope, patch_grid
from solutions import nb09 as sol



def test_solution_angles_by_hand():
    got = sol.axial_angles(torch.tensor([[3, 5]]), 8, 100.0)
    expected = [3 * 100.0 ** (-4 * j / 8) for j in range(2)] + [5 * 100.0 ** (-4 * j / 8) for j in range(2)]
    for g, e in zip(got[0].tolist(), expected):
        assert g == pytest.approx(e, rel=1e-6)


def _rows_and_cols_swapped(p, d, b):
    f = ropelab.inv_freq(d // 2, b)
    return torch.cat((torch.outer(p[:, 1].float(), f), torch.outer(p[:, 0].float(), f)), -1)


def _one_d_frequencies(p, d, b):
    f = ropelab.inv_freq(d, b)[: d // 4]                      # base^(-2j/d): the 1-D spectrum's first quarter
    return torch.cat((torch.outer(p[:, 0].float(), f), torch.outer(p[:, 1].float(), f)), -1)


def _alternating_pairs(p, d, b):
    f = ropelab.inv_freq(d // 2, b)
    return torch.stack((torch.outer(p[:, 0].float(), f), torch.outer(p[:, 1].float(), f)), -1).flatten(-2)


def _no_rotation(q, k, rows, cols, index, base):
    return (k @ q[index]).reshape(rows, cols)


def _swapped_reshape(q, k, rows, cols, index, base):
    grid = patch_grid(rows, cols)
    return (axial_rope(k, grid, base) @ axial_rope(q, grid, base)[index]).reshape(cols, rows)


def _flat_rope(q, k, rows, cols, index, base):
    pos = torch.arange(rows * cols)
    return (ropelab.apply_rope(k, pos, base) @ ropelab.apply_rope(q, pos, base)[index]).reshape(rows, cols)


def _ignores_base(q, k, rows, cols, index, base):
    grid = patch_grid(rows, cols)
    return (axial_rope(k, grid) @ axial_rope(q, grid)[index]).reshape(rows, cols)   # the default base only


def _base_of_1d_rope(q, k, rows, cols, index, base):
    return sol.score_map(q, k, rows, cols, index, 10000.0)   # the 1-D default, whatever base is given


def _column_major_grid(q, k, rows, cols, index, base):
    c, r = torch.meshgrid(torch.arange(cols), torch.arange(rows), indexing="ij")
    grid = torch.stack((r.reshape(-1), c.reshape(-1)), -1)   # (row, col) in column-major order
    return (axial_rope(k, grid, base) @ axial_rope(q, grid, base)[index]).reshape(rows, cols)


WRONG = [
    ("09.axial_angles", _rows_and_cols_swapped, "wrong values"),
    ("09.axial_angles", _one_d_frequencies, "wrong values"),
    ("09.axial_angles", _alternating_pairs, "wrong values"),
    ("09.axial_angles", lambda p, d, b: sol.axial_angles(p, d, b).repeat(1, 2), "wrong shape"),
    ("09.axial_angles", lambda p, d, b: sol.axial_angles(p.T, d, b), "wrong shape"),
    ("09.axial_angles", lambda p, d, b: ropelab.angles(p, d // 2, b), "raised"),   # 2-D positions into 1-D RoPE
    ("09.score_map", _no_rotation, "wrong values"),
    ("09.score_map", _swapped_reshape, "wrong shape"),
    ("09.score_map", _flat_rope, "wrong values"),
    ("09.score_map", _column_major_grid, "wrong values"),
    ("09.score_map", lambda q, k, r, c, i, b: None, "returned None"),
    ("09.score_map", _ignores_base, "wrong values"),
    ("09.score_map", _base_of_1d_rope, "wrong values"),
]


@pytest.mark.parametrize("exercise_id,fn,diagnosis", WRONG)
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message


def test_the_reference_score_map_peaks_at_its_patch_for_identical_content():
    v = torch.randn(16)
    feats = v.expand(12, 16).contiguous()
    m = sol.score_map(feats, feats, 3, 4, 5, 100.0)
    assert divmod(int(m.argmax()), 4) == (1, 1)
    assert m.max().item() == pytest.approx(float(v @ v), rel=1e-5)
    assert not math.isnan(m.sum().item())
