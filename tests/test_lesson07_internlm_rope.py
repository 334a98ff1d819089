"""Lesson 07, ropelab.internlm: the Hugging Face / InternLM RoPE code, checked against transformers' Llama
code, the layout picture, and the exercises of notebook 07.

Tolerances: float32 cos/sin tables equal transformers' to 1e-6 (measured: identical, same
float32 operations); rotated q, k within 1e-6 in float32; bfloat16 within atol = rtol = 2**-5
(transformers multiplies and adds in bfloat16, we in float32 with one final rounding).
"""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab import internlm, llama
from ropelab.common import hf
from ropelab.exercises import check
from ropelab.lesson07_internlm_rope import layout_pairs_figure, layout_pairs_state
from solutions import lesson07_internlm_rope as sol

BF16_TOL = 2 ** -5


def gen(seed):
    return torch.Generator().manual_seed(seed)


def hf_rope(q, k, position_ids):
    """transformers' own LlamaRotaryEmbedding + apply_rotary_pos_emb, with per-row position_ids."""
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    rot = hf.hf_rotary_embedding(q.shape[-1], max_position_embeddings=4096)
    cos, sin = rot(q, position_ids)
    return apply_rotary_pos_emb(q, k, cos, sin)


# ---------------------------------------------------------------------------
# the rotary embedding module
# ---------------------------------------------------------------------------

def test_worked_example_inv_freq_and_shapes():
    rot = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=4096)
    torch.testing.assert_close(rot.inv_freq, torch.tensor([1.0, 0.1, 0.01, 0.001]))
    assert rot.cos_cached.shape == rot.sin_cached.shape == (1, 1, 4096, 8)
    x = torch.zeros(2, 4, 10, 8, dtype=torch.bfloat16)
    cos, sin = rot(x, seq_len=10)
    assert cos.shape == sin.shape == (1, 1, 10, 8) and cos.dtype == torch.bfloat16
    # half layout: both halves of a row hold the same angles m * theta_i
    m = 7
    for i, theta in enumerate([1.0, 0.1, 0.01, 0.001]):
        for col in (i, i + 4):
            assert rot.cos_cached[0, 0, m, col].item() == pytest.approx(math.cos(m * theta), abs=1e-6)
            assert rot.sin_cached[0, 0, m, col].item() == pytest.approx(math.sin(m * theta), abs=1e-6)


@pytest.mark.parametrize("dim,base", [(8, 10000.0), (64, 10000.0), (128, 500000.0)])
def test_tables_equal_transformers(dim, base):
    n = 3000
    rot = internlm.InternLMRotaryEmbedding(dim, max_position_embeddings=n, base=base)
    cos, sin = hf.hf_cos_sin(torch.arange(n), dim, base=base)
    assert (rot.cos_cached[0, 0] - cos).abs().max() <= 1e-6
    assert (rot.sin_cached[0, 0] - sin).abs().max() <= 1e-6
    c16, s16 = rot(torch.zeros(1, 1, n, dim, dtype=torch.bfloat16))
    hc16, hs16 = hf.hf_cos_sin(torch.arange(n), dim, base=base, dtype=torch.bfloat16)
    assert c16.dtype == torch.bfloat16
    assert (c16[0, 0].float() - hc16.float()).abs().max() <= 2 ** -8
    assert (s16[0, 0].float() - hs16.float()).abs().max() <= 2 ** -8


def test_cache_grows_when_seq_len_exceeds_it():
    rot = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=16)
    x = torch.zeros(1, 1, 1, 8)
    cos, _ = rot(x, seq_len=12)
    assert rot.max_seq_len_cached == 16 and cos.shape == (1, 1, 12, 8)
    cos, sin = rot(x, seq_len=40)
    assert rot.max_seq_len_cached == 40 and rot.cos_cached.shape == (1, 1, 40, 8)
    assert cos.shape == (1, 1, 40, 8)
    fresh = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=40)
    assert torch.equal(rot.sin_cached, fresh.sin_cached)
    assert sin[0, 0, 33, 1].item() == pytest.approx(math.sin(33 * 0.1), abs=1e-6)
    rot(x, seq_len=5)  # shorter requests never shrink it
    assert rot.max_seq_len_cached == 40


def test_buffers_are_non_persistent_but_kept_and_moved():
    rot = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=32)
    assert list(rot.state_dict().keys()) == []
    assert sorted(n for n, _ in rot.named_buffers()) == ["cos_cached", "inv_freq", "sin_cached"]
    # a persistent buffer, for contrast, is saved
    rot.register_buffer("saved", torch.ones(1))
    assert list(rot.state_dict().keys()) == ["saved"]
    del rot.saved
    # "cleared every iteration"? no: many forward calls later the same tensors are still there
    ptr = rot.cos_cached.data_ptr()
    before = rot.cos_cached.clone()
    for _ in range(5):
        rot(torch.randn(1, 2, 10, 8), seq_len=10)
    assert rot.cos_cached.data_ptr() == ptr and torch.equal(rot.cos_cached, before)
    # .to() moves them (meta device: no memory, but the device changes)
    meta = internlm.InternLMRotaryEmbedding(8, 32).to("meta")
    assert meta.cos_cached.device.type == "meta" and meta.inv_freq.device.type == "meta"
    dbl = internlm.InternLMRotaryEmbedding(8, 32).to(torch.float64)
    assert dbl.cos_cached.dtype == torch.float64
    # a bfloat16 cast keeps float32 tables (a bf16 angle table misplaces positions)
    b16 = internlm.InternLMRotaryEmbedding(8, 32).to(torch.bfloat16)
    assert b16.cos_cached.dtype == torch.float32 and b16.inv_freq.dtype == torch.float32
    assert torch.equal(b16.cos_cached, before[:, :, :32])
    # a model holding it saves only its weights; a fresh model loads them and rebuilds the tables
    model = torch.nn.Module()
    model.proj = torch.nn.Linear(8, 8)
    model.rotary = internlm.InternLMRotaryEmbedding(8, 32)
    assert sorted(model.state_dict().keys()) == ["proj.bias", "proj.weight"]


def test_a_meta_call_leaves_the_real_tables_in_place():
    # shape tracing with a meta tensor used to grow the cache on the meta device, for good
    rot = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=16)
    before = rot.cos_cached.clone()
    for seq_len in (40, 10):                      # longer than the cache, and shorter
        cos, sin = rot(torch.empty(1, 2, seq_len, 8, device="meta", dtype=torch.bfloat16))
        assert cos.device.type == sin.device.type == "meta"
        assert cos.shape == sin.shape == (1, 1, seq_len, 8) and cos.dtype == torch.bfloat16
    assert rot.cos_cached.device.type == "cpu" and rot.max_seq_len_cached == 16
    assert torch.equal(rot.cos_cached, before)
    cos, sin = rot(torch.zeros(1, 1, 40, 8))       # a real call afterwards works and grows on the CPU
    assert cos.device.type == "cpu" and rot.max_seq_len_cached == 40
    assert sin[0, 0, 33, 1].item() == pytest.approx(math.sin(33 * 0.1), abs=1e-6)
    # a module moved to meta as a whole still answers meta calls from its (meta) buffers
    meta = internlm.InternLMRotaryEmbedding(8, 32).to("meta")
    assert meta(torch.empty(1, 1, 8, 8, device="meta"))[0].device.type == "meta"


# ---------------------------------------------------------------------------
# rotate_half and apply_rotary_pos_emb
# ---------------------------------------------------------------------------

def test_rotate_half_matches_transformers_and_is_a_quarter_turn():
    x = torch.arange(8.0)
    assert internlm.rotate_half(x[None]).tolist() == [[-4.0, -5.0, -6.0, -7.0, 0.0, 1.0, 2.0, 3.0]]
    y = torch.randn(2, 3, 5, 6, generator=gen(0))
    assert torch.equal(internlm.rotate_half(y), hf.hf_rotate_half(y))
    assert torch.equal(internlm.rotate_half(internlm.rotate_half(y)), -y)


@given(B=st.integers(1, 3), H=st.integers(1, 3), S=st.integers(1, 8), half=st.integers(1, 8),
       seed=st.integers(0, 2 ** 16))
def test_apply_rotary_pos_emb_matches_transformers_fp32(B, H, S, half, seed):
    D = 2 * half
    g = gen(seed)
    q = torch.randn(B, H, S, D, generator=g)
    k = torch.randn(B, H, S, D, generator=g)
    position_ids = torch.randint(0, 4096, (B, S), generator=g)  # any rows: padding, packing
    rot = internlm.InternLMRotaryEmbedding(D, 4096)
    cos, sin = rot(q, seq_len=4096)
    oq, ok = internlm.apply_rotary_pos_emb(q, k, cos, sin, position_ids)
    hq, hk = hf_rope(q, k, position_ids)
    torch.testing.assert_close(oq, hq, atol=1e-6, rtol=0)
    torch.testing.assert_close(ok, hk, atol=1e-6, rtol=0)


def test_apply_rotary_pos_emb_matches_transformers_bf16():
    B, H, S, D = 2, 4, 40, 64
    g = gen(5)
    q = (3 * torch.randn(B, H, S, D, generator=g)).bfloat16()
    k = torch.randn(B, H, S, D, generator=g).bfloat16()
    position_ids = torch.stack([torch.arange(S), torch.arange(1000, 1000 + S)])
    rot = internlm.InternLMRotaryEmbedding(D, 2048)
    cos, sin = rot(q, seq_len=2048)
    oq, ok = internlm.apply_rotary_pos_emb(q, k, cos, sin, position_ids)
    assert oq.dtype == ok.dtype == torch.bfloat16
    hq, hk = hf_rope(q, k, position_ids)
    torch.testing.assert_close(oq.float(), hq.float(), atol=BF16_TOL, rtol=BF16_TOL)
    torch.testing.assert_close(ok.float(), hk.float(), atol=BF16_TOL, rtol=BF16_TOL)


def test_position_ids_pick_rows_per_batch_entry():
    rot = internlm.InternLMRotaryEmbedding(4, 64)
    cos, sin = rot(torch.zeros(1, 1, 1, 4), seq_len=64)
    q = torch.tensor([1.0, 0.0, 0.0, 0.0]).expand(2, 1, 3, 4)
    pid = torch.tensor([[0, 1, 2], [10, 20, 30]])
    oq, _ = internlm.apply_rotary_pos_emb(q, q, cos, sin, pid)
    # the unit vector e_0 at position m, pair 0 = (dims 0, 2), theta_0 = 1: (cos m, 0, sin m, 0)
    for b in range(2):
        for s in range(3):
            m = pid[b, s].item()
            assert oq[b, 0, s].tolist() == pytest.approx([math.cos(m), 0.0, math.sin(m), 0.0], abs=1e-6)
    shared, _ = internlm.apply_rotary_pos_emb(q, q, cos, sin, pid[:1])  # (1, S) broadcasts
    assert torch.equal(shared[1], oq[0])


def test_apply_rotary_pos_emb_errors():
    rot = internlm.InternLMRotaryEmbedding(8, 16)
    q = torch.randn(2, 4, 10, 8)
    cos, sin = rot(q, seq_len=10)
    pid = torch.arange(10)[None].expand(2, -1)
    with pytest.raises(ValueError, match=r"4 dimensions.*\(B, H, S, D\)"):
        internlm.apply_rotary_pos_emb(q[0], q, cos, sin, pid)
    with pytest.raises(ValueError, match="positive even"):
        internlm.apply_rotary_pos_emb(q[..., :7], q[..., :7], cos, sin, pid)
    with pytest.raises(ValueError, match="head_dim mismatch"):
        internlm.apply_rotary_pos_emb(q[..., :6], q[..., :6], cos, sin, pid)
    with pytest.raises(ValueError, match=r"go up to 12.*seq_len >= 13"):
        internlm.apply_rotary_pos_emb(q, q, cos, sin, pid + 3)
    with pytest.raises(ValueError, match=">= 0"):
        internlm.apply_rotary_pos_emb(q, q, cos, sin, pid - 1)
    with pytest.raises(TypeError, match="integer"):
        internlm.apply_rotary_pos_emb(q, q, cos, sin, pid.float())
    with pytest.raises(ValueError, match=r"\(B, S\) = \(2, 10\)"):
        internlm.apply_rotary_pos_emb(q, q, cos, sin, pid[:, :9])
    with pytest.raises(ValueError, match="must agree"):
        internlm.apply_rotary_pos_emb(q, q[:, :, :9], cos, sin, pid)


def test_rotary_embedding_errors():
    with pytest.raises(ValueError, match="positive even"):
        internlm.InternLMRotaryEmbedding(7)
    with pytest.raises(ValueError, match="max_position_embeddings must be >= 1"):
        internlm.InternLMRotaryEmbedding(8, 0)
    rot = internlm.InternLMRotaryEmbedding(8, 16)
    with pytest.raises(ValueError, match="head_dim mismatch"):
        rot(torch.zeros(1, 1, 4, 6), seq_len=4)
    with pytest.raises(ValueError, match=r"4 dimensions"):
        rot(torch.zeros(4, 8), seq_len=4)
    with pytest.raises(ValueError, match="seq_len must be >= 1"):
        rot(torch.zeros(1, 1, 4, 8), seq_len=0)


# ---------------------------------------------------------------------------
# interleaved vs half layout: a permutation of W_q, W_k rows
# ---------------------------------------------------------------------------

def hf_convert_permute(w, n_heads):
    """The `permute` of transformers' convert_llama_weights_to_hf.py, written out independently."""
    dim1, dim2 = w.shape
    return w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)


def scores_meta(x, wq, wk, n_heads):
    """Attention scores q k^T / sqrt(D), (B, H, S, S), with the interleaved (Meta) RoPE."""
    B, S, _ = x.shape
    q = (x @ wq.T).view(B, S, n_heads, -1)
    k = (x @ wk.T).view(B, S, n_heads, -1)
    q, k = llama.apply_rotary_emb(q, k, llama.precompute_freqs_cis(q.shape[-1], S))
    return q.transpose(1, 2) @ k.transpose(1, 2).transpose(2, 3) / math.sqrt(q.shape[-1])


def scores_hf(x, wq, wk, n_heads):
    """Attention scores q k^T / sqrt(D), (B, H, S, S), with the half (rotate_half) RoPE."""
    B, S, _ = x.shape
    q = (x @ wq.T).view(B, S, n_heads, -1).transpose(1, 2)
    k = (x @ wk.T).view(B, S, n_heads, -1).transpose(1, 2)
    rot = internlm.InternLMRotaryEmbedding(q.shape[-1], S)
    cos, sin = rot(q, seq_len=S)
    q, k = internlm.apply_rotary_pos_emb(q, k, cos, sin, torch.arange(S)[None])
    return q @ k.transpose(2, 3) / math.sqrt(q.shape[-1])


@given(n_heads=st.integers(1, 4), half=st.integers(1, 8), S=st.integers(1, 12), seed=st.integers(0, 999))
def test_permuted_weights_give_identical_scores(n_heads, half, S, seed):
    D = 2 * half
    hidden = n_heads * D
    g = gen(seed)
    x = torch.randn(2, S, hidden, generator=g, dtype=torch.float64)
    wq = torch.randn(hidden, hidden, generator=g, dtype=torch.float64) / math.sqrt(hidden)
    wk = torch.randn(hidden, hidden, generator=g, dtype=torch.float64) / math.sqrt(hidden)
    assert torch.equal(internlm.permute_for_rotate_half(wq, n_heads), hf_convert_permute(wq, n_heads))
    a = scores_meta(x, wq, wk, n_heads)
    b = scores_hf(x, internlm.permute_for_rotate_half(wq, n_heads),
                  internlm.permute_for_rotate_half(wk, n_heads), n_heads)
    torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


def test_mixing_layouts_gives_wrong_scores():
    n_heads, D, S = 2, 16, 12
    hidden = n_heads * D
    g = gen(0)
    x = torch.randn(1, S, hidden, generator=g)
    wq = torch.randn(hidden, hidden, generator=g) / math.sqrt(hidden)
    wk = torch.randn(hidden, hidden, generator=g) / math.sqrt(hidden)
    right = scores_meta(x, wq, wk, n_heads)
    mixed = scores_hf(x, wq, wk, n_heads)  # interleaved weights, half rotation: the bug
    assert (right - mixed).abs().max() > 0.1
    # position 0 is not rotated by either, so only scores involving later tokens differ
    torch.testing.assert_close(right[..., 0, 0], mixed[..., 0, 0], atol=1e-5, rtol=0)


def test_permute_for_rotate_half_errors():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        internlm.permute_for_rotate_half(torch.randn(10, 4), 3)
    with pytest.raises(ValueError, match="positive even"):
        internlm.permute_for_rotate_half(torch.randn(9, 4), 3)
    with pytest.raises(ValueError, match="2 dimensions"):
        internlm.permute_for_rotate_half(torch.randn(8), 2)


def test_layout_pairs_state_matches_the_rotations():
    s = layout_pairs_state(8)
    assert s["interleaved"] == [(0, 1), (2, 3), (4, 5), (6, 7)]
    assert s["half"] == [(0, 4), (1, 5), (2, 6), (3, 7)]
    # rotating only pair 1 by 90 degrees moves exactly the slots the state names, in each layout
    x = torch.arange(1.0, 9.0)[None]
    ang = torch.tensor([[0.0, math.pi / 2, 0.0, 0.0]])
    for layout in ("interleaved", "half"):
        moved = (ropelab.rope_from_angles(x, ang, layout=layout) - x).abs()[0] > 1e-4
        assert moved.nonzero().flatten().tolist() == list(s[layout][1])
        assert [i for i, p in enumerate(s["pair_of_slot"][layout]) if p == 1] == list(s[layout][1])
    p = torch.tensor(s["perm"])
    assert torch.equal(torch.arange(8.0)[p], torch.tensor([0.0, 2, 4, 6, 1, 3, 5, 7]))
    assert len(layout_pairs_figure(6)._repr_png_()) > 1000


# ---------------------------------------------------------------------------
# the exercises of notebook 07: each solution passes, other correct forms pass too, and plausible
# wrong answers fail with the diagnosis a learner needs (raised / wrong shape / wrong values)
# ---------------------------------------------------------------------------

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


def test_layout_pairs_state_says_which_coordinate_each_slot_holds():
    s = layout_pairs_state(8)
    assert s["holds"]["interleaved"] == list(range(8))
    assert s["holds"]["half"] == [0, 2, 4, 6, 1, 3, 5, 7]
    x = torch.arange(8.0)
    assert ropelab.interleaved_to_half(x[None])[0].tolist() == [float(j) for j in s["holds"]["half"]]
    labels = [t.get_text() for t in layout_pairs_figure(8).axes[0].texts]
    assert [t for t in labels if t.startswith("x") and t[1:].isdigit()][8:] == [f"x{j}" for j in s["holds"]["half"]]


# ---------------------------------------------------------------------------
# what the original does that ropelab does not: cast its buffers and regrow them in bfloat16
# ---------------------------------------------------------------------------

def test_a_plain_module_cast_is_the_originals_and_ruins_a_regrown_table():
    original = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=4096)
    torch.nn.Module._apply(original, lambda t: t.to(torch.bfloat16) if t.is_floating_point() else t)
    assert {b.dtype for b in original.buffers()} == {torch.bfloat16}
    original(torch.zeros(1, 1, 1, 8, dtype=torch.bfloat16), seq_len=5000)
    exact = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=5000).cos_cached[0, 0]
    err = (original.cos_cached[0, 0].float() - exact).abs().amax(-1)
    assert err[:256].max() < 0.1 and err.max() > 1.5
    ours = internlm.InternLMRotaryEmbedding(8, max_position_embeddings=4096).to(torch.bfloat16)
    assert ours.cos_cached.dtype == torch.float32     # ropelab's deliberate difference


# ---------------------------------------------------------------------------
# partial rotary (GPT-NeoX rotary_pct, transformers partial_rotary_factor)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("head_dim,pct", [(32, 0.25), (64, 0.5), (80, 0.4), (16, 1.0)])
def test_partial_rope_matches_transformers_gpt_neox(head_dim, pct):
    from transformers import GPTNeoXConfig
    from transformers.models.gpt_neox.modeling_gpt_neox import GPTNeoXRotaryEmbedding, apply_rotary_pos_emb

    from ropelab.lesson07_internlm_rope import partial

    cfg = GPTNeoXConfig(hidden_size=2 * head_dim, num_attention_heads=2, num_hidden_layers=1, intermediate_size=8,
                        vocab_size=8, rotary_pct=pct)
    assert cfg.rope_parameters["partial_rotary_factor"] == pct
    rot = GPTNeoXRotaryEmbedding(cfg)
    r = partial.rotary_dim(head_dim, pct)
    torch.testing.assert_close(rot.inv_freq, ropelab.inv_freq(r))
    q = torch.randn(1, 2, 7, head_dim, generator=gen(0))
    pos = torch.arange(300, 307)
    cos, sin = rot(q, pos[None])
    theirs, _ = apply_rotary_pos_emb(q, q, cos, sin)
    ours = partial.partial_rope(q, pos, pct)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    assert torch.equal(ours[..., r:], q[..., r:])


def test_partial_rope_scores_are_relative_and_errors_are_clear():
    from ropelab.lesson07_internlm_rope import partial

    q, k = torch.randn(32, generator=gen(1)), torch.randn(32, generator=gen(2))
    scores = [(partial.partial_rope(q[None], [m], 0.25) @ partial.partial_rope(k[None], [m - 3], 0.25).T).item()
              for m in (5, 50, 500)]
    assert max(scores) - min(scores) < 1e-4
    with pytest.raises(ValueError, match="even number >= 2"):
        partial.rotary_dim(32, 0.1)            # int(3.2) = 3 coordinates: odd
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        partial.rotary_dim(32, 1.5)
    with pytest.raises(TypeError, match="real number"):
        partial.partial_rope(q[None], [0], "half")


# ---------------------------------------------------------------------------
# the prediction of notebook 07
# ---------------------------------------------------------------------------

def test_prediction_mixed_top1():
    # independent route: seeded weights, causal scores with the two layouts mixed
    B, S, H, D = 2, 10, 4, 8
    g = gen(3)
    x = torch.randn(B, S, H * D, generator=g)
    w_q, w_k = torch.randn(H * D, H * D, generator=g), torch.randn(H * D, H * D, generator=g)
    q = (x @ w_q.T).view(B, S, H, D).transpose(1, 2)
    k = (x @ w_k.T).view(B, S, H, D).transpose(1, 2)
    causal = torch.full((S, S), float("-inf")).triu(1)
    right = ropelab.apply_rope(q, range(S)) @ ropelab.apply_rope(k, range(S)).transpose(-1, -2) + causal
    mixed = ropelab.apply_rope(q, range(S), layout="half") @ ropelab.apply_rope(k, range(S), layout="half"
                                                                               ).transpose(-1, -2) + causal
    same = right.argmax(-1) == mixed.argmax(-1)
    assert same[..., 0].all()                      # position 0 sees only key 0
    assert 0 < same.float().mean() < 1             # so: changed for some queries
    assert check("07.mixed_top1", "changed for some queries").passed
    for wrong in ("unchanged for every query", "changed for every query"):
        res = check("07.mixed_top1", wrong)
        assert not res.passed and "position 0 sees only key 0" in res.message, res.message
