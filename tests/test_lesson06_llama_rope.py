"""Lesson 06, ropelab.llama: Meta's complex-number RoPE, checked against transformers' Llama code, the KV
cache, the KV-cache picture, and the exercises of notebook 06.

Tolerances (stated once, used below):
* float32: ours vs transformers within 1e-5 absolute (measured ~2e-7: the complex multiply
  and the real cos/sin form round differently in the last bit).
* bfloat16: ours vs transformers within atol = rtol = 2**-5. transformers rounds cos, sin,
  both products and the sum to bfloat16 (roundoff 2**-8 each); we compute in float32 and round
  once, so ours is also checked to be within half a bfloat16 ulp (2**-8 relative) of a float64
  rotation by the same angles.
"""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab import llama
from ropelab.common import hf
from ropelab.exercises import check
from ropelab.lesson06_llama_rope import kv_cache_figure, kv_cache_state
from ropelab.lesson06_llama_rope.figures import CACHED, HIDDEN, MASKED, NEW
from solutions import lesson06_llama_rope as sol

BF16_TOL = 2 ** -5


def to_hf_layout(x):
    """Meta (B, S, H, D) interleaved -> Hugging Face (B, H, S, D) half layout."""
    p = ropelab.interleaved_to_half_index(x.shape[-1])
    return x[..., p].transpose(1, 2)


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------
# precompute_freqs_cis
# ---------------------------------------------------------------------------

def test_precompute_freqs_cis_shape_and_values_from_the_formula():
    dim, end = 10, 37
    fc = llama.precompute_freqs_cis(dim, end)
    assert fc.shape == (end, dim // 2) and fc.dtype == torch.complex64
    # independent float64 evaluation of e^{i m theta_j}, theta_j = 10000^(-2j/dim)
    for m in (0, 1, 7, 36):
        for j in range(dim // 2):
            ang = m * 10000.0 ** (-2 * j / dim)
            assert fc[m, j].real.item() == pytest.approx(math.cos(ang), abs=2e-6)
            assert fc[m, j].imag.item() == pytest.approx(math.sin(ang), abs=2e-6)
    torch.testing.assert_close(fc.abs(), torch.ones(end, dim // 2), atol=1e-6, rtol=0)


def test_precompute_freqs_cis_theta_changes_frequencies():
    fc = llama.precompute_freqs_cis(4, 3, theta=100.0)
    # theta_1 = 100^(-2/4) = 0.1, so position 2 has angle 0.2 in pair 1
    assert fc[2, 1].real.item() == pytest.approx(math.cos(0.2), abs=1e-6)
    assert fc[2, 1].imag.item() == pytest.approx(math.sin(0.2), abs=1e-6)


def test_precompute_freqs_cis_matches_transformers_cos_sin():
    dim, end = 16, 300
    fc = llama.precompute_freqs_cis(dim, end)
    cos, sin = hf.hf_cos_sin(torch.arange(end), dim)
    # Hugging Face's table is cat((angles, angles)); its first half is Meta's real / imaginary part
    torch.testing.assert_close(fc.real, cos[:, : dim // 2], atol=1e-6, rtol=0)
    torch.testing.assert_close(fc.imag, sin[:, : dim // 2], atol=1e-6, rtol=0)


# ---------------------------------------------------------------------------
# reshape_for_broadcast
# ---------------------------------------------------------------------------

def test_reshape_for_broadcast_is_a_view_that_pairs_rows_with_tokens():
    B, S, H, half = 2, 5, 3, 4
    fc = llama.precompute_freqs_cis(2 * half, S)
    x = torch.complex(torch.randn(B, S, H, half, generator=gen(0)), torch.randn(B, S, H, half, generator=gen(1)))
    out = llama.reshape_for_broadcast(fc, x)
    assert out.shape == (1, S, 1, half)
    assert out.data_ptr() == fc.data_ptr()  # no copy
    prod = x * out
    for b, s, h, j in [(0, 0, 0, 0), (1, 4, 2, 3), (0, 2, 1, 1)]:
        torch.testing.assert_close(prod[b, s, h, j], x[b, s, h, j] * fc[s, j])


def test_reshape_for_broadcast_takes_any_rank_with_seq_at_dim_1_like_meta():
    # Meta's reshape_for_broadcast keeps dims 1 and -1 of any x; (B, S, D/2) is one head
    B, S, half = 2, 5, 4
    fc = llama.precompute_freqs_cis(2 * half, S)
    x = torch.complex(torch.randn(B, S, half, generator=gen(2)), torch.randn(B, S, half, generator=gen(3)))
    out = llama.reshape_for_broadcast(fc, x)
    assert out.shape == (1, S, half) and out.data_ptr() == fc.data_ptr()
    prod = x * out
    for b, s, j in [(0, 0, 0), (1, 4, 3), (0, 2, 1)]:
        torch.testing.assert_close(prod[b, s, j], x[b, s, j] * fc[s, j])
    x5 = x[:, :, None, None].expand(B, S, 3, 2, half)
    assert llama.reshape_for_broadcast(fc, x5).shape == (1, S, 1, 1, half)


def test_reshape_for_broadcast_errors():
    fc = llama.precompute_freqs_cis(8, 5)
    xc = torch.zeros(2, 5, 3, 4, dtype=torch.complex64)
    with pytest.raises(ValueError, match=r"at least 3 dimensions.*x\[None\]"):
        llama.reshape_for_broadcast(fc, xc[0, 0])
    with pytest.raises(TypeError, match="complex"):
        llama.reshape_for_broadcast(fc.real, xc)
    with pytest.raises(TypeError, match="complex"):
        llama.reshape_for_broadcast(fc, torch.zeros(2, 5, 3, 4))
    with pytest.raises(ValueError, match="head_dim mismatch"):
        llama.reshape_for_broadcast(llama.precompute_freqs_cis(6, 5), xc)
    with pytest.raises(ValueError, match=r"slice the rows.*start_pos"):
        llama.reshape_for_broadcast(llama.precompute_freqs_cis(8, 9), xc)
    with pytest.raises(ValueError, match="only 3 positions"):
        llama.reshape_for_broadcast(llama.precompute_freqs_cis(8, 3), xc)


# ---------------------------------------------------------------------------
# apply_rotary_emb against transformers
# ---------------------------------------------------------------------------

@given(
    B=st.integers(1, 3), S=st.integers(1, 9), H=st.integers(1, 3), half=st.integers(1, 8),
    start=st.integers(0, 5000), seed=st.integers(0, 2 ** 16),
)
def test_apply_rotary_emb_matches_transformers_fp32(B, S, H, half, start, seed):
    D = 2 * half
    g = gen(seed)
    xq = torch.randn(B, S, H, D, generator=g)
    xk = torch.randn(B, S, H, D, generator=g)
    fc = llama.precompute_freqs_cis(D, start + S)
    oq, ok = llama.apply_rotary_emb(xq, xk, fc[start:start + S])
    assert oq.shape == xq.shape and oq.dtype == torch.float32
    hq, hk = hf.hf_apply_rotary_pos_emb(to_hf_layout(xq), to_hf_layout(xk), torch.arange(start, start + S))
    torch.testing.assert_close(to_hf_layout(oq), hq, atol=1e-5, rtol=0)
    torch.testing.assert_close(to_hf_layout(ok), hk, atol=1e-5, rtol=0)


def test_apply_rotary_emb_matches_transformers_bf16():
    B, S, H, D, start = 3, 48, 4, 64, 1000
    g = gen(7)
    xq = (3 * torch.randn(B, S, H, D, generator=g)).bfloat16()
    xk = torch.randn(B, S, H, D, generator=g).bfloat16()
    pos = torch.arange(start, start + S)
    fc = llama.precompute_freqs_cis(D, start + S)
    oq, ok = llama.apply_rotary_emb(xq, xk, fc[start:])
    assert oq.dtype == torch.bfloat16 and ok.dtype == torch.bfloat16
    hq, hk = hf.hf_apply_rotary_pos_emb(to_hf_layout(xq), to_hf_layout(xk), pos)
    torch.testing.assert_close(to_hf_layout(oq).float(), hq.float(), atol=BF16_TOL, rtol=BF16_TOL)
    torch.testing.assert_close(to_hf_layout(ok).float(), hk.float(), atol=BF16_TOL, rtol=BF16_TOL)
    # ours is rounded once: within half a bf16 ulp of the float64 rotation by the same float32 angles
    ang = ropelab.angles(pos, D).double()
    exact = ropelab.rope_from_angles(xq.double().transpose(1, 2), ang).transpose(1, 2)
    err = (oq.double() - exact).abs()
    assert (err <= 2 ** -8 * exact.abs() + 1e-5).all(), err.max()


def test_apply_rotary_emb_float64_and_gqa():
    g = gen(3)
    xq = torch.randn(2, 6, 4, 8, generator=g, dtype=torch.float64)
    xk = torch.randn(2, 6, 2, 8, generator=g, dtype=torch.float64)  # fewer key heads (GQA)
    fc = llama.precompute_freqs_cis(8, 6)
    oq, ok = llama.apply_rotary_emb(xq, xk, fc)
    assert oq.dtype == ok.dtype == torch.float64 and ok.shape == xk.shape
    ref = ropelab.rope_interleaved(xk.transpose(1, 2), range(6)).transpose(1, 2)
    torch.testing.assert_close(ok, ref, atol=1e-6, rtol=0)


def test_apply_rotary_emb_preserves_pair_lengths_and_relative_scores():
    g = gen(11)
    D, S = 12, 20
    q = torch.randn(1, 1, 1, D, generator=g).expand(1, S, 1, D)
    k = torch.randn(1, 1, 1, D, generator=g).expand(1, S, 1, D)
    oq, ok = llama.apply_rotary_emb(q, k, llama.precompute_freqs_cis(D, S))
    torch.testing.assert_close(oq.reshape(S, -1, 2).norm(dim=-1), q.reshape(S, -1, 2).norm(dim=-1))
    scores = oq[0, :, 0] @ ok[0, :, 0].T  # (S, S): depends on m - n only
    for delta in (0, 3, -5):
        diag = torch.diagonal(scores, offset=delta)
        torch.testing.assert_close(diag, diag[:1].expand_as(diag), atol=1e-4, rtol=0)


def test_apply_rotary_emb_errors():
    fc = llama.precompute_freqs_cis(8, 5)
    q = torch.randn(2, 5, 3, 8)
    with pytest.raises(ValueError, match=r"4 dimensions.*\(B, S, H, D\)"):
        llama.apply_rotary_emb(q[0], q, fc)
    with pytest.raises(ValueError, match="positive even"):
        llama.apply_rotary_emb(torch.randn(2, 5, 3, 7), torch.randn(2, 5, 3, 7), fc)
    with pytest.raises(ValueError, match="head_dim mismatch"):
        llama.apply_rotary_emb(q, q, llama.precompute_freqs_cis(16, 5))
    with pytest.raises(ValueError, match="must agree"):
        llama.apply_rotary_emb(q, q[:, :4], fc)
    with pytest.raises(ValueError, match="only 4 positions"):
        llama.apply_rotary_emb(q, q, fc[:4])
    with pytest.raises(TypeError, match="floating-point"):
        llama.apply_rotary_emb(q.long(), q, fc)
    with pytest.raises(TypeError, match="torch.Tensor"):
        llama.apply_rotary_emb(q.tolist(), q, fc)


def test_precompute_and_slice_errors():
    with pytest.raises(ValueError, match="positive even"):
        llama.precompute_freqs_cis(7, 10)
    with pytest.raises(ValueError, match="end must be >= 1"):
        llama.precompute_freqs_cis(8, 0)
    with pytest.raises(ValueError, match="theta must be > 1"):
        llama.precompute_freqs_cis(8, 4, theta=-1)
    fc = llama.precompute_freqs_cis(8, 10)
    assert llama.slice_freqs_cis(fc, 7, 3).shape == (3, 4)
    with pytest.raises(ValueError, match="cannot grow"):
        llama.slice_freqs_cis(fc, 8, 3)


# ---------------------------------------------------------------------------
# the causal mask and the attention stack
# ---------------------------------------------------------------------------

@given(S=st.integers(1, 6), start=st.integers(0, 6))
def test_causal_mask_allows_exactly_the_past(S, start):
    m = llama.causal_mask(S, start)
    assert m.shape == (S, start + S)
    for i in range(S):
        for j in range(start + S):
            allowed = j <= start + i
            assert (m[i, j].item() == 0.0) if allowed else (m[i, j].item() == float("-inf"))


@given(S=st.integers(2, 10), n_layers=st.integers(1, 3), split=st.integers(1, 9), seed=st.integers(0, 999))
def test_kv_cache_token_by_token_equals_full_sequence(S, n_layers, split, seed):
    split = min(split, S - 1)
    ropelab.seed(seed)
    model = llama.TinyLlama(dim=16, n_heads=2, n_layers=n_layers, max_batch_size=3, max_seq_len=12)
    h = torch.randn(2, S, 16, generator=gen(seed))
    with torch.no_grad():
        full = model(h)
        stepwise = torch.cat([model(h[:, i:i + 1], start_pos=i) for i in range(S)], dim=1)
        chunked = torch.cat([model(h[:, :split], 0), model(h[:, split:], split)], dim=1)
    torch.testing.assert_close(stepwise, full, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(chunked, full, atol=1e-5, rtol=1e-5)


def test_kv_cache_would_differ_without_positions_of_the_cache():
    # decoding token i at the wrong start_pos (0) uses the wrong table row and the wrong cache rows
    ropelab.seed(0)
    model = llama.TinyLlama(dim=16, n_heads=2, n_layers=2, max_seq_len=12)
    h = torch.randn(1, 6, 16, generator=gen(1))
    with torch.no_grad():
        full = model(h)
        model(h[:, :5], 0)
        wrong = model(h[:, 5:], 0)
    assert (wrong[0, 0] - full[0, 5]).abs().max() > 1e-3


def test_rope_runs_in_every_layer_on_q_and_k_only():
    calls = []

    def traced(xq, xk, freqs_cis):
        calls.append((xq.shape, xk.shape, freqs_cis.shape))
        return llama.apply_rotary_emb(xq, xk, freqs_cis)

    ropelab.seed(0)
    model = llama.TinyLlama(dim=24, n_heads=3, n_layers=4, max_seq_len=16, rope=traced)
    h = torch.randn(2, 5, 24, generator=gen(2))
    with torch.no_grad():
        model(h)
    assert len(calls) == 4
    assert all(c == ((2, 5, 3, 8), (2, 5, 3, 8), (5, 4)) for c in calls)
    layer = model.layers[0]
    with torch.no_grad():
        xv = layer.wv(h).view(2, 5, 3, 8)
        xk = layer.wk(h).view(2, 5, 3, 8)
        _, rk = llama.apply_rotary_emb(xk, xk, llama.precompute_freqs_cis(8, 5))
    torch.testing.assert_close(layer.cache_v[:2, :5], xv)   # values stored as projected
    torch.testing.assert_close(layer.cache_k[:2, :5], rk)   # keys stored rotated
    assert (layer.cache_k[:2, 1:5] - xk[:, 1:]).abs().max() > 1e-3


def test_attention_depends_only_on_relative_positions():
    ropelab.seed(0)
    att = llama.Attention(16, 2, max_seq_len=8)
    x = torch.randn(1, 8, 16, generator=gen(4))
    table = llama.precompute_freqs_cis(8, 300)
    mask = llama.causal_mask(8)
    with torch.no_grad():
        a = att(x, 0, table[:8], mask)
        b = att(x, 0, table[250:258], mask)  # every token moved 250 positions later
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_attention_block_matches_transformers_llama_attention():
    from transformers.models.llama.modeling_llama import LlamaAttention

    from ropelab.internlm import permute_for_rotate_half

    dim, H, S, B = 32, 4, 9, 2
    D = dim // H
    ropelab.seed(0)
    ours = llama.Attention(dim, H, max_batch_size=B, max_seq_len=S)
    cfg = hf.llama_config(head_dim=D, num_heads=H)
    cfg._attn_implementation = "eager"
    theirs = LlamaAttention(cfg, layer_idx=0)
    # HF conversion: rows of W_q, W_k permuted to the half layout, W_v, W_o unchanged
    p = ropelab.interleaved_to_half_index(D)
    with torch.no_grad():
        theirs.q_proj.weight.copy_(ours.wq.weight.view(H, D, dim)[:, p].reshape(dim, dim))
        theirs.k_proj.weight.copy_(ours.wk.weight.view(H, D, dim)[:, p].reshape(dim, dim))
        theirs.v_proj.weight.copy_(ours.wv.weight)
        theirs.o_proj.weight.copy_(ours.wo.weight)
    torch.testing.assert_close(permute_for_rotate_half(ours.wq.weight, H), theirs.q_proj.weight)
    x = torch.randn(B, S, dim, generator=gen(5))
    mask = llama.causal_mask(S)
    with torch.no_grad():
        a = ours(x, 0, llama.precompute_freqs_cis(D, S), mask)
        cos, sin = hf.hf_rotary_embedding(D)(x, torch.arange(S)[None].expand(B, -1))
        b, _ = theirs(x, (cos, sin), attention_mask=mask[None, None].expand(B, 1, S, S))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("H,Hk", [(4, 2), (6, 2), (4, 1)])
def test_grouped_query_attention_matches_transformers(H, Hk):
    # n_kv_heads < n_heads: query head h reads key/value head h // (H // Hk), as transformers'
    # repeat_kv does (repeat_interleave order; plain repeat would pair h with h % Hk)
    from transformers.models.llama.modeling_llama import LlamaAttention

    D, S, B = 8, 7, 2
    dim = H * D
    ropelab.seed(1)
    ours = llama.Attention(dim, H, max_batch_size=B, max_seq_len=S, n_kv_heads=Hk)
    cfg = hf.llama_config(head_dim=D, num_heads=H, num_kv_heads=Hk)
    cfg._attn_implementation = "eager"
    theirs = LlamaAttention(cfg, layer_idx=0)
    assert theirs.k_proj.weight.shape == ours.wk.weight.shape == (Hk * D, dim)
    p = ropelab.interleaved_to_half_index(D)
    with torch.no_grad():
        theirs.q_proj.weight.copy_(ours.wq.weight.view(H, D, dim)[:, p].reshape(H * D, dim))
        theirs.k_proj.weight.copy_(ours.wk.weight.view(Hk, D, dim)[:, p].reshape(Hk * D, dim))
        theirs.v_proj.weight.copy_(ours.wv.weight)
        theirs.o_proj.weight.copy_(ours.wo.weight)
    x = torch.randn(B, S, dim, generator=gen(6))
    mask = llama.causal_mask(S)
    with torch.no_grad():
        a = ours(x, 0, llama.precompute_freqs_cis(D, S), mask)
        cos, sin = hf.hf_rotary_embedding(D)(x, torch.arange(S)[None].expand(B, -1))
        b, _ = theirs(x, (cos, sin), attention_mask=mask[None, None].expand(B, 1, S, S))
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_attention_errors():
    att = llama.Attention(16, 2, max_batch_size=2, max_seq_len=6)
    fc = llama.precompute_freqs_cis(8, 20)
    x = torch.randn(1, 3, 16)
    with torch.no_grad():
        with pytest.raises(ValueError, match=r"3 dimensions.*\(B, S, dim\)"):
            att(x[0], 0, fc[:3])
        with pytest.raises(ValueError, match="dim = 16"):
            att(torch.randn(1, 3, 12), 0, fc[:3])
        with pytest.raises(ValueError, match="max_batch_size = 2"):
            att(torch.randn(3, 3, 16), 0, fc[:3])
        with pytest.raises(ValueError, match="max_seq_len = 6"):
            att(x, 4, fc[4:7])
        with pytest.raises(ValueError, match=r"mask must have shape \(S, start_pos \+ S\) = \(3, 5\)"):
            att(x, 2, fc[2:5], llama.causal_mask(3))
        with pytest.raises(ValueError, match="head_dim mismatch"):
            att(x, 0, llama.precompute_freqs_cis(4, 3))
    with pytest.raises(ValueError, match="positive even"):
        llama.Attention(15, 5)
    with pytest.raises(ValueError, match="multiple of n_heads"):
        llama.Attention(16, 3)
    model = llama.TinyLlama(16, 2, 1, max_seq_len=8, rope_positions=4)
    with torch.no_grad(), pytest.raises(ValueError, match="cannot grow"):
        model(torch.randn(1, 5, 16))


# ---------------------------------------------------------------------------
# the KV-cache picture of notebook 06
# ---------------------------------------------------------------------------

@given(prompt_len=st.integers(1, 6), n_new=st.integers(0, 5))
def test_kv_cache_state_schedule(prompt_len, n_new):
    s = kv_cache_state(prompt_len, n_new)
    total = prompt_len + n_new
    assert s["grid"].shape == (total, total)
    assert [c["start_pos"] for c in s["calls"]] == [0] + list(range(prompt_len, total))
    for i in range(total):
        call_start = 0 if i < prompt_len else i          # the forward call that processes query i
        call_end = prompt_len if i < prompt_len else i + 1
        for j in range(total):
            if j < call_start:
                want = CACHED
            elif j < call_end:
                want = NEW if j <= i else MASKED
            else:
                want = HIDDEN
            assert s["grid"][i, j] == want
    # the visible keys of every query are exactly what the causal mask of its call allows
    for c in s["calls"]:
        m = llama.causal_mask(c["seqlen"], c["start_pos"])
        for r in range(c["seqlen"]):
            visible = s["grid"][c["start_pos"] + r, : c["start_pos"] + c["seqlen"]]
            assert ((visible == CACHED) | (visible == NEW)).tolist() == (m[r] == 0).tolist()


def test_kv_cache_figure_draws():
    fig = kv_cache_figure(3, 2)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("freqs_cis[3:4]" in t for t in texts) and any("freqs_cis[0:3]" in t for t in texts)
    assert len(fig._repr_png_()) > 1000


# ---------------------------------------------------------------------------
# the exercises of notebook 06: each solution passes, other correct forms pass too, and plausible
# wrong answers fail with the diagnosis a learner needs (wrong shape / wrong dtype / wrong values)
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Meta's freqs_cis is a plain attribute moved by hand, not a buffer
# ---------------------------------------------------------------------------

def test_freqs_cis_is_a_plain_attribute_that_forward_moves():
    import copy
    import warnings

    model = llama.TinyLlama(dim=16, n_heads=2, n_layers=1, max_seq_len=8)
    assert "freqs_cis" not in dict(model.named_buffers())
    assert not any(k.endswith("freqs_cis") for k in model.state_dict())
    on_meta = copy.deepcopy(model).to("meta")
    assert on_meta.layers[0].wq.weight.device.type == "meta" and on_meta.freqs_cis.device.type == "cpu"
    with torch.no_grad():
        on_meta(torch.zeros(1, 3, 16, device="meta"))
    assert on_meta.freqs_cis.device.type == "meta"   # Meta: self.freqs_cis = self.freqs_cis.to(h.device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # no "discards the imaginary part" warning
        as_bf16 = copy.deepcopy(model).to(torch.bfloat16)
    assert as_bf16.freqs_cis.dtype == torch.complex64
    torch.testing.assert_close(as_bf16.freqs_cis, model.freqs_cis)


def test_meta_slicing_past_the_table_gives_too_few_rows_so_the_assert_fails():
    model = llama.TinyLlama(dim=16, n_heads=2, n_layers=1, max_seq_len=16)   # 32 rows
    rows = model.freqs_cis[30:34]
    assert rows.shape == (2, 4) and rows.shape != (4, 4)   # Meta's assert freqs_cis.shape == (S, D/2) fails
    with pytest.raises(ValueError, match="beyond the rotary table"):
        llama.slice_freqs_cis(model.freqs_cis, 30, 4)


# ---------------------------------------------------------------------------
# the predictions of notebook 06
# ---------------------------------------------------------------------------

def test_prediction_shifted_block_is_measured_zero():
    ropelab.seed(0)
    att = llama.Attention(dim=32, n_heads=4, max_seq_len=8)
    x6 = torch.randn(1, 6, 32)
    table = llama.precompute_freqs_cis(8, 128)
    with torch.no_grad():
        diff = (att(x6, 0, table[0:6], llama.causal_mask(6)) - att(x6, 0, table[100:106], llama.causal_mask(6)))
    assert diff.abs().max().item() < 1e-4
    for right in (0, 0.0, 1e-6, torch.tensor(0.0)):
        assert check("06.shifted_block", right).passed
    for wrong in (0.5, 1.0, 100):
        res = check("06.shifted_block", wrong)
        assert not res.passed and "m - n alone" in res.message, res.message


def test_prediction_cache_holds_rotated_keys():
    ropelab.seed(0)
    model = llama.TinyLlama(dim=32, n_heads=4, n_layers=1, max_seq_len=16)
    h = torch.randn(2, 5, 32)
    with torch.no_grad():
        model(h)
        raw_k = model.layers[0].wk(h).view(2, 5, 4, 8)
    rotated, _ = llama.apply_rotary_emb(raw_k, raw_k, model.freqs_cis[:5])
    assert torch.equal(model.layers[0].cache_k[:2, :5], rotated)
    assert check("06.cache_holds", " Rotated ").passed
    res = check("06.cache_holds", "not rotated")
    assert not res.passed and "rotated once" in res.message, res.message
    with pytest.raises(ValueError, match="must be one of"):
        check("06.cache_holds", "both")
