"""Lesson 10 (RoPE at memory speed): counted memory traffic, the half layout's strided views, the figures.

``memory_traffic`` counts bytes per operation from shapes and dtypes alone, so every
number here is the same on every machine.
"""
import pytest
import torch

from ropelab import apply_rope, apply_rope_, rope_half
from ropelab.lesson10_rope_speed import (
    ROPES,
    attention_layer,
    half_pair_views,
    matrix_traffic_figure,
    memory_traffic,
    numba_in_use,
    page_faults,
    passes_figure,
    pytorch_path,
    ratio_figure,
)

# ---------------------------------------------------------------------------
# memory traffic: the reason the fast path is fast, counted
# ---------------------------------------------------------------------------

def test_traffic_of_clone_is_one_read_one_write():
    x = torch.randn(4, 64, 32)
    _, t = memory_traffic(torch.clone, x)
    assert t.passes(x.numel() * 4) == {"ops": 1, "reads": 1.0, "writes": 1.0, "allocated": 1.0}


@pytest.mark.skipif(not numba_in_use(), reason="the numba loops do not run here")
@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_fast_path_is_one_read_and_one_write(layout):
    x = torch.randn(1, 8, 256, 64)
    nbytes = x.numel() * 4
    pos = torch.arange(256)
    apply_rope(x, pos, layout=layout)                 # warm the table cache
    table = 256 * 32 * 4 / nbytes                     # one (seq, dim/2) float32 table, relative to x
    # new tensor: the output (created empty) and one fused numba operation into it
    _, t = memory_traffic(apply_rope, x, pos, layout=layout)
    assert [o[0] for o in t.ops] == ["rope_into"]
    assert t.passes(nbytes) == {"ops": 1, "reads": pytest.approx(1.0 + 2 * table), "writes": 1.0, "allocated": 1.0}
    # in place and out=: no new memory at all
    _, t = memory_traffic(apply_rope_, x.clone(), pos, layout=layout)
    assert [o[0] for o in t.ops] == ["rope_"] and t.passes(nbytes)["allocated"] == 0.0
    assert t.passes(nbytes)["writes"] == 1.0
    out = torch.empty_like(x)
    _, t = memory_traffic(apply_rope, x, pos, layout=layout, out=out)
    assert [o[0] for o in t.ops] == ["rope_into"] and t.passes(nbytes)["allocated"] == 0.0


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_pytorch_path_allocates_only_its_output_and_reads_x_once_per_op(layout):
    x = torch.randn(1, 8, 256, 64)
    nbytes = x.numel() * 4
    pos = torch.arange(256)
    with pytorch_path():
        apply_rope(x, pos, layout=layout)             # warm the table cache (and its derived tables)
        _, t = memory_traffic(apply_rope, x, pos, layout=layout)
    p = t.passes(nbytes)
    assert p["allocated"] == 1.0                      # the output and nothing else
    table = 256 * 64 * 4 / nbytes                     # one (seq, dim) float32 table, relative to x
    if layout == "interleaved":
        # x viewed as complex times e^{i m theta} (a complex (seq, dim/2) table: same bytes)
        assert [o[0] for o in t.ops] == ["mul"]
        assert p["writes"] == 1.0 and p["reads"] == pytest.approx(1.0 + table)
    else:
        # out = x * cat(cos, cos); then every element gets its sin term added once, in place
        assert t.ops[0][0] == "mul" and {o[0] for o in t.ops[1:]} == {"addcmul_"} and t.count <= 4
        assert p["writes"] == 2.0
        assert p["reads"] == pytest.approx(3.0 + 2 * table)


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_pytorch_path_in_place_allocates_at_most_half_of_x(layout):
    x = torch.randn(1, 8, 256, 64)
    with pytorch_path():
        apply_rope_(x, torch.arange(256), layout=layout)
        _, t = memory_traffic(apply_rope_, x, torch.arange(256), layout=layout)
    p = t.passes(x.numel() * 4)
    assert p["allocated"] == (0.0 if layout == "interleaved" else 0.5)
    assert t.count == (1 if layout == "interleaved" else 5)


def test_reference_half_form_makes_many_passes():
    x = torch.randn(1, 8, 256, 64)
    _, t = memory_traffic(rope_half, x, torch.arange(256))
    assert t.passes(x.numel() * 4)["allocated"] >= 5.0  # x*cos, -x2, cat, *sin, + : five full tensors


def test_memory_traffic_rejects_non_callables():
    with pytest.raises(TypeError, match="fn"):
        memory_traffic(3)


# ---------------------------------------------------------------------------
# the two strided views of the half layout
# ---------------------------------------------------------------------------

def test_half_pair_views_put_each_sin_term_where_it_belongs():
    x = torch.arange(2 * 5 * 8, dtype=torch.float32).view(2, 5, 8)      # (lead, seq, dim), h = 4
    out = torch.zeros_like(x)
    xv, ov = half_pair_views(x, out)
    assert xv.shape == ov.shape == (2, 4, 2, 4)
    ov.copy_(xv)                      # route every x value to the output slot its sin term goes to
    for t in range(4):
        # x1[t] * sin -> second half of row t;  x2[t + 1] * (-sin) -> first half of row t + 1
        assert torch.equal(out[:, t, 4:], x[:, t, :4])
        assert torch.equal(out[:, t + 1, :4], x[:, t + 1, 4:])
    # the first half of the first row and the second half of the last row are left for the edge step
    assert torch.count_nonzero(out[:, 0, :4]) == 0 and torch.count_nonzero(out[:, 4, 4:]) == 0
    assert xv.data_ptr() == x.data_ptr()  # views, not copies


@pytest.mark.parametrize("x, out, words", [
    (torch.zeros(2, 1, 8), torch.zeros(2, 1, 8), ["seq >= 2"]),
    (torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), ["same shape"]),
    (torch.zeros(3, 8), torch.zeros(8, 3).T, ["rows", "dim/2"]),
    (torch.zeros(3, 7), torch.zeros(3, 7), ["dim"]),
])
def test_half_pair_views_errors(x, out, words):
    with pytest.raises(ValueError) as info:
        half_pair_views(x, out)
    for w in words:
        assert w in str(info.value)


# ---------------------------------------------------------------------------
# the speed figures
# ---------------------------------------------------------------------------

def test_passes_figure_draws_one_stacked_bar_per_form_and_cuts_outliers():
    rows = [{"name": "clone", "reads": 1.0, "writes": 1.0, "allocated": 1.0},
            {"name": "dense", "reads": 40.0, "writes": 40.0, "allocated": 9.0},
            {"name": "half", "reads": 3.0, "writes": 2.0, "allocated": 1.0}]
    fig = passes_figure(rows)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 6                                  # reads and writes for each of 3 forms
    assert max(p.get_x() + p.get_width() for p in ax.patches) <= ax.get_xlim()[1] + 1e-9
    assert ax.get_xlim()[1] < 80                             # the dense bar is cut, not the scale
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "80.0 (bar cut)" in labels and "5.0" in labels
    assert [t.get_text() for t in ax.get_yticklabels()] == ["half", "dense", "clone"]
    with pytest.raises(ValueError, match="keys"):
        passes_figure([{"name": "x"}])


def test_ratio_figure_sorts_and_labels_ratios():
    fig = ratio_figure({"clone": 1.0, "apply_rope_qk half": 1.3, "transformers eager": 5.0})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["transformers eager", "apply_rope_qk half", "clone"]
    assert sorted(round(p.get_width(), 6) for p in ax.patches) == [1.0, 1.3, 5.0]
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="positive"):
        ratio_figure({"clone": 0.0})
    with pytest.raises(ValueError, match="non-empty"):
        ratio_figure({})


def test_matrix_traffic_figure_checks_lengths():
    fig = matrix_traffic_figure([16, 32], [10.0, 20.0], [1.1, 1.1])
    assert [list(line.get_ydata()) for line in fig.axes[0].lines] == [[10.0, 20.0], [1.1, 1.1]]
    with pytest.raises(ValueError, match="one value per dim"):
        matrix_traffic_figure([16, 32], [1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="even"):
        matrix_traffic_figure([15], [1.0], [1.0])


# ---------------------------------------------------------------------------
# fresh memory, the PyTorch path, the attention layer
# ---------------------------------------------------------------------------

def test_page_faults_counts_first_touches_of_fresh_memory():
    pytest.importorskip("resource")
    big = torch.empty(64 << 20, dtype=torch.uint8)            # 64 MiB: mapped fresh by any allocator
    _, faults = page_faults(big.fill_, 1)                     # first touch of every page
    assert faults is not None and faults >= 1
    _, again = page_faults(big.fill_, 2)                      # the pages exist now
    assert again < faults
    with pytest.raises(TypeError, match="fn"):
        page_faults(3)


def test_pytorch_path_and_numba_in_use():
    x = torch.randn(2, 16, 8)
    with pytorch_path():
        _, t = memory_traffic(apply_rope, x, torch.arange(16), layout="half")
        assert "rope_into" not in [o[0] for o in t.ops]
    assert isinstance(numba_in_use(), bool)


def test_attention_layer_matches_transformers_llama_attention():
    pytest.importorskip("transformers")
    from transformers.models.llama.modeling_llama import LlamaAttention

    from ropelab.common import hf as rl_hf

    layer = attention_layer(hidden=32, heads=4, seed=1)
    cfg = rl_hf.llama_config(head_dim=8, num_heads=4)
    cfg._attn_implementation = "sdpa"
    ref = LlamaAttention(cfg, layer_idx=0)
    with torch.no_grad():
        for name, w in zip(("q_proj", "k_proj", "v_proj", "o_proj"), (layer.wq, layer.wk, layer.wv, layer.wo)):
            getattr(ref, name).weight.copy_(w)
    x = torch.randn(2, 7, 32, generator=torch.Generator().manual_seed(2))
    pos = torch.arange(7)
    cos, sin = rl_hf.hf_cos_sin(pos, 8)
    with torch.no_grad():
        expected, _ = ref(x, position_embeddings=(cos[None], sin[None]), attention_mask=None)
        for rope in ("ropelab in place", "ropelab", "transformers"):
            torch.testing.assert_close(layer.forward(x, pos, rope=rope), expected, atol=1e-5, rtol=1e-5)
        assert not torch.allclose(layer.forward(x, pos, rope="none"), expected, atol=1e-3)
    assert set(ROPES) == {"ropelab in place", "ropelab", "transformers", "none"}


@pytest.mark.parametrize("call, err, words", [
    (lambda: attention_layer(hidden=30, heads=4), ValueError, ["hidden", "multiple"]),
    (lambda: attention_layer(hidden=12, heads=4), ValueError, ["head_dim", "even"]),
    (lambda: attention_layer(32, 4).forward(torch.zeros(1, 3, 16), torch.arange(3)), ValueError, ["hidden = 32"]),
    (lambda: attention_layer(32, 4).forward(torch.zeros(1, 3, 32), torch.arange(3), rope="neox"), ValueError,
     ["rope", "'ropelab in place'"]),
])
def test_attention_layer_errors(call, err, words):
    with pytest.raises(err) as info:
        call()
    for w in words:
        assert w in str(info.value)
