"""ropelab.attention: the tiny self-attention of notebook 02.

References are independent: a float64 softmax written out here, and PyTorch's own
``scaled_dot_product_attention``.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import ropelab
from ropelab.attention import attention, attention_weights, projection_weights, self_attention


def _softmax_weights_f64(q, k, causal=False):
    """softmax(q k^T / sqrt(d)) written out with exp and sums, in float64."""
    q, k = q.double(), k.double()
    d = q.shape[-1]
    s = torch.einsum("...id,...jd->...ij", q, k) / math.sqrt(d)
    if causal:
        n = s.shape[-1]
        s = s + torch.tensor([[0.0 if j <= i else -math.inf for j in range(n)] for i in range(n)],
                             dtype=torch.float64)
    e = torch.exp(s - s.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------
# attention_weights / attention
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
def test_weights_match_written_out_softmax(causal):
    g = _gen(1)
    q, k = torch.randn(2, 3, 5, 4, generator=g), torch.randn(2, 3, 5, 4, generator=g)
    w = attention_weights(q, k, causal=causal)
    assert w.shape == (2, 3, 5, 5)
    torch.testing.assert_close(w.double(), _softmax_weights_f64(q, k, causal), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, 5))
    if causal:
        assert torch.all(w.triu(1) == 0)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_sdpa(causal):
    g = _gen(2)
    q, k = torch.randn(2, 6, 8, generator=g), torch.randn(2, 6, 8, generator=g)
    v = torch.randn(2, 6, 3, generator=g)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(attention(q, k, v, causal=causal), expected, atol=1e-5, rtol=1e-5)


def test_attention_rectangular_and_dtypes():
    g = _gen(3)
    q = torch.randn(3, 4, generator=g, dtype=torch.float64)
    k = torch.randn(7, 4, generator=g, dtype=torch.float64)
    v = torch.randn(7, 2, generator=g, dtype=torch.float64)
    out = attention(q, k, v)
    assert out.shape == (3, 2) and out.dtype == torch.float64
    torch.testing.assert_close(out, _softmax_weights_f64(q, k) @ v)
    bf = attention(q.bfloat16(), k.bfloat16(), v.bfloat16())
    assert bf.dtype == torch.bfloat16
    torch.testing.assert_close(bf.double(), out, atol=3e-2, rtol=3e-2)


def test_first_causal_query_sees_only_itself():
    g = _gen(4)
    q, k, v = (torch.randn(5, 4, generator=g) for _ in range(3))
    out = attention(q, k, v, causal=True)
    torch.testing.assert_close(out[0], v[0])


# ---------------------------------------------------------------------------
# self_attention: the permutation property and positions
# ---------------------------------------------------------------------------

@given(seq=st.integers(2, 7), d_model=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_self_attention_is_permutation_equivariant(seq, d_model, seed):
    g = _gen(seed)
    x = torch.randn(seq, d_model, generator=g, dtype=torch.float64)
    w = [t.double() for t in projection_weights(d_model, 4, seed=seed)]
    perm = torch.randperm(seq, generator=g)
    out = self_attention(x, *w)
    torch.testing.assert_close(self_attention(x[perm], *w), out[perm])


def test_positions_break_the_permutation_symmetry():
    g = _gen(5)
    x = torch.randn(4, 8, generator=g)
    w = projection_weights(8, 8, seed=1)
    perm = [2, 1, 0, 3]
    pe = ropelab.sinusoidal_pe(4, 8)
    added = self_attention(x + pe, *w)
    assert not torch.allclose(self_attention(x[perm] + pe, *w), added[perm], atol=1e-3)
    rope = self_attention(x, *w, positions=range(4))
    assert not torch.allclose(self_attention(x[perm], *w, positions=range(4)), rope[perm], atol=1e-3)


@given(shift=st.integers(-50, 500), seed=st.integers(0, 10_000), layout=st.sampled_from(["interleaved", "half"]))
def test_rope_self_attention_depends_only_on_relative_positions(shift, seed, layout):
    g = _gen(seed)
    x = torch.randn(5, 6, generator=g, dtype=torch.float64)
    w = [t.double() for t in projection_weights(6, 4, seed=seed)]
    base = self_attention(x, *w, positions=range(5), layout=layout)
    shifted = self_attention(x, *w, positions=range(shift, shift + 5), layout=layout)
    torch.testing.assert_close(shifted, base, atol=1e-9, rtol=1e-9)


def test_rope_at_position_zero_is_no_rope_and_v_is_not_rotated():
    g = _gen(6)
    x = torch.randn(3, 4, generator=g)
    w_q, w_k, w_v = projection_weights(4, 4, seed=2)
    plain = self_attention(x, w_q, w_k, w_v)
    torch.testing.assert_close(self_attention(x, w_q, w_k, w_v, positions=[0, 0, 0]), plain)
    # with all q, k at the same position the scores equal the plain ones; if v were rotated too,
    # the output at a non-zero common position would change
    torch.testing.assert_close(self_attention(x, w_q, w_k, w_v, positions=[7, 7, 7]), plain, atol=1e-5, rtol=1e-5)


def test_self_attention_weights_and_batches():
    g = _gen(7)
    x = torch.randn(2, 3, 5, 8, generator=g)
    w = projection_weights(8, 4, seed=3, d_v=6)
    out, weights = self_attention(x, *w, causal=True, return_weights=True)
    assert out.shape == (2, 3, 5, 6) and weights.shape == (2, 3, 5, 5)
    for b in range(2):
        for h in range(3):
            torch.testing.assert_close(out[b, h], self_attention(x[b, h], *w, causal=True))
    torch.testing.assert_close(out, weights @ (x @ w[2]))


# ---------------------------------------------------------------------------
# projection_weights and validation
# ---------------------------------------------------------------------------

def test_projection_weights_are_seeded_and_leave_global_rng_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = projection_weights(16, 4, seed=0)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = projection_weights(16, 4, seed=0)
    c = projection_weights(16, 4, seed=1)
    assert all(torch.equal(s, t) for s, t in zip(a, b))
    assert not torch.equal(a[0], c[0])
    assert [t.shape for t in a] == [(16, 4)] * 3
    assert projection_weights(16, 4, d_v=5)[2].shape == (16, 5)
    big = projection_weights(400, 400, seed=0)[0]
    assert abs(big.std().item() - 1 / math.sqrt(400)) < 0.005


@pytest.mark.parametrize("call, exc, words", [
    (lambda: attention_weights(torch.zeros(3, 4), torch.zeros(3, 5)), ValueError, "same last dimension"),
    (lambda: attention_weights(torch.zeros(3, 4), torch.zeros(2, 4), causal=True), ValueError, "causal"),
    (lambda: attention_weights(torch.zeros(3, 4), torch.zeros(3, 4), causal=1), TypeError, "causal"),
    (lambda: attention_weights(torch.zeros(4), torch.zeros(3, 4)), ValueError, "q must have at least 2"),
    (lambda: attention(torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(2, 4)), ValueError, "one row per key"),
    (lambda: attention(torch.zeros(3, 4, dtype=torch.long), torch.zeros(3, 4), torch.zeros(3, 4)), TypeError,
     "floating-point"),
    (lambda: self_attention(torch.zeros(3, 4), torch.zeros(5, 2), torch.zeros(4, 2), torch.zeros(4, 2)),
     ValueError, "w_q must have shape (d_model, d_head) with d_model = x.shape[-1] = 4"),
    (lambda: self_attention(torch.zeros(3, 4), torch.zeros(4, 2), torch.zeros(4, 3), torch.zeros(4, 2)),
     ValueError, "w_q and w_k must have the same shape"),
    (lambda: self_attention(torch.zeros(3, 4), *projection_weights(4, 3), positions=range(3)),
     ValueError, "d_head"),
    (lambda: self_attention(torch.zeros(3, 4), *projection_weights(4, 2), positions=range(5)),
     ValueError, "one entry per token"),
    (lambda: self_attention(torch.zeros(3, 4), *projection_weights(4, 2), layout="pairs"), ValueError, "layout"),
    (lambda: projection_weights(0, 4), ValueError, "d_model must be >= 1"),
    (lambda: projection_weights(4, 2.5), TypeError, "d_head must be an integer"),
])
def test_validation_messages(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)
