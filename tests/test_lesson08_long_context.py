"""Lesson 08: context-extension methods against the installed transformers, their defining
properties, their errors, the precision of the angle table (bf16 / fp16 vs fp32), the
extension widget, and the lesson's exercises (each solution passes; plausible wrong answers
fail with the diagnosis a learner needs)."""
import copy
import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

import ropelab
from ropelab.common.figures import PALETTE
from ropelab.common.hf import llama_config
from ropelab.exercises import check
from ropelab.lesson08_long_context import extension_widget, scaling, widget
from solutions import lesson08_long_context as sol

TOL = 1e-6


# ---------------------------------------------------------------------------
# the transformers reference, built here (not through ropelab.scaling)
# ---------------------------------------------------------------------------

def hf_init(dim, base, rope_parameters, max_pos=2048, seq_len=None):
    cfg = llama_config(head_dim=dim, base=base, max_position_embeddings=max_pos,
                       rope_parameters=rope_parameters)
    fn = ROPE_INIT_FUNCTIONS[rope_parameters["rope_type"]]
    return fn(cfg, None, seq_len=seq_len) if seq_len is not None else fn(cfg, None)


def assert_matches(ours, theirs):
    (a, fa), (b, fb) = ours, theirs
    assert a.shape == b.shape and a.dtype == torch.float32
    assert (a - b).abs().max().item() <= TOL
    assert fa == pytest.approx(fb, abs=TOL)


DIMS_BASES = [(8, 10000.0), (64, 10000.0), (128, 10000.0), (128, 500000.0), (96, 1e6)]


@pytest.mark.parametrize("dim,base", DIMS_BASES)
def test_default_matches_llama_default(dim, base):
    cfg = llama_config(head_dim=dim, base=base)
    assert_matches(scaling.scaled_inv_freq(dim, base), LlamaRotaryEmbedding.compute_default_rope_parameters(cfg))


@pytest.mark.parametrize("dim,base", DIMS_BASES)
@pytest.mark.parametrize("factor", [1.0, 2.0, 4.0, 7.5, 32.0])
def test_linear_matches_transformers(dim, base, factor):
    assert_matches(scaling.scaled_inv_freq(dim, base, "linear", factor=factor),
                   hf_init(dim, base, {"rope_type": "linear", "factor": factor}))


@pytest.mark.parametrize("dim,base", DIMS_BASES)
@pytest.mark.parametrize("factor,max_pos,seq_len", [(2.0, 2048, 1000), (2.0, 2048, 2048), (2.0, 2048, 4097),
                                                    (4.0, 4096, 20000), (8.0, 1024, 8192), (1.0, 512, 4096)])
def test_dynamic_matches_transformers(dim, base, factor, max_pos, seq_len):
    ours = scaling.scaled_inv_freq(dim, base, "dynamic", factor=factor, max_position_embeddings=max_pos,
                                   seq_len=seq_len)
    assert_matches(ours, hf_init(dim, base, {"rope_type": "dynamic", "factor": factor}, max_pos, seq_len))


YARN_CASES = [
    {"factor": 4.0, "original_max_position_embeddings": 4096},
    {"factor": 16.0, "original_max_position_embeddings": 2048, "beta_fast": 16.0, "beta_slow": 2.0},
    {"factor": 3.0, "original_max_position_embeddings": 1024, "truncate": False},
    {"factor": 40.0, "original_max_position_embeddings": 4096, "mscale": 0.707, "mscale_all_dim": 0.707},
    {"factor": 40.0, "original_max_position_embeddings": 4096, "mscale": 1.0, "mscale_all_dim": 0.5},
    {"factor": 8.0, "original_max_position_embeddings": 8192, "attention_factor": 1.5},
    {"factor": 1.0, "original_max_position_embeddings": 4096},
]


@pytest.mark.parametrize("dim,base", DIMS_BASES)
@pytest.mark.parametrize("params", YARN_CASES)
def test_yarn_matches_transformers(dim, base, params):
    hf = hf_init(dim, base, {"rope_type": "yarn", **params}, max_pos=params["original_max_position_embeddings"])
    assert_matches(scaling.scaled_inv_freq(dim, base, "yarn", **params), hf)


LLAMA3_CASES = [
    {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    {"factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    {"factor": 2.0, "low_freq_factor": 2.0, "high_freq_factor": 8.0, "original_max_position_embeddings": 2048},
]


@pytest.mark.parametrize("dim,base", DIMS_BASES)
@pytest.mark.parametrize("params", LLAMA3_CASES)
def test_llama3_matches_transformers(dim, base, params):
    orig = params["original_max_position_embeddings"]
    hf = hf_init(dim, base, {"rope_type": "llama3", **params}, max_pos=int(orig * params["factor"]) + 1)
    assert_matches(scaling.scaled_inv_freq(dim, base, "llama3", **params), hf)


dims = st.integers(2, 128).map(lambda h: 2 * h)
bases = st.floats(100.0, 2e6)
factors = st.floats(1.0, 64.0)
lengths = st.integers(64, 16384)


@given(dim=dims, base=bases, factor=factors, orig=lengths, beta_fast=st.floats(2.0, 64.0),
       beta_slow=st.floats(0.25, 1.99), truncate=st.booleans())
def test_yarn_matches_transformers_property(dim, base, factor, orig, beta_fast, beta_slow, truncate):
    params = {"factor": factor, "original_max_position_embeddings": orig, "beta_fast": beta_fast,
              "beta_slow": beta_slow, "truncate": truncate}
    hf = hf_init(dim, base, {"rope_type": "yarn", **params}, max_pos=orig)
    assert_matches(scaling.scaled_inv_freq(dim, base, "yarn", **params), hf)


@given(dim=dims, base=bases, factor=factors, orig=lengths, low=st.floats(0.5, 2.0), gap=st.floats(0.5, 8.0))
def test_llama3_matches_transformers_property(dim, base, factor, orig, low, gap):
    params = {"factor": factor, "low_freq_factor": low, "high_freq_factor": low + gap,
              "original_max_position_embeddings": orig}
    hf = hf_init(dim, base, {"rope_type": "llama3", **params}, max_pos=int(orig * factor) + 1)
    assert_matches(scaling.scaled_inv_freq(dim, base, "llama3", **params), hf)


@given(dim=st.integers(2, 128).map(lambda h: 2 * h), base=bases, factor=factors, max_pos=lengths,
       seq_len=st.integers(1, 200000))
def test_dynamic_and_linear_match_transformers_property(dim, base, factor, max_pos, seq_len):
    ours = scaling.scaled_inv_freq(dim, base, "dynamic", factor=factor, max_position_embeddings=max_pos,
                                   seq_len=seq_len)
    assert_matches(ours, hf_init(dim, base, {"rope_type": "dynamic", "factor": factor}, max_pos, seq_len))
    assert_matches(scaling.scaled_inv_freq(dim, base, "linear", factor=factor),
                   hf_init(dim, base, {"rope_type": "linear", "factor": factor}))


@pytest.mark.parametrize("method,params", [
    ("default", {}),
    ("linear", {"factor": 4.0}),
    ("dynamic", {"factor": 4.0, "max_position_embeddings": 1024, "seq_len": 3000}),
    ("yarn", YARN_CASES[3]),
    ("llama3", LLAMA3_CASES[0]),
])
def test_transformers_inv_freq_helper_calls_transformers(method, params):
    dim, base = 64, 500000.0
    ours = scaling.transformers_inv_freq(dim, base, method, **params)
    direct = scaling.scaled_inv_freq(dim, base, method, **params)
    assert_matches(ours, direct)


# ---------------------------------------------------------------------------
# "ntk": no transformers rope type; the formula, and dynamic NTK at its own length
# ---------------------------------------------------------------------------

@given(dim=st.integers(2, 128).map(lambda h: 2 * h), base=bases, factor=factors)
def test_ntk_matches_its_formula(dim, base, factor):
    new_base = base * factor ** (dim / (dim - 2))
    expected = np.array([new_base ** (-2 * i / dim) for i in range(dim // 2)])
    got, attn = scaling.scaled_inv_freq(dim, base, "ntk", factor=factor)
    assert attn == 1.0
    np.testing.assert_allclose(got.double().numpy(), expected, rtol=2e-6, atol=0)
    # the fastest pair keeps theta_0 = 1; the slowest turns exactly `factor` times slower
    assert got[0].item() == 1.0
    slowest_before = base ** (-(dim - 2) / dim)
    assert got[-1].item() == pytest.approx(slowest_before / factor, rel=2e-6)
    assert scaling.ntk_base(dim, base, factor) == pytest.approx(new_base, rel=1e-12)


@given(dim=st.integers(2, 128).map(lambda h: 2 * h), base=bases, factor=factors, max_pos=lengths,
       extra=st.integers(0, 100000))
def test_ntk_is_dynamic_ntk_at_its_own_length(dim, base, factor, max_pos, extra):
    # transformers' dynamic NTK at length L uses the NTK base with scale factor*L/L_max - (factor-1)
    seq_len = max_pos + extra
    hf, _ = hf_init(dim, base, {"rope_type": "dynamic", "factor": factor}, max_pos, seq_len)
    scale = factor * seq_len / max_pos - (factor - 1)
    ntk, _ = scaling.scaled_inv_freq(dim, base, "ntk", factor=scale)
    assert (ntk - hf).abs().max().item() <= TOL
    assert scaling.dynamic_scale(factor, max_pos, seq_len) == pytest.approx(scale, rel=1e-12)


@pytest.mark.parametrize("alpha", [2, 4, 8, 16])
def test_ntk_factor_alpha_is_dynamic_with_factor_one_at_alpha_times_the_length(alpha):
    hf, _ = hf_init(128, 10000.0, {"rope_type": "dynamic", "factor": 1.0}, 4096, alpha * 4096)
    ntk, _ = scaling.scaled_inv_freq(128, 10000.0, "ntk", factor=float(alpha))
    assert (ntk - hf).abs().max().item() <= TOL


@given(dim=dims, base=bases, factor=factors, max_pos=lengths, short=st.integers(1, 64))
def test_dynamic_below_the_trained_length_is_default(dim, base, factor, max_pos, short):
    got, _ = scaling.scaled_inv_freq(dim, base, "dynamic", factor=factor, max_position_embeddings=max_pos,
                                     seq_len=min(short, max_pos))
    torch.testing.assert_close(got, ropelab.inv_freq(dim, base), rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------
# what the methods mean
# ---------------------------------------------------------------------------

@given(dim=dims, factor=factors, positions=st.lists(st.integers(0, 100000), min_size=1, max_size=20))
def test_linear_is_position_interpolation(dim, factor, positions):
    # angles at m with inv_freq / s  ==  default angles at the interpolated position m / s
    table, attn = scaling.scaled_angles(positions, dim, 10000.0, "linear", factor=factor)
    expected = np.outer(np.array(positions, dtype=np.float64) / factor,
                        [10000.0 ** (-2 * i / dim) for i in range(dim // 2)])
    np.testing.assert_allclose(table.double().numpy(), expected, rtol=1e-5, atol=1e-5)
    assert attn == 1.0


@pytest.mark.parametrize("factor", [1.0, 2.0, 8.0, 40.0])
def test_yarn_attention_factor(factor):
    expected = 1.0 if factor == 1.0 else 0.1 * math.log(factor) + 1.0
    assert scaling.yarn_attention_factor(factor) == pytest.approx(expected, rel=1e-12)
    _, attn = scaling.scaled_inv_freq(64, 10000.0, "yarn", factor=factor, original_max_position_embeddings=4096)
    assert attn == pytest.approx(expected, rel=1e-12)
    ratio = (0.1 * 0.8 * math.log(factor) + 1) / (0.1 * 0.5 * math.log(factor) + 1)
    assert scaling.yarn_attention_factor(factor, 0.8, 0.5) == pytest.approx(ratio, rel=1e-12)


def test_yarn_keeps_fast_pairs_and_interpolates_slow_ones():
    dim, base, factor, orig = 128, 10000.0, 8.0, 4096
    got, _ = scaling.scaled_inv_freq(dim, base, "yarn", factor=factor, original_max_position_embeddings=orig)
    theta = np.array([base ** (-2 * i / dim) for i in range(dim // 2)])
    turns = orig * theta / (2 * math.pi)  # full turns of each pair within the trained length
    fast = turns > 32 * 1.5
    slow = turns < 1 / 1.5
    assert fast.any() and slow.any()
    np.testing.assert_allclose(got.double().numpy()[fast], theta[fast], rtol=1e-6)
    np.testing.assert_allclose(got.double().numpy()[slow], theta[slow] / factor, rtol=1e-6)
    ramp = scaling.yarn_ramp(dim, base, orig)
    assert torch.all(ramp[1:] >= ramp[:-1])  # the interpolated share grows towards slow pairs


def test_llama3_bands():
    dim, base, factor, orig = 128, 500000.0, 8.0, 8192
    got, _ = scaling.scaled_inv_freq(dim, base, "llama3", factor=factor, low_freq_factor=1.0,
                                     high_freq_factor=4.0, original_max_position_embeddings=orig)
    theta = np.array([base ** (-2 * i / dim) for i in range(dim // 2)])
    wavelength = 2 * math.pi / theta
    high = wavelength < orig / 4
    low = wavelength > orig / 1
    mid = ~high & ~low
    assert high.any() and low.any() and mid.any()
    g = got.double().numpy()
    np.testing.assert_allclose(g[high], theta[high], rtol=1e-6)
    np.testing.assert_allclose(g[low], theta[low] / factor, rtol=1e-6)
    assert np.all((g[mid] < theta[mid]) & (g[mid] > theta[mid] / factor))


@pytest.mark.parametrize("method,params,max_pos", [
    ("linear", {"factor": 4.0}, 2048),
    ("dynamic", {"factor": 4.0}, 512),
    ("yarn", {"factor": 4.0, "original_max_position_embeddings": 512}, 512),
    ("llama3", {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 256}, 4096),
])
def test_apply_scaled_rope_matches_transformers_pipeline(method, params, max_pos):
    # the whole path: LlamaRotaryEmbedding (with its attention scaling) + apply_rotary_pos_emb
    dim, base, seq = 32, 10000.0, 1500
    cfg = llama_config(head_dim=dim, base=base, max_position_embeddings=max_pos,
                       rope_parameters={"rope_type": method, **params})
    rot = LlamaRotaryEmbedding(cfg)
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(1, 2, seq, dim, generator=gen)
    pos = torch.arange(seq)
    cos, sin = rot(q, pos[None])
    q_hf, _ = apply_rotary_pos_emb(q, q, cos, sin)
    ours_params = dict(params)
    if method == "dynamic":  # transformers uses seq_len = max(position_ids) + 1
        ours_params.update(max_position_embeddings=max_pos, seq_len=seq)
    ours = scaling.apply_scaled_rope(q, pos, base, method, layout="half", **ours_params)
    torch.testing.assert_close(ours, q_hf, atol=2e-4, rtol=1e-4)
    if method == "yarn":
        assert rot.attention_scaling > 1.0  # the factor really is applied on both sides


def test_apply_scaled_rope_interleaved_equals_rope_from_angles():
    x = torch.randn(3, 10, 16)
    pos = torch.arange(100, 110)
    got = scaling.apply_scaled_rope(x, pos, 10000.0, "linear", layout="interleaved", factor=2.0)
    expected = ropelab.rope_interleaved(x, pos.double() / 2.0)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


# ---------------------------------------------------------------------------
# extension profile (what the plots and the widget show)
# ---------------------------------------------------------------------------

def _unseen_count(theta_scaled, dim, base, train, target):
    theta = np.array([base ** (-2 * i / dim) for i in range(dim // 2)])
    train_max = (train - 1) * theta
    target_max = (target - 1) * np.asarray(theta_scaled)
    return int(np.sum((target_max > train_max + theta) & (train_max < 2 * math.pi)))


@pytest.mark.parametrize("method", scaling.METHODS)
@pytest.mark.parametrize("factor,target", [(4.0, 16384), (2.0, 65536), (8.0, 8192)])
def test_extension_profile(method, factor, target):
    dim, base, train = 128, 10000.0, 4096
    prof = scaling.extension_profile(dim, base, method, factor, train, target)
    assert prof["theta_scaled"].shape == (dim // 2,)
    expected = _unseen_count(prof["theta_scaled"].numpy(), dim, base, train, target)
    assert prof["n_unseen"] == expected
    np.testing.assert_allclose(prof["wavelength_scaled"].numpy(), 2 * math.pi / prof["theta_scaled"].numpy())


def test_extension_profile_tells_methods_apart():
    prof = {m: scaling.extension_profile(128, 10000.0, m, 4.0, 4096, 16384) for m in scaling.METHODS}
    theta = np.array([10000.0 ** (-2 * i / 128) for i in range(64)])
    # plain RoPE at 4x the trained length: every pair that never completed a turn in training
    # now turns further
    assert prof["default"]["n_unseen"] == int(np.sum(4095 * theta < 2 * math.pi))
    assert prof["default"]["n_unseen"] > 10
    # interpolation by the full factor keeps every pair inside its trained range
    assert prof["linear"]["n_unseen"] == 0
    assert prof["yarn"]["n_unseen"] == 0
    assert prof["llama3"]["n_unseen"] == 0
    # ntk's slowest pair is divided by exactly factor, the middle pairs by less: some overshoot
    assert 0 < prof["ntk"]["n_unseen"] < prof["default"]["n_unseen"]


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("call,exc,words", [
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "ntk-by-parts", factor=2.0), ValueError, ["method", "'yarn'"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "linear"), TypeError, ["needs", "factor"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "linear", factr=2.0), TypeError, ["unexpected", "factr", "accepts"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "default", factor=2.0), TypeError, ["unexpected", "factor"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "linear", factor=0.5), ValueError, ["factor", ">= 1", "0.5"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "linear", factor="2"), TypeError, ["factor", "real number"]),
    (lambda: scaling.scaled_inv_freq(63, 10000.0, "linear", factor=2.0), ValueError, ["dim", "even", "63"]),
    (lambda: scaling.scaled_inv_freq(2, 10000.0, "ntk", factor=2.0), ValueError, ["dim - 2", ">= 4"]),
    (lambda: scaling.scaled_inv_freq(64, -1.0, "linear", factor=2.0), ValueError, ["base", "> 1"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "dynamic", factor=2.0, seq_len=10), TypeError,
     ["max_position_embeddings"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "dynamic", factor=2.0, max_position_embeddings=100,
                                     seq_len=1.5), TypeError, ["seq_len", "integer"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "yarn", factor=2.0), TypeError,
     ["original_max_position_embeddings"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "yarn", factor=2.0, original_max_position_embeddings=100,
                                     beta_fast=1.0, beta_slow=2.0), ValueError, ["beta_fast", "beta_slow"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "yarn", factor=2.0, original_max_position_embeddings=100,
                                     mscale=1.0), ValueError, ["together"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "llama3", factor=8.0, low_freq_factor=4.0,
                                     high_freq_factor=1.0, original_max_position_embeddings=8192), ValueError,
     ["high_freq_factor", "low_freq_factor"]),
    (lambda: scaling.scaled_inv_freq(64, 10000.0, "llama3", factor=8.0), TypeError,
     ["low_freq_factor", "high_freq_factor", "original_max_position_embeddings"]),
    (lambda: scaling.transformers_inv_freq(64, 10000.0, "ntk", factor=2.0), ValueError, ["no rope type", "dynamic"]),
    (lambda: scaling.angle_table(range(4), 8, dtype=torch.int32), TypeError, ["dtype"]),
    (lambda: scaling.apply_scaled_rope(torch.randn(4, 8), range(5), method="linear", factor=2.0), ValueError,
     ["positions", "seq"]),
])
def test_errors_are_clear(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# ---------------------------------------------------------------------------
# precision of the angle table
# ---------------------------------------------------------------------------

def test_float32_table_equals_ropelab_angles():
    pos = torch.arange(0, 65536, 7)
    assert torch.equal(scaling.angle_table(pos, 128, 10000.0, torch.float32), ropelab.angles(pos, 128, 10000.0))


def _bf16_representable_integers(limit):
    # bfloat16 keeps 8 significant bits: every integer below 2**8, then 128 values per binade
    values = set(range(2 ** 8))
    for e in range(8, 64):
        if 2 ** e > limit:
            break
        step = 2 ** (e - 7)
        values.update(range(2 ** e, 2 ** (e + 1), step))
    return values


def test_bf16_positions_collapse():
    limit = 65536
    representable = _bf16_representable_integers(limit)
    # round-to-nearest maps each position to a representable value (65535 -> 65536)
    expected = len({v for v in representable if v < limit}) + 1
    assert scaling.distinct_positions(torch.arange(limit), torch.bfloat16) == expected
    assert scaling.distinct_positions(torch.arange(limit), torch.float32) == limit
    table = scaling.angle_table(torch.arange(65280, 65536), 64, 10000.0, torch.bfloat16)
    assert torch.unique(table, dim=0).shape[0] <= 2  # 256 positions, at most 2 distinct rotations


def test_bf16_angle_error_at_65535():
    err = scaling.angle_error([65535], 128, 10000.0, torch.bfloat16)
    # pair 0 has theta = 1 exactly, so its error is the position's rounding: 65535 -> 65536
    assert err[0, 0].item() == 1.0
    assert err.max().item() > 10.0  # the other pairs also round inv_freq and the product
    wrapped = scaling.angle_error([65535], 128, 10000.0, torch.bfloat16, wrap=True)
    assert 0 <= wrapped.max().item() <= math.pi + 1e-9


def test_fp16_overflows_near_65536():
    err = scaling.angle_error([65503, 65535], 128, 10000.0, torch.float16)
    assert torch.isfinite(err[0]).all()
    assert torch.isinf(err[1, 0])  # 65535 > 65504, float16's largest finite number


def test_fix_keeps_cos_sin_accurate():
    pos = torch.arange(0, 65536, 3)
    cos, sin = scaling.cos_sin_table(pos, 128, 10000.0, torch.bfloat16)
    assert cos.dtype == torch.bfloat16 and cos.shape == (pos.numel(), 64)
    exact = torch.outer(pos.double(), ropelab.inv_freq(128).double())
    # float32 angles lose < 0.01 rad at 65535; bf16 rounding of cos adds <= 2**-9
    assert (cos.double() - torch.cos(exact)).abs().max().item() < 0.01
    assert (sin.double() - torch.sin(exact)).abs().max().item() < 0.01
    naive = torch.cos(scaling.angle_table(pos, 128, 10000.0, torch.bfloat16).double())
    assert (naive - torch.cos(exact)).abs().max().item() > 1.0


def test_scores_at_distance_drift():
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(128, generator=gen), torch.randn(128, generator=gen)
    pos = torch.arange(16, 65536, 257)
    exact_score = float(ropelab.apply_rope(q.double()[None], [16])[0] @ k.double())  # distance 16
    ref = scaling.scores_at_distance(q, k, pos, 16, dtype=torch.float32)
    assert (ref - exact_score).abs().max().item() < 0.05
    naive = scaling.scores_at_distance(q, k, pos, 16, dtype=torch.bfloat16)
    fixed = scaling.scores_at_distance(q, k, pos, 16, dtype=torch.bfloat16, fixed=True)
    assert (naive - exact_score).abs().max().item() > 1.0
    assert (fixed - exact_score).abs().max().item() < 0.15


def test_transformers_rotary_cast_to_bf16_is_the_trap_and_ropelab_is_immune():
    cfg = llama_config(head_dim=128, base=500000.0, max_position_embeddings=8192)
    rot = LlamaRotaryEmbedding(cfg)
    pos = torch.arange(8192)[None]
    x = torch.zeros(1)
    cos32, _ = rot(x, pos)
    cast = copy.deepcopy(rot).to(torch.bfloat16)
    assert cast.inv_freq.dtype == torch.bfloat16  # .to(dtype) casts floating buffers too
    cos_cast, _ = cast(x, pos)
    assert (cos_cast - cos32).abs().max().item() > 1.5
    # ropelab has no buffer to cast: its angles are float32 whatever the input dtype
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(8192, 128, generator=gen)
    exact = ropelab.rope_half(q.double(), torch.arange(8192), 500000.0)
    got = ropelab.rope_half(q.bfloat16(), torch.arange(8192), 500000.0)
    assert got.dtype == torch.bfloat16
    # only the bf16 rounding of the input and the output remains (relative 2**-8 each)
    assert ((got.double() - exact).abs() / (q.double().abs().amax(-1, keepdim=True))).max().item() < 0.05


# ---------------------------------------------------------------------------
# the extension widget: controls move the numbers, the figure and the readout
# ---------------------------------------------------------------------------

DIM, BASE, TRAIN = 128, 10000.0, 4096
THETA = np.array([BASE ** (-2 * i / DIM) for i in range(DIM // 2)])


def unseen(theta_scaled, target):
    train_max = (TRAIN - 1) * THETA
    return int(np.sum(((target - 1) * theta_scaled > train_max + THETA) & (train_max < 2 * math.pi)))


def yarn_expected(factor, dim=DIM, base=BASE, orig=TRAIN):
    """YaRN's frequencies written out (beta_fast 32, beta_slow 1, truncated ramp), float64."""
    idx = lambda rot: dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))  # noqa: E731
    low, high = max(math.floor(idx(32.0)), 0), min(math.ceil(idx(1.0)), dim - 1)
    ramp = np.clip((np.arange(dim // 2) - low) / (high - low), 0, 1)
    theta = base ** (-np.arange(0, dim, 2) / dim)
    return theta * (1 - ramp) + theta / factor * ramp


def llama3_expected(factor, orig=TRAIN, low=1.0, high=4.0):
    wave = 2 * math.pi / THETA
    smooth = (orig / wave - low) / (high - low)
    out = np.where(wave > orig / low, THETA / factor, THETA)
    mid = (wave >= orig / high) & (wave <= orig / low)
    return np.where(mid, (1 - smooth) * THETA / factor + smooth * THETA, out)


def expected_numbers(theta_scaled, params, factor, target, attention=1.0):
    return {**{f"param_{k}": v for k, v in params.items()}, "dim": DIM, "base": BASE, "train_len": TRAIN,
            "target_len": target, "fastest_ratio": theta_scaled[0] / THETA[0],
            "slowest_ratio": theta_scaled[-1] / THETA[-1], "inv_factor": 1 / factor, "attention_factor": attention,
            "n_unseen": unseen(theta_scaled, target), "pairs": DIM // 2}


def assert_numbers(got, want):
    assert set(got) == set(want)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=2e-6, abs=1e-9), k


def test_defaults_numbers_and_repr():
    w = extension_widget()
    assert repr(w) == "extension_widget(method='yarn', factor=4, target_len=16384)"
    assert (w.method, w.factor, w.target_len) == ("yarn", 4.0, 16384) and w.error == ""
    assert w.fixed == {"dim": DIM, "base": BASE, "train_len": TRAIN}
    np.testing.assert_allclose(w.state["theta_scaled"], yarn_expected(4.0), rtol=2e-6)
    assert_numbers(w.numbers(), expected_numbers(yarn_expected(4.0), {"factor": 4.0,
                   "original_max_position_embeddings": TRAIN}, 4.0, 16384, 0.1 * math.log(4.0) + 1))


def test_setting_factor_from_python_divides_every_linear_frequency():
    w = extension_widget(method="linear")
    w.factor = 8.0
    np.testing.assert_allclose(w.state["theta_scaled"], THETA / 8.0, rtol=1e-6)
    n = w.numbers()
    assert_numbers(n, expected_numbers(THETA / 8.0, {"factor": 8.0}, 8.0, 16384))
    assert n["slowest_ratio"] == pytest.approx(n["inv_factor"]) and n["n_unseen"] == 0
    assert repr(w) == "extension_widget(method='linear', factor=8, target_len=16384)"


def test_setting_target_len_from_python_moves_the_largest_angles():
    w = extension_widget(method="default")
    w.target_len = 65536
    np.testing.assert_allclose(w.state["target_max_angle"], 65535 * THETA, rtol=1e-6)
    expected = unseen(THETA, 65536)
    assert w.state["n_unseen"] == expected > 0
    assert_numbers(w.numbers(), expected_numbers(THETA, {}, 4.0, 65536))


def test_setting_method_from_python_switches_the_formula():
    w = extension_widget(method="linear", factor=4.0, target_len=16384)
    w.method = "ntk"
    new_base = BASE * 4.0 ** (DIM / (DIM - 2))
    expected = np.array([new_base ** (-2 * i / DIM) for i in range(DIM // 2)])
    np.testing.assert_allclose(w.state["theta_scaled"], expected, rtol=2e-6)
    assert_numbers(w.numbers(), expected_numbers(expected, {"factor": 4.0}, 4.0, 16384))
    w.method = "yarn"
    assert w.numbers()["attention_factor"] == pytest.approx(0.1 * math.log(4.0) + 1)
    w.method = "dynamic"
    scale = 4.0 * 16384 / TRAIN - 3.0  # dynamic NTK's scale at the target length
    dyn_base = BASE * scale ** (DIM / (DIM - 2))
    dyn = np.array([dyn_base ** (-2 * i / DIM) for i in range(DIM // 2)])
    assert_numbers(w.numbers(), expected_numbers(dyn, {"factor": 4.0, "max_position_embeddings": TRAIN,
                                                       "seq_len": 16384}, 4.0, 16384))
    w.method = "llama3"
    w.factor = 8.0
    w.target_len = 32768
    assert_numbers(w.numbers(), expected_numbers(llama3_expected(8.0), {
        "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": TRAIN}, 8.0, 32768))


@pytest.mark.parametrize("values", [{"method": "yarn", "factor": 12.5, "target_len": 131072},
                                    {"method": "linear", "factor": 32, "target_len": 1024},
                                    {"method": "default", "factor": 1.0, "target_len": 8192}])
def test_numbers_for_values_read_back_from_a_page(values):
    w = extension_widget()
    f, t = values["factor"], values["target_len"]
    theta = {"yarn": yarn_expected(f), "linear": THETA / f, "default": THETA}[values["method"]]
    params = {"yarn": {"factor": f, "original_max_position_embeddings": TRAIN}, "linear": {"factor": f},
              "default": {}}[values["method"]]
    attention = 0.1 * math.log(f) + 1 if values["method"] == "yarn" else 1.0
    assert_numbers(w.numbers(values), expected_numbers(theta, params, f, t, attention))
    assert w.values() == {"method": "yarn", "factor": 4.0, "target_len": 16384}


def test_other_fixed_parameters_reach_the_model():
    w = extension_widget(method="linear", factor=2.0, target_len=8192, dim=64, base=500000.0, train_len=2048)
    assert w.fixed == {"dim": 64, "base": 500000.0, "train_len": 2048}
    theta = 500000.0 ** (-np.arange(0, 64, 2) / 64)
    np.testing.assert_allclose(w.state["theta_scaled"], theta / 2.0, rtol=1e-6)
    n = w.numbers()
    assert (n["dim"], n["base"], n["train_len"], n["pairs"]) == (64, 500000.0, 2048, 32)


@pytest.mark.parametrize("name, value, message", [
    ("method", "rope", r"method must be one of 'default', 'linear'.*got 'rope'"),
    ("factor", 0.5, "factor must be >= 1"),
    ("factor", 32.5, r"factor must be in \[1, 32\] for the slider; got 32.5"),
    ("factor", float("nan"), "factor must be finite"),
    ("target_len", 5000, "target_len must be one of 1024, 2048, .*131072; got 5000"),
    ("target_len", 0, "target_len must be >= 1"),
])
def test_a_refused_value_leaves_the_widget_as_it_was(name, value, message):
    w = extension_widget(method="ntk", factor=6.0, target_len=32768)
    before = (w.values(), w.numbers())
    with pytest.raises(ValueError, match=message):
        setattr(w, name, value)
    assert (w.values(), w.numbers()) == before
    assert "not applied" in w.error and name in w.error
    w.factor = 2.5  # the next good value applies and clears the message
    assert w.factor == 2.5 and w.error == ""


def test_mimebundle_carries_the_module_and_the_starting_values():
    from importlib import resources

    make = lambda: extension_widget(method="llama3", factor=8.0, target_len=32768)  # noqa: E731
    w = make()
    data, _ = w._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "text/plain", "text/html"} <= set(data)
    assert data["text/plain"] == repr(w) == "extension_widget(method='llama3', factor=8, target_len=32768)"
    html = data["text/html"]
    module = resources.files("ropelab.lesson08_long_context").joinpath("widget.js").read_text(encoding="utf-8")
    assert module in html and "ropelabMount" in html
    assert '"method":"llama3"' in html and '"factor":8.0' in html and '"target_len":32768' in html
    assert '"fixed":{"base":10000.0,"dim":128,"train_len":4096}' in html
    assert html == make()._repr_mimebundle_()[0]["text/html"]
    assert html != extension_widget()._repr_mimebundle_()[0]["text/html"]


def test_the_page_offers_every_method_and_target_length():
    # widget.js ports every method of the registry; its controls list the same choices, in order
    from importlib import resources

    js = resources.files("ropelab.lesson08_long_context").joinpath("widget.js").read_text(encoding="utf-8")
    registry = js[js.index("const EXT_METHODS = {"):js.index("const EXT_TARGET_LENGTHS")]
    names = re.findall(r"^  (\w+): \{ color: \"(#[0-9A-F]{6})\"", registry, flags=re.M)
    assert [n for n, _ in names] == list(scaling.METHODS)
    for name, color in names:
        assert color == PALETTE[scaling.METHODS[name].color], name
    lengths = re.search(r"const EXT_TARGET_LENGTHS = \[([\d, ]+)\];", js).group(1)
    assert tuple(int(x) for x in lengths.split(",")) == widget.TARGET_LENGTHS


def test_the_readout_function_shows_the_numbers_of_the_state():
    html = widget.extension_readout(widget.extension_state("linear", 8.0, 65536))
    assert "method = linear(factor=8)" in html and "run on 65536" in html
    assert f"θ'/θ = {1 / 8:.4f} (1/factor = {1 / 8:.4f})" in html
    assert f"pairs with unseen angles: {unseen(THETA / 8.0, 65536)} of 64" in html
    html = widget.extension_readout(widget.extension_state("yarn", 4.0, 16384))
    assert f"attention factor on cos/sin = {0.1 * math.log(4.0) + 1:.4f}" in html


def test_static_figure_matches_state():
    fig = widget.extension_figure("llama3", 8.0, 32768)
    ax_angle = fig.axes[1]
    lines = [ln for ln in ax_angle.get_lines() if len(ln.get_xdata()) == DIM // 2]
    st = widget.extension_state("llama3", 8.0, 32768)
    assert any(np.allclose(ln.get_ydata(), st["target_max_angle"]) for ln in lines)


@pytest.mark.parametrize("kwargs,exc", [
    ({"method": "rope"}, ValueError),
    ({"factor": 0.5}, ValueError),
    ({"target_len": 5000}, ValueError),
])
def test_bad_arguments(kwargs, exc):
    with pytest.raises(exc):
        extension_widget(**kwargs)


@pytest.mark.parametrize("factor", [40.0, 32.5])
def test_a_factor_outside_the_slider_is_refused_not_clamped(factor):
    with pytest.raises(ValueError, match=rf"factor must be in \[1, 32\] for the slider; got {factor}"):
        extension_widget(factor=factor)
    assert extension_widget(factor=32.0).factor == 32.0


# ---------------------------------------------------------------------------
# exercises
# ---------------------------------------------------------------------------

def test_solutions_agree_with_formulas_written_out():
    # interpolation: pair i of position m turns by (m / s) * base^(-2i/d)
    pos = torch.tensor([0, 7, 4000])
    got = sol.interpolated_angles(pos, 8, 10000.0, 4.0)
    for r, m in enumerate(pos.tolist()):
        for i in range(4):
            assert got[r, i].item() == pytest.approx(m / 4.0 * 10000.0 ** (-2 * i / 8), rel=1e-6)
    # ntk: the slowest pair is exactly `factor` times slower, the fastest untouched
    f = sol.ntk_inv_freq(16, 10000.0, 8.0)
    assert f[0].item() == 1.0
    assert f[-1].item() == pytest.approx(10000.0 ** (-14 / 16) / 8.0, rel=1e-6)
    # the fix: bf16 cos of a float32 angle is within bf16 rounding of the exact cosine
    cos, sin = sol.safe_cos_sin(torch.tensor([65535]), 8, 10000.0)
    exact = [math.cos(65535 * 10000.0 ** (-2 * i / 8)) for i in range(4)]
    assert cos.dtype == torch.bfloat16
    assert max(abs(c - e) for c, e in zip(cos[0].double().tolist(), exact)) < 0.01


def _bf16_table(positions, dim, base):
    ang = torch.outer(positions.to(torch.bfloat16), ropelab.inv_freq(dim, base).to(torch.bfloat16))
    return torch.cos(ang), torch.sin(ang)


WRONG = [
    # interpolation
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p * s, d, b), "wrong values"),
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p // int(s), d, b), "wrong values"),
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p.double() / s, d, b).T, "wrong shape"),
    ("08.interpolated_angles", lambda p, d, b, s: ropelab.angles(p.double() / s, d, b).double(), "wrong dtype"),
    # ntk
    ("08.ntk_inv_freq", lambda d, b, s: ropelab.inv_freq(d, b) / s, "wrong values"),       # that is linear
    ("08.ntk_inv_freq", lambda d, b, s: ropelab.inv_freq(d, b * s), "wrong values"),       # exponent forgotten
    ("08.ntk_inv_freq", lambda d, b, s: ropelab.inv_freq(2 * d, b * s ** (d / (d - 2))), "wrong shape"),
    ("08.ntk_inv_freq", lambda d, b, s: None, "returned None"),
    # the precision fix
    ("08.safe_cos_sin", _bf16_table, "wrong values"),                                      # the trap itself
    ("08.safe_cos_sin", lambda p, d, b: (torch.cos(ropelab.angles(p, d, b)), torch.sin(ropelab.angles(p, d, b))),
     "wrong dtype"),
    ("08.safe_cos_sin", lambda p, d, b: torch.cos(ropelab.angles(p, d, b)).bfloat16(), "2 values"),
    ("08.safe_cos_sin", lambda p, d, b: (torch.cos(ropelab.angles(p, d, b)).repeat(1, 2).bfloat16(),) * 2,
     "wrong shape"),
    ("08.safe_cos_sin", lambda p, d, b: ropelab.angles(p, d, b, dtype=torch.bfloat16), "raised"),
]


@pytest.mark.parametrize("exercise_id,fn,diagnosis", WRONG)
def test_wrong_answers_fail_with_the_right_diagnosis(exercise_id, fn, diagnosis):
    result = check(exercise_id, fn)
    assert not result.passed
    assert diagnosis in result.message, result.message


# ---------------------------------------------------------------------------
# section 2: NTK-aware scaling derived as a change of base; section 5: one rule for every method
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [16, 64, 128])
@pytest.mark.parametrize("s", [2.0, 4.0, 10.0])
def test_ntk_base_is_the_base_that_slows_the_slowest_pair_by_s_and_keeps_the_fastest(dim, s):
    theta = ropelab.inv_freq(dim, 10000.0).double()
    new = ropelab.inv_freq(dim, scaling.ntk_base(dim, 10000.0, s)).double()
    assert new[0].item() == 1.0
    assert (theta[-1] / new[-1]).item() == pytest.approx(s, rel=1e-5)
    i = torch.arange(dim // 2, dtype=torch.float64)
    torch.testing.assert_close(new / theta, s ** (-2 * i / (dim - 2)), atol=1e-6, rtol=1e-5)
    # the exponent: log_s(base' / base) = d / (d - 2)
    assert math.log(scaling.ntk_base(dim, 10000.0, s) / 10000.0, s) == pytest.approx(dim / (dim - 2), rel=1e-9)


def test_interpolation_state_keeps_fast_pairs_and_divides_slow_ones():
    from ropelab.lesson08_long_context.figures import interpolate_extrapolate_figure, interpolation_state

    st = interpolation_state(4.0, 128, 10000.0, 4096)
    np.testing.assert_allclose(st["scale"]["default"], 1.0)
    np.testing.assert_allclose(st["scale"]["linear"], 4.0, rtol=1e-6)
    np.testing.assert_allclose(st["share"]["ntk"], 2 * st["pair"] / 126, atol=1e-5)   # geometric blend
    fast, slow = st["turns"] > 32, st["turns"] < 1
    for m in ("yarn", "llama3"):
        np.testing.assert_allclose(st["scale"][m][fast], 1.0, rtol=1e-6)
        np.testing.assert_allclose(st["scale"][m][slow], 4.0, rtol=1e-5)
    assert st["scale"]["dynamic"][-1] == pytest.approx(13.0, rel=1e-4)   # 4 * 16384 / 4096 - 3
    assert st["turns"][0] == pytest.approx(4096 / (2 * math.pi))
    assert len(interpolate_extrapolate_figure()._repr_png_()) > 1000


def test_ntk_unseen_pairs_are_17_because_the_slowest_moves_only_0_75_of_a_step():
    prof = scaling.extension_profile(128, 10000.0, "ntk", 4.0, 4096, 16384)
    over = (prof["target_max_angle"] - prof["train_max_angle"]) / prof["theta"]
    assert over[-1].item() == pytest.approx(0.75, abs=1e-2)   # float32 frequencies: 0.7505
    assert prof["n_unseen"] == 17 and prof["unseen"][46:63].all() and not prof["unseen"][63]


def test_float16_rounds_the_top_integers_down_and_overflows_from_65520():
    edge = torch.tensor([65504, 65505, 65519, 65520]).to(torch.float16).float().tolist()
    assert edge[:3] == [65504.0] * 3 and math.isinf(edge[3])


def test_yarn_temperature_as_in_the_paper():
    # the paper: logits / t with sqrt(1/t) = 0.1 ln s + 1; transformers scales cos and sin by sqrt(1/t)
    for s in (2.0, 4.0, 16.0):
        _, factor = scaling.scaled_inv_freq(64, 10000.0, "yarn", factor=s, original_max_position_embeddings=2048)
        inv_t = (0.1 * math.log(s) + 1) ** 2
        assert factor ** 2 == pytest.approx(inv_t)


# ---------------------------------------------------------------------------
# the predictions of notebook 08
# ---------------------------------------------------------------------------

def test_prediction_ntk_exponent():
    s = 4.0
    assert math.log(scaling.ntk_base(128, 10000.0, s) / 10000.0) / math.log(s) == pytest.approx(sol.ntk_exponent)
    for right in (128 / 126, 64 / 63, 1.0159, 1.016):
        assert check("08.ntk_exponent", right).passed
    for wrong in (1.0, 1.02, 2.0, 126 / 128):
        res = check("08.ntk_exponent", wrong)
        assert not res.passed and "d / (d - 2)" in res.message, res.message


def test_prediction_bf16_first_collision():
    first = next(m for m in range(1, 1000) if int(torch.tensor(float(m)).bfloat16().item()) != m)
    assert first == sol.bf16_first_collision == 257
    assert check("08.bf16_first_collision", 257.0).passed
    for wrong in (256, 258, 2048):
        res = check("08.bf16_first_collision", wrong)
        assert not res.passed and "8 significant bits" in res.message, res.message
