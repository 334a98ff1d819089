"""Lesson 09: 2-D axial RoPE (the relative property in (drow, dcol), its two halves, transformers'
Pixtral, errors) and the lesson's exercises (each solution passes; plausible wrong answers fail
with the diagnosis a learner needs: wrong shape / wrong values / raised)."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab.exercises import check
from ropelab.lesson09_rope_images import vision
from ropelab.lesson09_rope_images.vision import axial_rope, patch_grid
from solutions import lesson09_rope_images as sol


def test_patch_grid_is_row_major():
    assert vision.patch_grid(2, 3).tolist() == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    g = vision.patch_grid(4, 7)
    t = torch.arange(28)
    assert torch.equal(g[:, 0], t // 7) and torch.equal(g[:, 1], t % 7)


@pytest.mark.parametrize("dim", [4, 8, 64])
@pytest.mark.parametrize("base", [100.0, 10000.0])
def test_axial_angles_by_hand(dim, base):
    pos = torch.tensor([[0, 0], [2, 5], [7, 1]])
    table = vision.axial_angles(pos, dim, base)
    assert table.shape == (3, dim // 2) and table.dtype == torch.float32
    for n, (r, c) in enumerate(pos.tolist()):
        for j in range(dim // 4):
            f = base ** (-4 * j / dim)
            assert table[n, j].item() == pytest.approx(r * f, rel=1e-6, abs=1e-7)
            assert table[n, dim // 4 + j].item() == pytest.approx(c * f, rel=1e-6, abs=1e-7)


def test_interleaved_split_deals_frequencies_alternately():
    dim, base = 16, 10000.0
    row_f, col_f = vision.axial_inv_freq(dim, base, "interleaved")
    expected = [base ** (-2 * i / dim) for i in range(dim // 2)]
    np.testing.assert_allclose(row_f.numpy(), expected[0::2], rtol=1e-6)
    np.testing.assert_allclose(col_f.numpy(), expected[1::2], rtol=1e-6)


@given(rows=st.integers(1, 6), cols=st.integers(1, 6), quarter=st.integers(1, 8), base=st.floats(10.0, 1e4))
def test_each_half_is_ordinary_1d_rope(rows, cols, quarter, base):
    # interleaved layout: the first dim/2 coordinates are 1-D RoPE of the row, the rest of the column
    dim = 4 * quarter
    grid = vision.patch_grid(rows, cols)
    x = torch.randn(2, rows * cols, dim, dtype=torch.float64)
    out = vision.axial_rope(x, grid, base)
    rows_idx = torch.arange(rows).repeat_interleave(cols)   # raster order, built independently
    cols_idx = torch.arange(cols).repeat(rows)
    torch.testing.assert_close(out[..., : dim // 2], ropelab.apply_rope(x[..., : dim // 2], rows_idx, base))
    torch.testing.assert_close(out[..., dim // 2:], ropelab.apply_rope(x[..., dim // 2:], cols_idx, base))


offsets = st.integers(-40, 40)


@given(quarter=st.integers(1, 16), r1=offsets, c1=offsets, r2=offsets, c2=offsets, sr=offsets, sc=offsets,
       split=st.sampled_from(vision.SPLITS), layout=st.sampled_from(ropelab.LAYOUTS))
def test_score_depends_only_on_the_2d_offset(quarter, r1, c1, r2, c2, sr, sc, split, layout):
    dim = 4 * quarter
    gen = torch.Generator().manual_seed(quarter)
    q = torch.randn(1, dim, generator=gen, dtype=torch.float64)
    k = torch.randn(1, dim, generator=gen, dtype=torch.float64)

    def score(a, b):
        rq = vision.axial_rope(q, torch.tensor([a]), 100.0, layout, split)
        rk = vision.axial_rope(k, torch.tensor([b]), 100.0, layout, split)
        return (rq * rk).sum().item()

    s = score((r1, c1), (r2, c2))
    # the same pair of patches moved together by (sr, sc): same score
    assert s == pytest.approx(score((r1 + sr, c1 + sc), (r2 + sr, c2 + sc)), abs=1e-9)
    # and it equals g(q, k, drow, dcol), computed from the offset alone
    g = vision.axial_relative_score(q[0], k[0], r1 - r2, c1 - c2, 100.0, split, layout).item()
    assert s == pytest.approx(g, abs=1e-9)


def test_score_splits_into_a_row_part_and_a_column_part():
    # with identical content at every patch the score is f(drow) + h(dcol): the map's mixed
    # second difference vanishes
    dim, rows, cols = 32, 6, 7
    v = torch.randn(dim, dtype=torch.float64)
    feats = v.expand(rows * cols, dim)
    m = vision.score_map(feats, feats, rows, cols, index=3 * cols + 4)
    mixed = m[1:, 1:] - m[1:, :-1] - m[:-1, 1:] + m[:-1, :-1]
    assert mixed.abs().max().item() < 1e-9
    # the flat (1-D raster order) encoding is not separable: vertical neighbours are `cols` apart
    flat = vision.score_map(feats, feats, rows, cols, index=3 * cols + 4, mode="flat")
    mixed_flat = flat[1:, 1:] - flat[1:, :-1] - flat[:-1, 1:] + flat[:-1, :-1]
    assert mixed_flat.abs().max().item() > 1e-3


def test_score_map_modes_against_direct_computation():
    rows, cols, dim = 3, 4, 8
    gen = torch.Generator().manual_seed(5)
    q = torch.randn(rows * cols, dim, generator=gen)
    k = torch.randn(rows * cols, dim, generator=gen)
    idx = 6
    none = vision.score_map(q, k, rows, cols, idx, mode="none")
    torch.testing.assert_close(none, (k @ q[idx]).reshape(rows, cols))
    axial = vision.score_map(q, k, rows, cols, idx, base=100.0)
    for j in range(rows * cols):
        r, c = divmod(j, cols)
        ri, ci = divmod(idx, cols)
        expected = 0.0
        for p in range(dim // 2):
            f = 100.0 ** (-4 * (p % (dim // 4)) / dim)
            dq = (ri if p < dim // 4 else ci) * f
            dk = (r if p < dim // 4 else c) * f
            a, b = q[idx, 2 * p].item(), q[idx, 2 * p + 1].item()
            x, y = k[j, 2 * p].item(), k[j, 2 * p + 1].item()
            qa = (a * math.cos(dq) - b * math.sin(dq), a * math.sin(dq) + b * math.cos(dq))
            ka = (x * math.cos(dk) - y * math.sin(dk), x * math.sin(dk) + y * math.cos(dk))
            expected += qa[0] * ka[0] + qa[1] * ka[1]
        assert axial[r, c].item() == pytest.approx(expected, abs=1e-4)


def test_identical_content_peaks_at_the_query_patch_and_translates():
    dim, rows, cols = 64, 9, 9
    v = torch.randn(dim, generator=torch.Generator().manual_seed(0))
    feats = v.expand(rows * cols, dim)
    m1 = vision.score_map(feats, feats, rows, cols, index=2 * cols + 3)
    m2 = vision.score_map(feats, feats, rows, cols, index=5 * cols + 6)
    assert divmod(int(m1.argmax()), cols) == (2, 3)
    assert divmod(int(m2.argmax()), cols) == (5, 6)
    # moving the query by (3, 3) moves the whole map by (3, 3)
    torch.testing.assert_close(m2[3:, 3:], m1[:-3, :-3], atol=1e-4, rtol=1e-5)
    none = vision.score_map(feats, feats, rows, cols, index=2 * cols + 3, mode="none")
    assert (none.max() - none.min()).item() < 1e-4  # no positions: every patch looks the same


def test_matches_transformers_pixtral():
    from transformers import PixtralVisionConfig
    from transformers.models.pixtral.modeling_pixtral import PixtralVisionRotaryEmbedding, apply_rotary_pos_emb

    for dim, base in [(16, 10000.0), (64, 10000.0), (32, 100.0)]:
        cfg = PixtralVisionConfig(hidden_size=2 * dim, num_attention_heads=2, head_dim=dim,
                                  rope_parameters={"rope_type": "axial", "rope_theta": base})
        rot = PixtralVisionRotaryEmbedding(cfg)
        grid = vision.patch_grid(5, 7)
        q = torch.randn(1, 2, 35, dim, generator=torch.Generator().manual_seed(dim))
        cos, sin = rot(q, grid)
        q_hf, _ = apply_rotary_pos_emb(q, q, cos[None], sin[None])
        ours = vision.axial_rope(q, grid, base, layout="half", split="interleaved")
        torch.testing.assert_close(ours, q_hf, atol=1e-5, rtol=1e-5)


def test_dtype_is_kept_and_angles_are_float32():
    grid = vision.patch_grid(16, 16)
    x = torch.randn(256, 32)
    got = vision.axial_rope(x.bfloat16(), grid)
    assert got.dtype == torch.bfloat16
    ref = vision.axial_rope(x.double(), grid)
    assert (got.double() - ref).abs().max().item() < 0.05


@pytest.mark.parametrize("call,exc,words", [
    (lambda: vision.axial_angles(vision.patch_grid(2, 2), 6), ValueError, ["multiple of 4", "6"]),
    (lambda: vision.axial_angles(torch.zeros(4, 3, dtype=torch.long), 8), ValueError, ["(N, 2)"]),
    (lambda: vision.axial_angles(vision.patch_grid(2, 2), 8, split="mixed"), ValueError, ["split", "'shared'"]),
    (lambda: vision.axial_rope(torch.randn(5, 8), vision.patch_grid(2, 2)), ValueError, ["N", "5", "4"]),
    (lambda: vision.axial_rope(torch.randn(4, 8).long(), vision.patch_grid(2, 2)), TypeError, ["floating"]),
    (lambda: vision.patch_grid(0, 3), ValueError, ["rows", ">= 1"]),
    (lambda: vision.score_map(torch.randn(6, 8), torch.randn(6, 8), 2, 3, 6), ValueError, ["index", "[0, 6)"]),
    (lambda: vision.score_map(torch.randn(6, 8), torch.randn(6, 8), 3, 3, 0), ValueError, ["rows * cols = 9"]),
    (lambda: vision.score_map(torch.randn(6, 8), torch.randn(6, 8), 2, 3, 0, mode="2d"), ValueError, ["mode"]),
    (lambda: vision.axial_relative_score(torch.randn(8), torch.randn(12), 1, 1), ValueError, ["same last"]),
    (lambda: vision.axial_relative_score(torch.randn(8), torch.randn(8), "1", 1), TypeError, ["drow"]),
    (lambda: vision.axial_relative_score(torch.randn(8), torch.randn(8), torch.zeros(3), torch.zeros(4)),
     ValueError, ["broadcast"]),
])
def test_errors_are_clear(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# ---------------------------------------------------------------------------
# exercises
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# RoPE-ViT's column-first table, RoPE-Mixed, and the diagonal limit of axial RoPE
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dim,rows,cols,theta", [(16, 6, 9, 100.0), (32, 4, 4, 10.0), (8, 3, 7, 10000.0)])
def test_rope_vit_axial_table_is_ropelab_with_the_column_first(dim, rows, cols, theta):
    grid = patch_grid(rows, cols)
    vit = vision.rope_vit_axial_cis(dim, end_x=cols, end_y=rows, theta=theta)
    col_first = torch.polar(torch.ones(rows * cols, dim // 2), vision.axial_angles(grid[:, [1, 0]], dim, theta))
    torch.testing.assert_close(vit, col_first, atol=0, rtol=0)
    if rows > 1 and cols > 1:
        row_first = torch.polar(torch.ones(rows * cols, dim // 2), vision.axial_angles(grid, dim, theta))
        assert (vit - row_first).abs().max() > 0.1


def test_mixed_init_at_angle_zero_is_axial_and_mixed_scores_are_relative():
    grid = patch_grid(5, 6)
    f0 = vision.mixed_init_freqs(16, theta=100.0, angle=0.0)
    assert f0.shape == (2, 8)
    torch.testing.assert_close(vision.mixed_angles(grid, f0), vision.axial_angles(grid[:, [1, 0]], 16, 100.0),
                               atol=1e-6, rtol=0)
    f = vision.mixed_init_freqs(16, theta=10.0, angle=0.7).double()
    q, k = torch.randn(16, dtype=torch.float64), torch.randn(16, dtype=torch.float64)

    def score(a, b):
        return (vision.mixed_rope(q[None], torch.tensor([a]), f) @ vision.mixed_rope(k[None], torch.tensor([b]), f).T
                ).item()

    assert score((2, 3), (0, 1)) == pytest.approx(score((7, 9), (5, 7)), abs=1e-12)
    # lengths kept: a rotation
    torch.testing.assert_close(vision.mixed_rope(q[None], torch.tensor([[3, 4]]), f).norm(), q.norm())


def test_axial_maps_have_no_interaction_and_mixed_fit_recovers_a_mixed_score():
    off = torch.arange(-4, 5)
    dr, dc = torch.meshgrid(off, off, indexing="ij")
    q, k = torch.randn(32, dtype=torch.float64), torch.randn(32, dtype=torch.float64)
    g = vision.axial_relative_score(q, k, dr, dc)
    assert vision.interaction(g).abs().max() < 1e-12
    torch.testing.assert_close(vision.additive_part(g), g)
    # a RoPE-Mixed score is reproduced exactly by mixed_fit with its own frequencies
    f = vision.mixed_init_freqs(8, theta=10.0, angle=math.pi / 4).double()
    offsets = torch.stack([dr.reshape(-1), dc.reshape(-1)], dim=-1)
    qm, km = torch.randn(8, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    target = (vision.mixed_rope(qm.expand(len(offsets), 8), offsets, f) @ km).reshape(dr.shape)
    assert vision.interaction(target).abs().max() > 0.1
    torch.testing.assert_close(vision.mixed_fit(target, dr, dc, f), target, atol=1e-9, rtol=0)


def test_diagonal_state_axial_misses_almost_everything_mixed_little():
    from ropelab.lesson09_rope_images.figures import diagonal_limit_figure, diagonal_state

    st = diagonal_state(radius=7, dim=32, theta=10.0)
    assert st["unexplained"]["axial"] > 0.95 and st["unexplained"]["mixed"] < 0.1
    assert len(diagonal_limit_figure()._repr_png_()) > 1000


def test_projected_content_moves_the_peak_off_the_query():
    from ropelab.lesson09_rope_images.figures import projected_content, score_maps_figure

    q, k = projected_content(14, 14, 64)
    assert not torch.allclose(q, k)
    m_a = vision.score_map(q, k, 14, 14, 4 * 14 + 6)
    m_b = vision.score_map(q, k, 14, 14, 8 * 14 + 3)
    assert divmod(int(m_a.argmax()), 14) != (4, 6)
    assert m_a[6, 9].item() == pytest.approx(m_b[10, 6].item(), abs=1e-4)   # same offset (+2, +3)
    assert len(score_maps_figure()._repr_png_()) > 1000


def test_prediction_peak_moves():
    assert check("09.peak_moves", "generally somewhere else").passed
    res = check("09.peak_moves", "at the query's own patch")
    assert not res.passed and "With q = k every phi_j is 0" in res.message, res.message


@pytest.mark.parametrize("call,exc,words", [
    (lambda: vision.mixed_angles(patch_grid(2, 2), torch.zeros(3, 4)), ValueError, "(2, dim // 2)"),
    (lambda: vision.mixed_rope(torch.randn(4, 8), patch_grid(2, 2), torch.zeros(2, 3)), ValueError, "pairs"),
    (lambda: vision.rope_vit_axial_cis(6, 2, 2), ValueError, "multiple of 4"),
    (lambda: vision.mixed_fit(torch.zeros(3, 3), torch.zeros(2, 2), torch.zeros(3, 3), torch.zeros(2, 1)),
     ValueError, "target's shape"),
])
def test_mixed_errors_are_clear(call, exc, words):
    with pytest.raises(exc, match=None) as info:
        call()
    assert words in str(info.value), str(info.value)
