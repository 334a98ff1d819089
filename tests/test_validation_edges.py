"""Edges of validation: one rule for the base, no NaN from finite inputs, empty sequences, odd slices.

Every public function that takes a RoPE base (``base``, ``theta``) follows one rule,
``ropelab._validate.check_base``: a finite real number > 1. Derived values (frequencies,
angle tables) are checked too, so finite inputs never turn into a silent NaN.
"""
import pytest
import torch

import ropelab
from ropelab import _validate, internlm, llama, scaling, vision
from ropelab.common import hf
from ropelab.lesson02_positional_encoding import attention

X = torch.randn(2, 4, 8, generator=torch.Generator().manual_seed(0))
POS = torch.arange(4)
GRID = vision.patch_grid(2, 2)


# ---------------------------------------------------------------------------
# one rule for the base
# ---------------------------------------------------------------------------

# (name of the argument, call with that base)
BASE_CALLS = [
    ("base", lambda b: ropelab.inv_freq(8, b)),
    ("base", lambda b: ropelab.angles(POS, 8, b)),
    ("base", lambda b: ropelab.wavelengths(8, b)),
    ("base", lambda b: ropelab.sinusoidal_pe(4, 8, b)),
    ("base", lambda b: ropelab.rotation_matrix(3, 8, b)),
    ("base", lambda b: ropelab.apply_rope(X, POS, b)),
    ("base", lambda b: ropelab.apply_rope(X, POS, b, layout="half")),
    ("base", lambda b: ropelab.apply_rope_qk(X, X, POS, b)),
    ("base", lambda b: ropelab.rope_complex(X, POS, b)),
    ("base", lambda b: ropelab.rope_half(X, POS, b)),
    ("base", lambda b: ropelab.rope_interleaved(X, POS, b)),
    ("base", lambda b: ropelab.rope_matrix(X, POS, b)),
    ("theta", lambda b: llama.precompute_freqs_cis(8, 4, b)),
    ("theta", lambda b: llama.TinyLlama(16, 2, 1, max_seq_len=4, theta=b)),
    ("base", lambda b: internlm.InternLMRotaryEmbedding(8, 4, base=b)),
    ("base", lambda b: vision.axial_inv_freq(8, b)),
    ("base", lambda b: vision.axial_angles(GRID, 8, b)),
    ("base", lambda b: vision.axial_rope(X.double(), GRID, b)),
    ("base", lambda b: vision.score_map(X[0], X[0], 2, 2, 0, b)),
    ("base", lambda b: scaling.ntk_base(8, b, 2.0)),
    ("base", lambda b: scaling.yarn_ramp(8, b)),
    ("base", lambda b: scaling.scaled_inv_freq(8, b, "linear", factor=2.0)),
    ("base", lambda b: scaling.scaled_angles(POS, 8, b, "linear", factor=2.0)),
    ("base", lambda b: scaling.apply_scaled_rope(X, POS, b, "linear", factor=2.0)),
    ("base", lambda b: scaling.angle_table(POS, 8, b)),
    ("base", lambda b: scaling.cos_sin_table(POS, 8, b)),
    ("base", lambda b: scaling.extension_profile(8, b)),
    ("base", lambda b: hf.llama_config(base=b)),
    ("base", lambda b: attention.self_attention(X, *attention.projection_weights(8, 8), base=b)),
    ("base", lambda b: attention.self_attention(X, *attention.projection_weights(8, 8), POS, base=b)),
]


@pytest.mark.parametrize("bad", [1e-50, 0.5, 1.0, 0.0, -10000.0])
@pytest.mark.parametrize("name,call", BASE_CALLS, ids=[f"base{i}" for i in range(len(BASE_CALLS))])
def test_every_base_argument_must_be_greater_than_one(name, call, bad):
    # base 1e-50 used to give NaN tables, base 1 silent all-equal frequencies, 0.5 reversed ones
    with pytest.raises(ValueError) as info:
        call(bad)
    assert f"{name} must be > 1" in str(info.value)


@pytest.mark.parametrize("name,call", BASE_CALLS, ids=[f"base{i}" for i in range(len(BASE_CALLS))])
def test_every_base_argument_refuses_non_numbers_and_non_finite(name, call):
    for bad, exc in ((float("nan"), ValueError), (float("inf"), ValueError), ("10000", TypeError),
                     (True, TypeError)):
        with pytest.raises(exc) as info:
            call(bad)
        assert name in str(info.value)


def test_check_base_is_the_one_rule():
    assert _validate.check_base(10000) == 10000.0
    assert isinstance(_validate.check_base(torch.tensor(500000.0)), float)
    assert _validate.check_base(1.5, "theta") == 1.5
    with pytest.raises(ValueError, match=r"rope_theta must be > 1.*got 1\b"):
        _validate.check_base(1, "rope_theta")
    with pytest.raises(TypeError, match="theta must be a real number"):
        _validate.check_base(None, "theta")


def test_a_valid_base_still_gives_the_formula():
    # theta_i = base ** (-2i / dim), evaluated independently in float64
    for base in (1.0001, 2.0, 10000.0, 1e30):
        got = ropelab.inv_freq(8, base).double()
        want = torch.tensor([base ** (-2 * i / 8) for i in range(4)], dtype=torch.float64)
        torch.testing.assert_close(got, want, rtol=1e-6, atol=0)


def test_a_base_beyond_float32_is_refused_where_its_frequencies_underflow():
    # 1e39 is finite in float64 but infinite in float32: every frequency but theta_0 would be 0
    with pytest.raises(ValueError, match="too large"):
        ropelab.inv_freq(8, 1e39)
    with pytest.raises(ValueError, match="too large"):
        ropelab.apply_rope(X, POS, 1e39)
    y = ropelab.apply_rope(X.double(), POS, 1e39)   # float64 tables hold it
    ref = ropelab.rope_matrix(X.double(), POS, 1e39)
    torch.testing.assert_close(y, ref, atol=1e-12, rtol=0)


# ---------------------------------------------------------------------------
# finite positions whose angles overflow the table dtype
# ---------------------------------------------------------------------------

HUGE = torch.tensor([0.0, 1.0, 2.0, 1e39], dtype=torch.float64)   # finite in float64, not float32

HUGE_CALLS = [
    lambda: ropelab.apply_rope(X, HUGE),
    lambda: ropelab.apply_rope(X, HUGE, layout="half"),
    lambda: ropelab.apply_rope_qk(X, X, HUGE),
    lambda: ropelab.rope_complex(X, HUGE),
    lambda: ropelab.rope_half(X, HUGE),
    lambda: ropelab.rope_matrix(X, HUGE),
    lambda: ropelab.angles(HUGE, 8),
    lambda: ropelab.angles(HUGE.tolist(), 8),            # as a list: float32 inf, refused on input
    lambda: vision.axial_rope(X, torch.stack((HUGE, HUGE), dim=-1)),
    lambda: vision.axial_angles(torch.stack((HUGE, HUGE), dim=-1), 8),
    lambda: scaling.scaled_angles(HUGE, 8, method="linear", factor=2.0),
    lambda: scaling.apply_scaled_rope(X, HUGE, method="yarn", factor=2.0, original_max_position_embeddings=4),
    lambda: scaling.cos_sin_table(HUGE, 8),
]


@pytest.mark.parametrize("call", HUGE_CALLS, ids=[f"huge{i}" for i in range(len(HUGE_CALLS))])
def test_angles_that_overflow_float32_raise_instead_of_nan(call):
    with pytest.raises(ValueError) as info:
        call()
    assert "positions" in str(info.value)


def test_float64_inputs_keep_float64_angles_for_large_positions():
    x = X.double()
    y = ropelab.apply_rope(x, HUGE)
    assert torch.isfinite(y).all()
    # the same rotation written out by hand (float64 angles m * theta_i, pairs (2i, 2i+1))
    theta = torch.tensor([10000.0 ** (-2 * i / 8) for i in range(4)], dtype=torch.float64)
    ang = HUGE[:, None] * theta
    a, b = x[..., 0::2], x[..., 1::2]
    want = torch.stack((a * ang.cos() - b * ang.sin(), a * ang.sin() + b * ang.cos()), -1).flatten(-2)
    torch.testing.assert_close(y, want, atol=1e-9, rtol=0)


def test_positions_below_the_limit_still_work():
    pos = torch.tensor([0.0, 1.0, 2.0, 1e30], dtype=torch.float64)
    assert torch.isfinite(ropelab.apply_rope(X, pos)).all()


# ---------------------------------------------------------------------------
# ropelab's own (..., seq, dim) functions: how to fix a single vector
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("call,name", [
    (lambda v: ropelab.apply_rope(v, [0]), "x"),
    (lambda v: ropelab.rope_complex(v, [0]), "x"),
    (lambda v: ropelab.rope_half(v, [0]), "x"),
    (lambda v: ropelab.rope_from_angles(v, torch.zeros(1, 4)), "x"),
    (lambda v: ropelab.apply_rope_qk(v, v[None], [0]), "q"),
    (lambda v: ropelab.apply_rope_qk(v[None], v, [0]), "k"),
    (lambda v: scaling.apply_scaled_rope(v, [0]), "x"),
    (lambda v: vision.axial_rope(v, [[0, 0]]), "x"),
])
def test_one_vector_error_says_how_to_fix_it(call, name):
    v = torch.arange(8.0)
    with pytest.raises(ValueError) as info:
        call(v)
    msg = str(info.value)
    assert f"{name} must have at least 2 dimensions" in msg and f"{name}[None]" in msg
    # and the fix works: x[None] is one token at position 0, which is not rotated
    torch.testing.assert_close(ropelab.apply_rope(v[None], [0])[0], v)


# ---------------------------------------------------------------------------
# empty sequences and leading dims
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 0, 8), (0, 3, 8), (0, 0, 4), (0, 8)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_empty_inputs_give_empty_results_of_the_same_shape(shape, dtype):
    x = torch.zeros(shape, dtype=dtype)
    seq = shape[-2]
    results = [f(x, torch.arange(seq)) for f in (ropelab.rope_complex, ropelab.rope_interleaved,
                                                 ropelab.rope_half, ropelab.rope_matrix, ropelab.apply_rope)]
    table = torch.zeros(seq, shape[-1] // 2)
    results += [ropelab.rope_from_angles(x, table), ropelab.rope_from_angles(x, table, layout="half")]
    for y in results:
        assert y.shape == x.shape and y.dtype == dtype


def test_llama_apply_rotary_emb_on_an_empty_block():
    fc = llama.precompute_freqs_cis(8, 4)[:0]
    for B in (0, 2):
        xq, xk = torch.zeros(B, 0, 3, 8), torch.zeros(B, 0, 1, 8, dtype=torch.bfloat16)
        oq, ok = llama.apply_rotary_emb(xq, xk, fc)
        assert oq.shape == xq.shape and ok.shape == xk.shape
        assert oq.dtype == torch.float32 and ok.dtype == torch.bfloat16
    xq = torch.zeros(0, 4, 2, 8)          # an empty batch of 4 tokens
    oq, _ = llama.apply_rotary_emb(xq, xq, llama.precompute_freqs_cis(8, 4))
    assert oq.shape == xq.shape


# ---------------------------------------------------------------------------
# llama.apply_rotary_emb on slices without a complex view
# ---------------------------------------------------------------------------

def _odd_slices():
    g = torch.Generator().manual_seed(3)
    B, S, H, D = 2, 5, 3, 8
    wide = torch.randn(B, S, H, D + 2, generator=g)
    flat = torch.randn(B * S * H * D + 1, generator=g)
    return [
        wide[..., 1:D + 1],                             # a window of wider rows: odd offset
        flat[1:].view(B, S, H, D),                      # contiguous, but at an odd storage offset
        torch.randn(B, S, H, D + 1, generator=g)[..., :D],   # rows of odd length: odd strides
        torch.randn(B, H, S, D, generator=g).transpose(1, 2),  # (B, H, S, D) viewed as (B, S, H, D)
    ]


@pytest.mark.parametrize("i", range(4))
def test_llama_apply_rotary_emb_on_strided_slices_matches_rope_complex(i):
    x = _odd_slices()[i]
    S, D = x.shape[1], x.shape[-1]
    fc = llama.precompute_freqs_cis(D, S)
    oq, ok = llama.apply_rotary_emb(x, x[:, :, :1], fc)
    # reference: the interleaved RoPE of the same values in a fresh (B, H, S, D) tensor
    ref = ropelab.rope_matrix(x.transpose(1, 2).contiguous(), torch.arange(S)).transpose(1, 2)
    torch.testing.assert_close(oq, ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(ok, ref[:, :, :1], atol=1e-5, rtol=0)
    # and the Meta-style call on a fresh copy gives the same numbers
    oq2, _ = llama.apply_rotary_emb(x.clone(memory_format=torch.contiguous_format), x[:, :, :1], fc)
    torch.testing.assert_close(oq, oq2, atol=0, rtol=0)


def test_rope_complex_on_the_same_slices_is_unchanged():
    for x in _odd_slices():
        xs = x.transpose(1, 2)
        want = ropelab.rope_matrix(xs.contiguous(), torch.arange(xs.shape[-2]))
        torch.testing.assert_close(ropelab.rope_complex(xs, torch.arange(xs.shape[-2])), want,
                                   atol=1e-5, rtol=0)


# ---------------------------------------------------------------------------
# reference mirrors accept what the reference accepts
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("x", [
    torch.arange(8.0),                                     # one vector
    torch.arange(8),                                       # int64
    torch.arange(12, dtype=torch.int32).view(2, 6),
    torch.randn(2, 1, 3, 2, 4, generator=torch.Generator().manual_seed(1)).to(torch.float16),
    torch.zeros(3, 0),                                     # D = 0 is even
])
def test_internlm_rotate_half_takes_what_transformers_rotate_half_takes(x):
    from transformers.models.llama.modeling_llama import rotate_half as hf_rotate_half

    got = internlm.rotate_half(x)
    want = hf_rotate_half(x)
    assert got.dtype == want.dtype and torch.equal(got, want)


def test_internlm_rotate_half_still_refuses_odd_dims_and_non_tensors():
    with pytest.raises(ValueError, match=r"x.shape\[-1\] \(D\) must be even"):
        internlm.rotate_half(torch.zeros(2, 7))
    with pytest.raises(TypeError, match="torch.Tensor"):
        internlm.rotate_half([1.0, 2.0])
    with pytest.raises(ValueError, match="at least 1 dimensions"):
        internlm.rotate_half(torch.tensor(1.0))
    with pytest.raises(TypeError, match="bool"):
        internlm.rotate_half(torch.ones(4, dtype=torch.bool))
    # ropelab's own rotate_half (the (..., seq, dim) helper of the reference forms) is unchanged
    with pytest.raises(ValueError, match=r"x\[None\]"):
        ropelab.rotate_half(torch.arange(8.0))

