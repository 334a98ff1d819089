"""Notebook 06's exercises: each solution passes, other correct forms pass too, and plausible
wrong answers fail with the diagnosis a learner needs (wrong shape / wrong dtype / wrong values)."""
import pytest
import torch

from ropelab import llama
from ropelab.exercises import check
from solutions import nb06 as sol



def test_solutions_agree_with_an_independent_computation():
    # the solution's rotation, pair by pair, equals cos/sin arithmetic written out by hand
    xq = torch.randn(1, 3, 2, 4, generator=torch.Generator().manual_seed(0))
    fc = llama.precompute_freqs_cis(4, 3)
    out, _ = sol.apply_rotary_emb(xq, xq, fc)
    for s in range(3):
        for j in range(2):
            c, sn = fc[s, j].real, fc[s, j].imag
            a, b = xq[0, s, 0, 2 * j], xq[0, s, 0, 2 * j + 1]
            torch.testing.assert_close(out[0, s, 0, 2 * j], a * c - b * sn)
            torch.testing.assert_close(out[0, s, 0, 2 * j + 1], a * sn + b * c)
    assert sol.causal_mask(2, 1).tolist() == [[0.0, 0.0, float("-inf")], [0.0, 0.0, 0.0]]


def _meta(t, f, pairs="adjacent", conj=False, type_as=True, flatten=True):
    if pairs == "adjacent":
        z = torch.view_as_complex(t.float().reshape(*t.shape[:-1], -1, 2))
    else:  # (j, j + D/2) pairs: the half layout fed to the complex code
        z = torch.complex(t.float()[..., : t.shape[-1] // 2], t.float()[..., t.shape[-1] // 2:])
    f = f.conj() if conj else f
    out = torch.view_as_real(z * f.view(1, f.shape[0], 1, -1))
    out = out.flatten(3) if flatten else out
    return out.type_as(t) if type_as else out


WRONG = [
    ("06.reshape_for_broadcast", lambda f, x: f.view(1, 1, *f.shape), "wrong shape"),
    ("06.reshape_for_broadcast", lambda f, x: f[:, None, :], "wrong shape"),
    ("06.reshape_for_broadcast", lambda f, x: f.view(1, f.shape[0], 1, f.shape[1]).conj(), "wrong values"),
    ("06.apply_rotary_emb", lambda q, k, f: (_meta(q, f, type_as=False), _meta(k, f, type_as=False)),
     "wrong dtype"),
    ("06.apply_rotary_emb", lambda q, k, f: (_meta(q, f, pairs="half"), _meta(k, f, pairs="half")),
     "wrong values"),
    ("06.apply_rotary_emb", lambda q, k, f: (_meta(q, f, conj=True), _meta(k, f, conj=True)), "wrong values"),
    ("06.apply_rotary_emb", lambda q, k, f: (_meta(q, f, flatten=False), _meta(k, f, flatten=False)),
     "wrong shape"),
    ("06.apply_rotary_emb", lambda q, k, f: _meta(q, f), "should return 2 values"),
    ("06.causal_mask", lambda s, p: torch.full((s, s), float("-inf")).triu(1), "wrong shape"),
    ("06.causal_mask", lambda s, p: torch.hstack([torch.zeros(s, p), torch.full((s, s), float("-inf")).triu(0)]),
     "wrong values"),
    ("06.causal_mask", lambda s, p: torch.hstack([torch.full((s, s), float("-inf")).triu(1), torch.zeros(s, p)]),
     "wrong values"),
]


@pytest.mark.parametrize("exercise_id, fn, diagnosis", WRONG)
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message


@pytest.mark.parametrize("fn", [
    sol.reshape_for_broadcast,
    llama.reshape_for_broadcast,                                   # Meta's code
    lambda f, x: f[None, :, None, :],
    lambda f, x: f.unsqueeze(0).unsqueeze(2),
    lambda f, x: f.reshape(1, x.shape[1], 1, x.shape[-1]),
    lambda f, x: f.view(1, x.shape[1], 1, x.shape[-1]).contiguous(),  # already contiguous: still the view
], ids=["solution", "meta", "indexing", "unsqueeze", "reshape", "contiguous"])
def test_every_kind_of_view_passes(fn):
    result = check("06.reshape_for_broadcast", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("fn", [
    lambda f, x: f.clone().view(1, x.shape[1], 1, x.shape[-1]),
    lambda f, x: f.view(1, x.shape[1], 1, x.shape[-1]) * 1,
    lambda f, x: torch.polar(f.abs(), f.angle()).view(1, x.shape[1], 1, x.shape[-1]),
    lambda f, x: torch.stack([f]).unsqueeze(2),
], ids=["clone", "times_one", "rebuilt", "stack"])
def test_a_copy_with_the_right_values_fails_because_a_view_was_asked_for(fn):
    result = check("06.reshape_for_broadcast", fn)
    assert not result.passed
    assert "the values are right, but the result is a copy" in result.message, result.message
    assert "a view of argument 1 (freqs_cis)" in result.message, result.message


def test_mask_without_cache_columns_gets_a_shape_hint():
    result = check("06.causal_mask", lambda s, p: torch.full((s, s), float("-inf")).triu(1))
    assert "expected (3, 7), got (3, 3)" in result.message
