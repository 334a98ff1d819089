"""ropelab.decay: relative scores, the RoFormer long-term decay bound, dense vs elementwise costs.

Expected values come from independent NumPy float64 code written here (explicit rotations,
cumulative sums, the Abel identity), from PyTorch's FLOP counter, or from counting the
elementwise operations that actually run; never from the function under test.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

import ropelab
from ropelab.decay import (
    additive_vs_rotary,
    decay_bound,
    mean_abs_score,
    measure_rope_cost,
    partial_sums,
    relative_score,
    rope_op_counts,
    rope_score,
    score_bound,
    score_tables,
)


def np_theta(dim, base=10000.0):
    return base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def np_rotate(v, m, theta):
    """Rotate pair i of v by m * theta[i], written out coordinate by coordinate."""
    v = np.asarray(v, dtype=np.float64)
    out = np.empty_like(v)
    for i, t in enumerate(theta):
        c, s = math.cos(m * t), math.sin(m * t)
        out[..., 2 * i] = v[..., 2 * i] * c - v[..., 2 * i + 1] * s
        out[..., 2 * i + 1] = v[..., 2 * i] * s + v[..., 2 * i + 1] * c
    return out


def np_pairs(v):
    v = np.asarray(v, dtype=np.float64)
    return v[..., 0::2] + 1j * v[..., 1::2]


dims = st.integers(1, 8).map(lambda h: 2 * h)
positions = st.integers(-3000, 3000)


# ---------------------------------------------------------------------------
# scores
# ---------------------------------------------------------------------------

@given(dim=dims, m=positions, n=positions, seed=st.integers(0, 10_000))
def test_rope_score_is_the_dot_product_of_rotated_vectors(dim, m, n, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(3, dim, generator=g, dtype=torch.float64), torch.randn(3, dim, generator=g, dtype=torch.float64)
    th = np_theta(dim)
    expected = (np_rotate(q.numpy(), m, th) * np_rotate(k.numpy(), n, th)).sum(-1)
    got = rope_score(q, k, m, n)
    assert got.shape == (3,) and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-9)


@given(dim=dims, m=positions, n=positions, shift=positions, seed=st.integers(0, 10_000))
def test_score_depends_on_m_minus_n_only(dim, m, n, shift, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    a = rope_score(q, k, m, n)
    assert rope_score(q, k, m + shift, n + shift).item() == pytest.approx(a.item(), abs=1e-8)
    assert relative_score(q, k, m - n).item() == pytest.approx(a.item(), abs=1e-8)


def test_relative_score_matches_the_complex_formula_and_broadcasts():
    g = torch.Generator().manual_seed(0)
    q = torch.randn(4, 1, 16, generator=g, dtype=torch.float64)
    k = torch.randn(5, 16, generator=g, dtype=torch.float64)
    r = [-7, 0, 3, 250]
    got = relative_score(q, k, r)
    assert got.shape == (4, 5, 4)
    h = np_pairs(q.numpy()) * np.conj(np_pairs(k.numpy()))                 # (4, 5, 8)
    expected = np.stack([(h * np.exp(1j * d * np_theta(16))).sum(-1).real for d in r], axis=-1)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-10)
    # a number gives no distance axis
    assert relative_score(q, k, 3).shape == (4, 5)
    np.testing.assert_allclose(relative_score(q, k, 3).numpy(), expected[..., 2], atol=1e-10)


def test_custom_frequencies_give_the_2d_case():
    q, k = torch.tensor([1.0, 0.5], dtype=torch.float64), torch.tensor([-0.3, 0.8], dtype=torch.float64)
    theta = 0.37
    for m, n in [(0, 0), (4, 1), (2, 9)]:
        a = (m - n) * theta
        expected = (q[0] * k[0] + q[1] * k[1]) * math.cos(a) + (q[0] * k[1] - q[1] * k[0]) * math.sin(a)
        freqs = torch.tensor([theta], dtype=torch.float64)
        assert rope_score(q, k, m, n, freqs=freqs).item() == pytest.approx(expected.item(), abs=1e-12)
        assert relative_score(q, k, m - n, freqs=freqs).item() == pytest.approx(expected.item(), abs=1e-12)


def test_float32_inputs_stay_float32_and_agree_with_apply_rope():
    g = torch.Generator().manual_seed(3)
    q, k = torch.randn(2, 32, generator=g), torch.randn(2, 32, generator=g)
    got = rope_score(q, k, 100, 40)
    assert got.dtype == torch.float32
    by_hand = (ropelab.apply_rope(q[:, None], [100]) * ropelab.apply_rope(k[:, None], [40])).sum(-1)[:, 0]
    torch.testing.assert_close(got, by_hand)
    torch.testing.assert_close(relative_score(q, k, 60), got, atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------------------------
# the decay bound
# ---------------------------------------------------------------------------

def test_partial_sums_are_cumulative_sums_of_unit_phases():
    r = [0, 1, 17, 1000]
    got = partial_sums(r, 12).numpy()
    assert got.shape == (4, 6)
    np.testing.assert_allclose(got[0], np.arange(1, 7), atol=0)                  # S_j(0) = j
    for row, d in zip(got, r):
        np.testing.assert_allclose(row, np.cumsum(np.exp(1j * d * np_theta(12))), atol=1e-12)


def test_decay_bound_values():
    for dim in (8, 64, 128):
        assert decay_bound(0, dim).item() == pytest.approx((dim // 2 + 1) / 2)
    r = np.array([1, 10, 100, 1000])
    expected = np.array([np.abs(np.cumsum(np.exp(1j * d * np_theta(128)))).mean() for d in r])
    np.testing.assert_allclose(decay_bound(r.tolist(), 128).numpy(), expected, rtol=1e-12)


def test_decay_bound_falls_with_distance():
    b = decay_bound(range(0, 2048), 128).numpy()
    windows = [b[0:1].mean(), b[1:16].mean(), b[16:128].mean(), b[128:512].mean(), b[512:2048].mean()]
    assert all(a > c for a, c in zip(windows, windows[1:])), windows
    assert b[0] == b.max()


def test_a_larger_base_decays_more_slowly():
    far = range(512, 2048)
    assert decay_bound(far, 128, base=500_000.0).mean() > decay_bound(far, 128, base=10_000.0).mean()


@given(dim=dims, seed=st.integers(0, 10_000), r=st.lists(st.integers(-5000, 5000), min_size=1, max_size=5))
def test_abel_identity_and_the_bound_hold(dim, seed, r):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    th = np_theta(dim)
    h = np_pairs(q.numpy()) * np.conj(np_pairs(k.numpy()))
    h_next = np.append(h[1:], 0)
    for d, bound in zip(r, score_bound(q, k, r).numpy()):
        S = np.cumsum(np.exp(1j * d * th))
        direct = (h * np.exp(1j * d * th)).sum()
        # summation by parts, with h_{d/2} = 0
        assert abs(direct - ((h - h_next) * S).sum()) < 1e-9
        assert bound == pytest.approx(np.abs(h - h_next).max() * np.abs(S).sum(), rel=1e-12)
        assert abs(relative_score(q, k, d).item()) <= bound + 1e-9


def test_mean_abs_score_independent_is_flat_and_equal_decays():
    r = [0, 50, 500, 3000]
    flat = mean_abs_score(r, 64, n_samples=4000, correlation=0.0).numpy()
    # independent Gaussians: g(r) has the same distribution at every r (a rotated Gaussian is Gaussian)
    assert flat.max() / flat.min() < 1.08
    same = mean_abs_score(r, 64, n_samples=4000, correlation=1.0).numpy()
    # k = q: g(0) = |q|^2, whose mean is dim
    assert same[0] == pytest.approx(64, rel=0.03)
    assert same[0] > same[1] > same[2]
    # and it tracks the mean score E[g(r)] = 2 sum_i cos(r theta_i) (Jensen: E|g| >= |E g|)
    for d, v in zip(r, same):
        assert v >= abs(2 * np.cos(d * np_theta(64)).sum()) * 0.97


def test_mean_abs_score_is_seeded():
    a = mean_abs_score([0, 7], 16, n_samples=50, correlation=0.5, seed=4)
    b = mean_abs_score([0, 7], 16, n_samples=50, correlation=0.5, seed=4)
    c = mean_abs_score([0, 7], 16, n_samples=50, correlation=0.5, seed=5)
    assert torch.equal(a, b) and not torch.equal(a, c)


# ---------------------------------------------------------------------------
# additive vs rotary
# ---------------------------------------------------------------------------

def test_additive_vs_rotary_against_numpy():
    g = torch.Generator().manual_seed(0)
    dim = 8
    x_m, x_n = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    w_q, w_k = torch.randn(dim, dim, generator=g, dtype=torch.float64), torch.randn(dim, dim, generator=g, dtype=torch.float64)
    out = additive_vs_rotary(x_m, x_n, w_q, w_k, m=5, n=2, shifts=range(0, 6))
    th = np_theta(dim)
    for s in range(6):
        pe_m = np.stack([np.sin((5 + s) * th), np.cos((5 + s) * th)], -1).reshape(-1)
        pe_n = np.stack([np.sin((2 + s) * th), np.cos((2 + s) * th)], -1).reshape(-1)
        add = (w_q.numpy() @ (x_m.numpy() + pe_m)) @ (w_k.numpy() @ (x_n.numpy() + pe_n))
        rot = np_rotate(w_q.numpy() @ x_m.numpy(), 5 + s, th) @ np_rotate(w_k.numpy() @ x_n.numpy(), 2 + s, th)
        assert out["additive"][s].item() == pytest.approx(add, abs=1e-6)
        assert out["rotary"][s].item() == pytest.approx(rot, abs=1e-9)
    assert out["rotary"].max() - out["rotary"].min() < 1e-9
    assert out["additive"].max() - out["additive"].min() > 0.1


def test_score_tables_rotary_is_toeplitz_and_matches_the_shift_curve():
    g = torch.Generator().manual_seed(1)
    dim = 8
    x_m, x_n = torch.randn(dim, generator=g, dtype=torch.float64), torch.randn(dim, generator=g, dtype=torch.float64)
    w_q, w_k = torch.randn(dim, dim, generator=g, dtype=torch.float64), torch.randn(dim, dim, generator=g, dtype=torch.float64)
    t = score_tables(x_m, x_n, w_q, w_k, num_positions=12)
    assert t["rotary"].shape == t["additive"].shape == (12, 12)
    for o in range(-11, 12):
        diag = t["rotary"].diagonal(o)
        assert (diag - diag[0]).abs().max() < 1e-9
    curve = additive_vs_rotary(x_m, x_n, w_q, w_k, m=3, n=0, shifts=range(0, 9))
    torch.testing.assert_close(t["additive"].diagonal(-3), curve["additive"])
    torch.testing.assert_close(t["rotary"].diagonal(-3), curve["rotary"])


# ---------------------------------------------------------------------------
# operation counts and timing
# ---------------------------------------------------------------------------

class _CountElementwise(TorchDispatchMode):
    """Count the output elements of every multiply, add/subtract and negation that runs."""

    OPS = {"mul": "multiplies", "add": "additions", "sub": "additions", "neg": "negations"}

    def __init__(self):
        super().__init__()
        self.counts = {"multiplies": 0, "additions": 0, "negations": 0}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__
        if name in self.OPS:
            self.counts[self.OPS[name]] += out.numel()
        return out


@pytest.mark.parametrize("dim", [4, 64, 128, 256])
def test_elementwise_counts_match_the_operations_that_run(dim):
    seq = 3
    x = torch.randn(seq, dim)
    ang = ropelab.angles(range(seq), dim)
    cos, sin = ang.cos().repeat_interleave(2, -1), ang.sin().repeat_interleave(2, -1)   # tables: not counted
    with _CountElementwise() as counter:
        out = x * cos + ropelab.rotate_pairs(x) * sin
    torch.testing.assert_close(out, ropelab.rope_interleaved(x, range(seq)))
    c = rope_op_counts(dim, seq)["elementwise"]
    assert {k: c[k] for k in counter.counts} == counter.counts
    assert c["total"] == sum(counter.counts.values())


@pytest.mark.parametrize("dim", [4, 64, 128, 256])
def test_dense_counts_match_the_flop_counter(dim):
    seq = 3
    R = torch.stack([ropelab.rotation_matrix(m, dim) for m in range(seq)])
    x = torch.randn(seq, dim, 1)
    with FlopCounterMode(display=False) as fc:
        torch.bmm(R, x)
    c = rope_op_counts(dim, seq)["dense"]
    # the counter charges 2 per multiply-add: dim products and dim additions per output entry
    assert c["multiplies"] + c["additions"] + seq * dim == fc.get_total_flops()
    assert c["multiplies"] == fc.get_total_flops() // 2
    assert c["table_numbers"] == R.numel()
    assert rope_op_counts(dim, seq)["elementwise"]["table_numbers"] == 2 * seq * dim


def test_measure_rope_cost_rows():
    threads = torch.get_num_threads()
    rows = measure_rope_cost(dims=(8, 16), seq=4, repeat=2)
    assert torch.get_num_threads() == threads, "the thread setting is restored"
    assert [r["dim"] for r in rows] == [8, 16]
    for r in rows:
        for key in ("dense_ms", "elementwise_ms", "dense_apply_ms", "elementwise_apply_ms"):
            assert r[key] > 0
        assert r["ratio"] == pytest.approx(r["dense_ms"] / r["elementwise_ms"])
        assert r["max_abs_diff"] < 1e-5
        assert r["dense_ops"] == 2 * r["dim"] ** 2 - r["dim"]
        assert r["elementwise_ops"] == 3 * r["dim"] + r["dim"] // 2


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------

def test_clear_errors():
    q = torch.randn(8)
    with pytest.raises(ValueError, match=r"q.shape\[-1\] \(dim\) must be a positive even integer.*got 7"):
        rope_score(torch.randn(7), torch.randn(7), 1, 0)
    with pytest.raises(ValueError, match="same last dimension"):
        relative_score(q, torch.randn(6), 1)
    with pytest.raises(ValueError, match="must broadcast"):
        relative_score(torch.randn(3, 8), torch.randn(4, 8), 1)
    with pytest.raises(TypeError, match="k must be a torch.Tensor"):
        rope_score(q, [1.0] * 8, 1, 0)
    with pytest.raises(ValueError, match=r"freqs must have one frequency per pair, shape \(dim // 2,\) = \(4,\)"):
        relative_score(q, q, 1, freqs=torch.ones(3))
    with pytest.raises(ValueError, match="distance must be finite"):
        relative_score(q, q, float("nan"))
    with pytest.raises(ValueError, match="dim must be a positive even integer"):
        decay_bound(3, 7)
    with pytest.raises(ValueError, match=r"correlation must be in \[-1, 1\]"):
        mean_abs_score(3, 8, correlation=1.5)
    with pytest.raises(TypeError, match="m must be a real number"):
        rope_score(q, q, "3", 0)
    with pytest.raises(ValueError, match=r"shifts must be >= -min\(m, n\)"):
        additive_vs_rotary(q, q, torch.eye(8), torch.eye(8), 2, 1, shifts=[-2, 0])
    with pytest.raises(ValueError, match=r"w_k must have shape \(dim, dim\) = \(8, 8\)"):
        additive_vs_rotary(q, q, torch.eye(8), torch.eye(6), 2, 1)
    with pytest.raises(ValueError, match="dims entry must be a positive even integer"):
        measure_rope_cost(dims=(5,), seq=2, repeat=1)
