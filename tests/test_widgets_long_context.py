"""The context-extension widget: controls move the numbers, the figure and the readout."""
import math

import numpy as np
import pytest

from ropelab.plots import long_context as plots
from ropelab.widgets import extension_widget

DIM, BASE, TRAIN = 128, 10000.0, 4096
THETA = np.array([BASE ** (-2 * i / DIM) for i in range(DIM // 2)])


def unseen(theta_scaled, target):
    train_max = (TRAIN - 1) * THETA
    return int(np.sum(((target - 1) * theta_scaled > train_max + THETA) & (train_max < 2 * math.pi)))


def test_defaults_and_repr():
    w = extension_widget()
    assert repr(w) == "extension_widget(method='yarn', factor=4, target_len=16384)"
    assert w.state["method"] == "yarn" and w.state["target_len"] == 16384
    assert len(w.image.value) > 1000  # a PNG was rendered


def test_linear_factor_slider_divides_every_frequency():
    w = extension_widget(method="linear")
    w.controls["factor"].value = 8.0
    np.testing.assert_allclose(w.state["theta_scaled"], THETA / 8.0, rtol=1e-6)
    assert "factor=8" in w.readout.value
    assert f"{1 / 8:.4f}" in w.readout.value  # slowest pair ratio equals 1/factor
    assert w.state["n_unseen"] == 0


def test_target_length_slider_moves_the_largest_angles():
    w = extension_widget(method="default")
    before = w.image.value
    w.controls["target_len"].value = 65536
    np.testing.assert_allclose(w.state["target_max_angle"], 65535 * THETA, rtol=1e-6)
    expected = unseen(THETA, 65536)
    assert w.state["n_unseen"] == expected > 0
    assert f"pairs with unseen angles: {expected} of 64" in w.readout.value
    assert w.image.value != before


def test_method_dropdown_switches_formula():
    w = extension_widget(method="linear", factor=4.0, target_len=16384)
    w.controls["method"].value = "ntk"
    new_base = BASE * 4.0 ** (DIM / (DIM - 2))
    expected = np.array([new_base ** (-2 * i / DIM) for i in range(DIM // 2)])
    np.testing.assert_allclose(w.state["theta_scaled"], expected, rtol=2e-6)
    assert w.state["n_unseen"] == unseen(expected, 16384)
    w.controls["method"].value = "yarn"
    assert f"{0.1 * math.log(4.0) + 1:.4f}" in w.readout.value  # YaRN's attention factor
    w.controls["method"].value = "dynamic"
    scale = 4.0 * 16384 / TRAIN - 3.0  # dynamic NTK's scale at the target length
    dyn_base = BASE * scale ** (DIM / (DIM - 2))
    np.testing.assert_allclose(w.state["theta_scaled"][-1], dyn_base ** (-(DIM - 2) / DIM), rtol=2e-6)


def test_redraws_are_recorded_and_sliders_blit():
    w = extension_widget()
    h = w._handles
    # a slider move only moves artists; a method change asks for a full redraw (legend colours)
    assert plots.update_extension(h, plots.extension_state("yarn", 6.0, 16384)) is False
    assert plots.update_extension(h, plots.extension_state("llama3", 6.0, 16384)) is True
    assert plots.update_extension(h, plots.extension_state("llama3", 6.0, 32768)) is False
    n = len(w.redraw_ms)
    w.controls["factor"].value = 5.0
    w.controls["target_len"].value = 8192
    assert len(w.redraw_ms) == n + 2
    assert all(ms > 0 for ms in w.redraw_ms)


def test_static_figure_matches_state():
    fig = plots.extension_figure("llama3", 8.0, 32768)
    ax_angle = fig.axes[1]
    lines = [ln for ln in ax_angle.get_lines() if len(ln.get_xdata()) == DIM // 2]
    st = plots.extension_state("llama3", 8.0, 32768)
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
    assert extension_widget(factor=32.0).controls["factor"].value == 32.0
