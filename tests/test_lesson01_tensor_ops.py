"""Lesson 01 (tensor operations): ropelab.lesson01_tensor_ops.

* ``tensors`` (broadcast explainer, layout helpers) and ``figures`` (their pictures):
  broadcast results are checked against PyTorch itself (torch.broadcast_shapes and a real
  addition); layouts against hand-computed strides and against torch.as_strided.
* ``exercises``: each solution passes, other correct forms pass too, and plausible wrong
  answers fail with the diagnosis a learner needs (raised / wrong shape / wrong dtype /
  wrong values / changed the input). References are cross-checked against ropelab and
  transformers.
"""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab.common.figures import K_COLOR, Q_COLOR
from ropelab.exercises import check, get_exercise
from ropelab.lesson01_tensor_ops import (
    BroadcastExplanation,
    broadcast_figure,
    broadcast_state,
    element_offsets,
    explain_broadcast,
    layout,
    layout_state,
    memory_layout_figure,
    memory_order,
    shares_storage,
)

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


def _torch_broadcast(a, b):
    try:
        return tuple(torch.broadcast_shapes(a, b))
    except RuntimeError:
        return None


# ---------------------------------------------------------------------------
# explain_broadcast
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, result", [
    ((), (2, 3), (2, 3)),                # scalar + tensor
    ((3, 4), (4,), (3, 4)),
    ((2, 3, 4), (3, 1), (2, 3, 4)),
    ((32, 128), (128,), (32, 128)),      # bias
    ((2, 8, 8), (1, 1, 8), (2, 8, 8)),   # attention mask unsqueezed twice
    ((32, 64, 28, 28), (1, 64, 1, 1), (32, 64, 28, 28)),  # keepdim statistics
    ((5, 1), (1, 6), (5, 6)),
    ((0, 3), (1, 3), (0, 3)),
])
def test_curriculum_examples_broadcast(a, b, result):
    e = explain_broadcast(a, b)
    assert e.ok and e.result == result and e.clash is None
    assert len(e.aligned_a) == len(e.aligned_b) == len(result)
    assert f"result shape: ({', '.join(map(str, result))}" in e.text


def test_alignment_pads_on_the_left():
    e = explain_broadcast((2, 3, 4), (3, 1))
    assert e.aligned_a == (2, 3, 4) and e.aligned_b == (1, 3, 1)
    assert e.steps[0].startswith("dim -3: a 2 vs b 1 (missing)")
    assert "b is stretched 1 -> 4" in e.steps[2]


@pytest.mark.parametrize("a, b, dim, dim_a, dim_b, sizes", [
    ((3, 4), (3,), -1, 1, 0, (4, 3)),
    ((32, 64, 28, 28), (64,), -1, 3, 0, (28, 64)),        # statistics without keepdim
    ((2, 3, 4), (2, 4), -2, 1, 0, (3, 2)),
    ((5, 2, 7), (3, 1, 1), -3, 0, 0, (5, 3)),
])
def test_clash_names_the_dimension(a, b, dim, dim_a, dim_b, sizes):
    e = explain_broadcast(a, b, names=("x", "y"))
    assert not e.ok and e.result is None
    c = e.clash
    assert (c.dim, c.dim_a, c.dim_b, (c.size_a, c.size_b)) == (dim, dim_a, dim_b, sizes)
    assert f"dimension {dim} clashes (x has {sizes[0]}, y has {sizes[1]})" in e.text
    assert "CLASH" in e.steps[dim]


def test_all_clashes_are_listed_rightmost_first():
    e = explain_broadcast((2, 3, 4), (5, 3, 6))
    assert [c.dim for c in e.clashes] == [-1, -3]
    assert e.clash.dim == -1


@given(shapes, shapes)
def test_agrees_with_pytorch(a, b):
    e = explain_broadcast(a, b)
    expected = _torch_broadcast(a, b)
    assert e.result == expected
    assert e.ok == (expected is not None)
    n = max(len(a), len(b))
    assert e.aligned_a == (1,) * (n - len(a)) + a and e.aligned_b == (1,) * (n - len(b)) + b
    for c in e.clashes:
        assert c.size_a != c.size_b and 1 not in (c.size_a, c.size_b)
        assert a[c.dim_a] == c.size_a and b[c.dim_b] == c.size_b
        assert c.dim_a - len(a) == c.dim == c.dim_b - len(b)
    if expected is not None:  # and a real operation gives that shape
        assert tuple((torch.zeros(a) + torch.zeros(b)).shape) == expected


@given(shapes, shapes)
def test_symmetric(a, b):
    assert explain_broadcast(a, b).result == explain_broadcast(b, a).result


def test_tensors_and_sizes_are_accepted():
    e = explain_broadcast(torch.zeros(2, 1), torch.Size([3]))
    assert e.result == (2, 3)
    assert explain_broadcast(torch.tensor(1.0), [4]).result == (4,)
    assert explain_broadcast((), ()).result == () and "scalar" in explain_broadcast((), ()).text
    assert isinstance(explain_broadcast((1,), (1,)), BroadcastExplanation)
    assert repr(explain_broadcast((3,), (3,))) == str(explain_broadcast((3,), (3,)))


@pytest.mark.parametrize("a, b, err, words", [
    (4, (3, 4), TypeError, ["shape_a", "(4,)", "()"]),
    ((3, 4), 2.5, TypeError, ["shape_b"]),
    ("34", (3,), TypeError, ["shape_a", "str"]),
    ((3, -1), (3,), ValueError, ["shape_a[1]", ">= 0", "-1"]),
    ((3, 2.0), (3,), TypeError, ["shape_a[1]", "integer"]),
])
def test_bad_shapes_are_named(a, b, err, words):
    with pytest.raises(err) as info:
        explain_broadcast(a, b)
    for w in words:
        assert w in str(info.value)


def test_bad_names():
    with pytest.raises(TypeError, match="names"):
        explain_broadcast((3,), (3,), names=("only one",))


# ---------------------------------------------------------------------------
# layout, element_offsets, memory_order, shares_storage
# ---------------------------------------------------------------------------

def test_layout_of_the_curriculum_example():
    x = torch.randn(2, 3, 4)
    assert layout(x).stride == (12, 4, 1) and layout(x).contiguous
    t = x.transpose(0, 1)
    lay = layout(t)
    assert lay.shape == (3, 2, 4) and lay.stride == (4, 12, 1) and not lay.contiguous
    assert lay.storage_size == 24 and lay.storage_offset == 0
    assert repr(lay) == "shape (3, 2, 4), stride (4, 12, 1), offset 0, contiguous False"
    s = x[1, 1:]
    assert layout(s).storage_offset == 16 and layout(s).storage_size == 24


def test_element_offsets_of_a_transpose():
    x = torch.arange(6).view(2, 3)
    assert element_offsets(x).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert element_offsets(x.t()).tolist() == [[0, 3], [1, 4], [2, 5]]
    assert memory_order(x.t()).tolist() == [0, 3, 1, 4, 2, 5]
    assert memory_order(x.t().contiguous()).tolist() == [0, 1, 2, 3, 4, 5]


@st.composite
def strided_views(draw):
    """Views of an arange storage: transposes, permutes, slices with steps, expands."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    base = torch.arange(int(torch.tensor(shape).prod()) + 3)[3:].view(shape)  # a non-zero storage offset
    t = base
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["transpose", "slice", "flip_perm", "expand"]))
        if kind == "transpose" and t.ndim >= 2:
            i, j = draw(st.integers(0, t.ndim - 1)), draw(st.integers(0, t.ndim - 1))
            t = t.transpose(i, j)
        elif kind == "slice":
            d = draw(st.integers(0, t.ndim - 1))
            if t.shape[d] > 1:
                start = draw(st.integers(0, t.shape[d] - 1))
                step = draw(st.integers(1, 2))
                t = t.narrow(d, start, t.shape[d] - start)[(slice(None),) * d + (slice(None, None, step),)]
        elif kind == "flip_perm":
            t = t.permute(*reversed(range(t.ndim)))
        elif kind == "expand":
            t = t.unsqueeze(0).expand(2, *t.shape)
    return t


@given(strided_views())
def test_element_offsets_point_at_the_elements(t):
    storage = torch.as_strided(t, (layout(t).storage_size,), (1,), 0)  # the whole storage, in memory order
    offs = element_offsets(t)
    assert offs.shape == t.shape and offs.dtype == torch.int64
    assert torch.equal(storage[offs], t)  # each element sits where the offsets say


@given(strided_views())
def test_contiguous_exactly_when_memory_is_read_in_steps_of_one(t):
    order = memory_order(t)
    consecutive = torch.equal(order, torch.arange(t.numel()) + t.storage_offset())
    assert consecutive == t.is_contiguous()


def test_shares_storage():
    x = torch.randn(2, 3, 4)
    v = x.view(6, 4)
    assert shares_storage(x, v) and shares_storage(x, x.transpose(0, 1)) and shares_storage(x, x[1])
    assert x.data_ptr() != x[1].data_ptr()  # why the helper compares storages, not data_ptr
    assert not shares_storage(x, x.clone())
    assert not shares_storage(x, x.transpose(0, 1).contiguous())
    assert shares_storage(x, x.reshape(6, 4))
    assert not shares_storage(x, x.transpose(0, 1).reshape(12, 2))


@pytest.mark.parametrize("fn", [layout, element_offsets, memory_order])
def test_layout_helpers_reject_non_tensors(fn):
    with pytest.raises(TypeError, match="t must be a torch.Tensor"):
        fn([1, 2, 3])


def test_shares_storage_names_the_argument():
    with pytest.raises(TypeError, match="b must be a torch.Tensor"):
        shares_storage(torch.zeros(2), "x")


def test_layout_rejects_sparse():
    with pytest.raises(ValueError, match="strided"):
        layout(torch.zeros(2, 2).to_sparse())


# ---------------------------------------------------------------------------
# pictures
# ---------------------------------------------------------------------------

def test_layout_state_of_a_transpose():
    x = torch.arange(6).view(2, 3)
    st_t = layout_state(x.t())
    assert st_t["values"] == [[0, 3], [1, 4], [2, 5]]
    assert st_t["offsets"] == [[0, 3], [1, 4], [2, 5]]
    assert st_t["storage"] == [0, 1, 2, 3, 4, 5]
    assert st_t["order"] == [0, 3, 1, 4, 2, 5] and st_t["jumps"] == [3, -2, 3, -2, 3]
    assert not st_t["contiguous"] and st_t["stride"] == (1, 3)
    st_c = layout_state(x.t().contiguous())
    assert st_c["storage"] == [0, 3, 1, 4, 2, 5] and st_c["jumps"] == [1] * 5


def test_layout_state_of_a_slice_and_a_1d_tensor():
    x = torch.arange(6).view(2, 3)
    st_s = layout_state(x[:, 1])
    assert st_s["values"] == [[1, 4]] and st_s["order"] == [1, 4] and st_s["offset"] == 1
    assert layout_state(torch.arange(4))["values"] == [[0, 1, 2, 3]]


def test_layout_state_validation():
    with pytest.raises(ValueError, match="1-D or 2-D"):
        layout_state(torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="at most 24"):
        layout_state(torch.zeros(5, 5))


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


def test_memory_layout_figure_shows_the_strides_and_the_walk():
    fig = memory_layout_figure()
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 3
    assert "stride (3, 1)" in titles[0] and "stride (1, 3)" in titles[1] and "stride (2, 1)" in titles[2]
    assert "0→3→1→4→2→5" in titles[1] and "NOT contiguous" in titles[1]
    texts = _texts(fig)
    assert sum(t == "@3" for t in texts) == 3  # one cell at address 3 in each panel
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_memory_layout_figure_validation():
    with pytest.raises(ValueError, match="contiguous"):
        memory_layout_figure(torch.arange(6).view(2, 3).t())
    with pytest.raises(ValueError, match="small"):
        memory_layout_figure(torch.arange(30).view(5, 6))
    with pytest.raises(ValueError, match="2 dimensions"):
        memory_layout_figure(torch.arange(6))


def test_broadcast_state_marks_reused_entries():
    col = torch.tensor([[0], [10], [20]])
    row = torch.tensor([0, 1, 2, 3])
    st_b = broadcast_state(col, row)
    assert st_b["shape"] == (3, 4)
    assert st_b["out"] == [[c + r for r in range(4)] for c in (0, 10, 20)]
    assert st_b["a_real"] == [[True, False, False, False]] * 3
    assert st_b["b_real"] == [[True] * 4] + [[False] * 4] * 2
    mask = broadcast_state(torch.arange(3)[:, None], torch.arange(3)[None, :], op=">=")
    assert mask["out"] == [[True, False, False], [True, True, False], [True, True, True]]


def test_broadcast_figure_and_its_errors():
    fig = broadcast_figure(torch.arange(3)[:, None], torch.arange(3), op=">=", names=("i", "j"))
    assert any("i >= j" in t for t in _texts(fig))
    with pytest.raises(ValueError, match="dimension -1 clashes"):
        broadcast_figure(torch.zeros(3, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        broadcast_figure(torch.zeros(2, 2, 2), 1.0)
    with pytest.raises(ValueError, match="op must be one of"):
        broadcast_figure(torch.zeros(2), torch.zeros(2), op="**")
    with pytest.raises(TypeError, match="colors"):
        broadcast_figure(torch.zeros(2), torch.zeros(2), colors="red")


def test_broadcast_figure_colours_the_operands():
    from matplotlib.colors import to_rgba

    fig = broadcast_figure(torch.arange(2)[:, None], torch.arange(2), op=">=", colors=(Q_COLOR, K_COLOR))
    first_a = fig.axes[0].patches[0].get_facecolor()[:3]
    first_b = fig.axes[1].patches[0].get_facecolor()[:3]
    assert first_a == pytest.approx(to_rgba(Q_COLOR)[:3]) and first_b == pytest.approx(to_rgba(K_COLOR)[:3])


# ===========================================================================
# exercises
# ===========================================================================

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
    from ropelab.common.hf import hf_cos_sin

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


def test_every_exercise_of_lesson_01_has_two_or_three_hint_stages():
    from ropelab.common.exercises import Prediction
    from ropelab.exercises import list_exercises

    ids = [e for e in list_exercises("01.") if not isinstance(get_exercise(e), Prediction)]
    assert ids
    for exercise_id in ids:
        hints = get_exercise(exercise_id).hints
        assert 2 <= len(hints) <= 3 and all(len(h) > 20 for h in hints), exercise_id


def test_explain_broadcast_speaks_chinese_in_the_chinese_edition():
    from ropelab.lesson01_tensor_ops import explain_broadcast

    english = str(explain_broadcast((2, 1, 4), (3, 1), ("x", "b")))
    ropelab.set_language("zh")
    try:
        text = str(explain_broadcast((2, 1, 4), (3, 1), ("x", "b")))
        clash = str(explain_broadcast((2, 3), (4,), ("x", "b")))
    finally:
        ropelab.set_language("en")
    assert text.splitlines()[0] == "广播 x (2, 1, 4) 与 b (3, 1)"
    assert "            结果 :   2   3   4" in text.splitlines()          # aligned: 结果 is four columns wide
    assert "     第 -3 维：x 2 对 b 1（缺失） -> 2（b 由 1 扩展到 2）" in text.splitlines()
    assert text.splitlines()[-1] == "  结果形状：(2, 3, 4)"
    assert "冲突：3 != 4，且都不是 1（x 的第 1 维，b 的第 0 维）" in clash
    assert clash.splitlines()[-1].startswith("  无法广播：第 -1 维冲突（x 为 3，b 为 4）")
    assert str(explain_broadcast((2, 1, 4), (3, 1), ("x", "b"))) == english  # back in English
