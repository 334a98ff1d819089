"""Notebook 01's exercises: each solution passes, other correct forms pass too, and plausible
wrong answers fail with the diagnosis a learner needs (raised / wrong shape / wrong dtype /
wrong values / changed the input). References are cross-checked against ropelab and transformers.
"""
import math

import pytest
import torch

import ropelab
from ropelab.exercises import check, get_exercise

IDS = ["01.merge_heads", "01.causal_mask", "01.normalize_channels", "01.attention_scores",
       "01.position_table", "01.pick_per_row", "01.scatter_rows", "01.select_positions"]


# Other correct ways to write each exercise must pass as well.
ALTERNATIVES = [
    ("01.merge_heads", lambda x: x.transpose(1, 2).reshape(x.shape[0], x.shape[2], -1)),
    ("01.merge_heads", lambda x: x.permute(0, 2, 1, 3).flatten(2)),
    ("01.causal_mask", lambda n: torch.ones(n, n).tril().bool()),
    ("01.causal_mask", lambda n: ~torch.ones(n, n, dtype=torch.bool).triu(1)),
    ("01.normalize_channels", lambda x: torch.nn.functional.batch_norm(x, None, None, training=True, eps=1e-5)),
    ("01.attention_scores", lambda q, k: q @ k.transpose(1, 2)),
    ("01.attention_scores", lambda q, k: torch.bmm(q, k.transpose(-1, -2))),
    ("01.position_table", lambda t, f: torch.outer(t, f)),
    ("01.position_table", lambda t, f: t[:, None] * f),
    ("01.pick_per_row", lambda x, i: x[torch.arange(x.shape[0]), i]),
    ("01.scatter_rows", lambda v, i, c: torch.zeros(v.shape[0], c).index_put_(
        (torch.arange(v.shape[0])[:, None].expand_as(i), i), v)),
    ("01.select_positions", lambda cos, p: cos.index_select(0, p.reshape(-1)).view(*p.shape, -1).unsqueeze(1)),
    ("01.select_positions", lambda cos, p: cos[p][:, None]),
]


@pytest.mark.parametrize("exercise_id, fn", ALTERNATIVES)
def test_other_correct_forms_pass(exercise_id, fn):
    result = check(exercise_id, fn)
    assert result.passed, result.message


def _scale_dims(x):
    return x.mean(dim=(0, 2, 3), keepdim=True)


# (exercise, name of the mistake, wrong function, words the diagnosis must contain)
WRONG = [
    # merge_heads
    ("01.merge_heads", "the broken view itself",
     lambda x: x.transpose(1, 2).view(x.shape[0], x.shape[2], -1),
     ["raised RuntimeError", "view size is not compatible"]),
    ("01.merge_heads", "view without the transpose",
     lambda x: x.view(x.shape[0], x.shape[2], -1), ["wrong values", "expected", "got"]),
    ("01.merge_heads", "reshape without the transpose",
     lambda x: x.reshape(x.shape[0], x.shape[2], -1), ["wrong values"]),
    ("01.merge_heads", "transpose but no merge",
     lambda x: x.transpose(1, 2).contiguous(), ["wrong shape", "a view/reshape is off"]),
    # causal_mask
    ("01.causal_mask", "strict inequality (a token cannot see itself)",
     lambda n: torch.arange(n)[:, None] > torch.arange(n)[None, :],
     ["wrong values", "first at index [0, 0]: expected True, got False"]),
    ("01.causal_mask", "row and column swapped (sees the future)",
     lambda n: torch.arange(n)[None, :] >= torch.arange(n)[:, None],
     ["wrong values", "first at index [0, 1]: expected False, got True"]),
    ("01.causal_mask", "a float mask", lambda n: torch.ones(n, n).tril(),
     ["wrong dtype", "expected torch.bool, got torch.float32"]),
    # normalize_channels
    ("01.normalize_channels", "statistics without keepdim",
     lambda x: (x - x.mean(dim=(0, 2, 3))) / torch.sqrt(x.var(dim=(0, 2, 3), unbiased=False) + 1e-5),
     ["raised RuntimeError", "must match the size of tensor b"]),
    ("01.normalize_channels", "unbiased variance",
     lambda x: (x - _scale_dims(x)) / torch.sqrt(x.var(dim=(0, 2, 3), keepdim=True) + 1e-5),
     ["wrong values", "expected", "got"]),
    ("01.normalize_channels", "statistics over everything",
     lambda x: (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-5), ["wrong values"]),
    ("01.normalize_channels", "per-sample statistics (instance norm)",
     lambda x: (x - x.mean(dim=(2, 3), keepdim=True))
     / torch.sqrt(x.var(dim=(2, 3), keepdim=True, unbiased=False) + 1e-5), ["wrong values"]),
    ("01.normalize_channels", "subtracting in place",
     lambda x: x.sub_(_scale_dims(x)), ["changed its input in place"]),
    # attention_scores
    ("01.attention_scores", "q @ k without the transpose", lambda q, k: q @ k,
     ["raised RuntimeError"]),
    ("01.attention_scores", "output letters swapped", lambda q, k: torch.einsum("bqd,bkd->bkq", q, k),
     ["wrong shape", "a transpose or permute is off"]),
    ("01.attention_scores", "scaled by 1/sqrt(D) (not asked here)",
     lambda q, k: torch.einsum("bqd,bkd->bqk", q, k) / math.sqrt(q.shape[-1]), ["wrong values"]),
    # position_table
    ("01.position_table", "elementwise product", lambda t, f: t * f,
     ["raised RuntimeError", "must match the size"]),
    ("01.position_table", "transposed table", lambda t, f: torch.einsum("i,j->ji", t, f),
     ["wrong shape", "a transpose or permute is off"]),
    ("01.position_table", "sum instead of product", lambda t, f: t[:, None] + f[None, :],
     ["wrong values"]),
    # pick_per_row
    ("01.pick_per_row", "gather without squeeze", lambda x, i: x.gather(1, i.unsqueeze(1)),
     ["wrong shape", "expected (6,), got (6, 1)"]),
    ("01.pick_per_row", "gather along the wrong dim", lambda x, i: x.gather(0, i.unsqueeze(1)).squeeze(1),
     ["wrong values"]),
    ("01.pick_per_row", "indexing columns instead of pairs", lambda x, i: x[:, i],
     ["wrong shape", "expected (6,), got (6, 6)"]),
    # scatter_rows
    ("01.scatter_rows", "scatter along dim 0",
     lambda v, i, c: torch.zeros(v.shape[0], c).scatter_(0, i, v), ["wrong values"]),
    ("01.scatter_rows", "writing ones instead of the values",
     lambda v, i, c: torch.zeros(v.shape[0], c).scatter_(1, i, 1.0), ["wrong values", "got 1.0000"]),
    ("01.scatter_rows", "gather instead of scatter",
     lambda v, i, c: torch.zeros(v.shape[0], c).gather(1, i), ["wrong shape"]),
    # select_positions
    ("01.select_positions", "no head dimension", lambda cos, p: cos[p],
     ["wrong shape", "got (3, 2, 8)", "a view/reshape is off"]),
    ("01.select_positions", "head dimension in the wrong place", lambda cos, p: cos[p].unsqueeze(2),
     ["wrong shape", "got (3, 2, 1, 8)", "a transpose or permute is off"]),
    ("01.select_positions", "first S rows, ignoring position_ids",
     lambda cos, p: cos[: p.shape[1]][None, None].expand(p.shape[0], 1, -1, -1), ["wrong values"]),
]


@pytest.mark.parametrize("exercise_id, mistake, fn, words", WRONG, ids=[f"{w[0]}-{w[1]}" for w in WRONG])
def test_wrong_answer_gets_the_right_diagnosis(exercise_id, mistake, fn, words):
    result = check(exercise_id, fn)
    assert not result.passed, f"{mistake!r} was accepted"
    assert result.message.startswith(f"❌ [{exercise_id}]")
    for w in words:
        assert w in result.message, f"{mistake!r}: {w!r} not in {result.message!r}"


def test_every_exercise_has_at_least_two_wrong_answers():
    counts = {i: sum(w[0] == i for w in WRONG) for i in IDS}
    assert min(counts.values()) >= 2, counts


# ---------------------------------------------------------------------------
# the references are what the real code computes
# ---------------------------------------------------------------------------

def test_position_table_reference_is_ropelabs_angle_table():
    ex = get_exercise("01.position_table")
    for t, f in ex.cases():
        dim = 2 * f.shape[0]
        assert torch.equal(f, ropelab.inv_freq(dim))
        assert torch.equal(ex.reference(t, f), ropelab.angles(t, dim))


def test_select_positions_reference_matches_transformers():
    """cos[position_ids].unsqueeze(1) is what Llama's attention multiplies q (B, H, S, D) by."""
    from ropelab.hf import hf_cos_sin

    ex = get_exercise("01.select_positions")
    for cos_table, pos in ex.cases()[:2]:
        D = cos_table.shape[1]
        full, _ = hf_cos_sin(torch.arange(cos_table.shape[0]), D)
        torch.testing.assert_close(cos_table, full, rtol=0, atol=2e-6)
        got = ex.reference(full, pos)
        want = torch.stack([hf_cos_sin(row, D)[0] for row in pos]).unsqueeze(1)
        assert got.shape == (pos.shape[0], 1, pos.shape[1], D)
        assert torch.equal(got, want)


def test_merge_heads_reference_inverts_the_head_split():
    """Splitting (B, S, H*D) into heads the Llama way and merging back is the identity."""
    ex = get_exercise("01.merge_heads")
    B, S, H, D = 2, 5, 3, 4
    hidden = torch.randn(B, S, H * D)
    heads = hidden.view(B, S, H, D).transpose(1, 2)  # q_proj(h).view(...).transpose(1, 2)
    assert torch.equal(ex.reference(heads), hidden)


def test_causal_mask_reference_matches_llamas_additive_mask():
    """Meta's LLaMA builds triu(full(-inf), diagonal=1): -inf exactly where our mask is False."""
    ex = get_exercise("01.causal_mask")
    for n in (1, 4, 7):
        additive = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
        assert torch.equal(ex.reference(n), additive == 0)


def test_normalize_channels_reference_matches_batch_norm():
    ex = get_exercise("01.normalize_channels")
    for (x,) in ex.cases():
        want = torch.nn.functional.batch_norm(x, None, None, training=True, eps=1e-5)
        torch.testing.assert_close(ex.reference(x), want, rtol=1e-4, atol=1e-5)


def test_cases_cover_distinct_shapes():
    """The cases are varied, so a solution hard-wired to one shape cannot pass."""
    for i in IDS:
        shapes = {tuple(tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in c)
                  for c in get_exercise(i).cases()}
        assert len(shapes) >= 3, (i, shapes)
