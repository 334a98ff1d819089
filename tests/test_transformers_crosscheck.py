"""ropelab's RoPE against the installed Hugging Face transformers Llama code (tiny config, no weights)."""
import pytest
import torch
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

from ropelab import apply_rope, inv_freq, rope_half


def hf_rotary(head_dim, base, max_pos=4096):
    cfg = LlamaConfig(hidden_size=head_dim * 2, num_attention_heads=2, num_key_value_heads=2,
                      head_dim=head_dim, intermediate_size=16, num_hidden_layers=1, vocab_size=16,
                      max_position_embeddings=max_pos,
                      rope_parameters={"rope_type": "default", "rope_theta": base})
    return LlamaRotaryEmbedding(cfg)


@pytest.mark.parametrize("head_dim", [8, 64, 128])
@pytest.mark.parametrize("base", [10000.0, 500000.0])
def test_inverse_frequencies_match(head_dim, base):
    rot = hf_rotary(head_dim, base)
    torch.testing.assert_close(inv_freq(head_dim, base), rot.inv_freq, rtol=1e-6, atol=0)


@pytest.mark.parametrize("head_dim,base,seq", [(8, 10000.0, 10), (64, 10000.0, 300), (128, 500000.0, 257)])
def test_rope_half_matches_apply_rotary_pos_emb_fp32(head_dim, base, seq):
    gen = torch.Generator().manual_seed(head_dim + seq)
    q = torch.randn(2, 3, seq, head_dim, generator=gen)
    k = torch.randn(2, 3, seq, head_dim, generator=gen)
    position_ids = torch.stack([torch.arange(seq), torch.arange(seq) + 17])  # two different offsets
    rot = hf_rotary(head_dim, base)
    cos, sin = rot(q, position_ids)
    q_hf, k_hf = apply_rotary_pos_emb(q, k, cos, sin)
    for b in range(2):
        pos = position_ids[b]
        torch.testing.assert_close(rope_half(q[b], pos, base), q_hf[b], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(apply_rope(k[b], pos, base, layout="half"), k_hf[b], atol=1e-5, rtol=1e-5)


def test_rope_half_matches_transformers_in_bfloat16():
    # transformers rounds cos/sin to bf16 and multiplies in bf16; ropelab computes in float32 and
    # rounds once, so the two differ by a few bf16 ulps (values are O(1): 1 ulp = 2**-7 = 0.0078)
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(1, 4, 64, 32, generator=gen).bfloat16()
    rot = hf_rotary(32, 10000.0)
    pos = torch.arange(64)
    cos, sin = rot(q, pos[None])
    q_hf, _ = apply_rotary_pos_emb(q, q, cos, sin)
    ours = rope_half(q, pos)
    assert ours.dtype == torch.bfloat16
    exact = rope_half(q.double(), pos)
    err_ours = (ours.double() - exact).abs().max().item()
    err_hf = (q_hf.double() - exact).abs().max().item()
    assert (ours.double() - q_hf.double()).abs().max().item() <= 0.05
    assert err_ours <= err_hf + 1e-12  # computing in float32 is never worse than transformers' bf16 path
