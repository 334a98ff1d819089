"""Lesson 10 (RoPE at memory speed): counted memory traffic, the half layout's strided views, the figures.

``memory_traffic`` counts bytes per operation from shapes and dtypes alone, so every
number here is the same on every machine.
"""
import pytest
import torch

from ropelab import apply_rope, rope_half
from ropelab.lesson10_rope_speed import (
    half_pair_views,
    matrix_traffic_figure,
    memory_traffic,
    passes_figure,
    ratio_figure,
)

# ---------------------------------------------------------------------------
# memory traffic: the reason the fast path is fast, counted
# ---------------------------------------------------------------------------

def test_traffic_of_clone_is_one_read_one_write():
    x = torch.randn(4, 64, 32)
    _, t = memory_traffic(torch.clone, x)
    assert t.passes(x.numel() * 4) == {"ops": 1, "reads": 1.0, "writes": 1.0, "allocated": 1.0}


@pytest.mark.parametrize("layout", ["interleaved", "half"])
def test_fast_path_allocates_only_its_output_and_reads_x_once_per_op(layout):
    x = torch.randn(1, 8, 256, 64)
    nbytes = x.numel() * 4
    pos = torch.arange(256)
    apply_rope(x, pos, layout=layout)                 # warm the table cache
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
