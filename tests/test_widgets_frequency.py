"""The frequency explorer of notebook 05 (base and dim -> frequencies and decay bound), without a browser.

Expected numbers are computed here with NumPy (theta_i = base^(-2i/d), partial sums of
e^{i r theta_i}), never taken from the code under test.
"""
from __future__ import annotations

import io
import re
import statistics

import numpy as np
import pytest
from PIL import Image

from ropelab.plots import frequency_figure
from ropelab.plots.rope_nd import frequency_state
from ropelab.widgets import frequency_widget


def np_theta(dim, base):
    return base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def np_bound(distances, dim, base):
    th = np_theta(dim, base)
    raw = np.array([np.abs(np.cumsum(np.exp(1j * r * th))).mean() for r in distances])
    return raw / ((dim // 2 + 1) / 2)


def readout_numbers(html: str) -> dict:
    base = re.search(r"base = ([\d,]+)", html).group(1).replace(",", "")
    dim = re.search(r"d = (\d+)", html).group(1)
    pairs = re.search(r"pairs d/2 = (\d+)", html).group(1)
    slow = re.search(r"slowest θ<sub>(\d+)</sub> = ([\d.e+-]+) \(wavelength ([\d,]+) positions\)", html)
    half = re.search(r"at distance ([\d,]+);", html)
    far = re.search(r"its average over distances 1,024 to 4,096 is ([\d.]+)", html)
    return {"base": float(base), "dim": int(dim), "pairs": int(pairs), "slow_index": int(slow.group(1)),
            "slow_theta": float(slow.group(2)), "slow_wavelength": float(slow.group(3).replace(",", "")),
            "half": int(half.group(1).replace(",", "")) if half else None, "far": float(far.group(1))}


@pytest.mark.parametrize("base, dim", [(10_000.0, 128), (500_000.0, 64), (100.0, 8), (1e6, 256)])
def test_state_numbers(base, dim):
    s = frequency_state(base, dim)
    th = np_theta(dim, base)
    np.testing.assert_allclose(s["theta"], th, rtol=1e-6)
    np.testing.assert_allclose(s["wavelength"], 2 * np.pi / th, rtol=1e-6)
    np.testing.assert_allclose(s["pair_frac"], np.arange(dim // 2) * 2 / dim)
    idx = np.array([0, 5, 63, 100, len(s["distances"]) - 1])
    np.testing.assert_allclose(s["bound"][idx], np_bound(s["distances"][idx], dim, base), rtol=1e-5)
    assert s["bound"][0] == pytest.approx(1.0)
    # the half-way distance: the first grid distance where the bound is below 1/2
    below = [r for r in s["distances"][:200] if np_bound([r], dim, base)[0] < 0.5]
    assert s["half_distance"] == below[0]
    far = [r for r in s["distances"] if 1024 <= r <= 4096]
    assert len(far) > 50
    assert s["far_mean"] == pytest.approx(np_bound(far, dim, base).mean(), rel=1e-5)


def test_moving_base_updates_state_readout_and_curves():
    w = frequency_widget()
    r0 = readout_numbers(w.readout.value)
    assert (r0["base"], r0["dim"], r0["pairs"]) == (10_000, 128, 64)
    assert r0["slow_theta"] == pytest.approx(np_theta(128, 1e4)[-1], rel=1e-3)
    before = bytes(w.image.value)
    w.controls["base"].value = 1e6
    assert w.state["base"] == pytest.approx(1e6)
    r = readout_numbers(w.readout.value)
    assert r["base"] == pytest.approx(1e6)
    assert r["slow_theta"] == pytest.approx(np_theta(128, 1e6)[-1], rel=1e-3)
    assert r["slow_wavelength"] == pytest.approx(2 * np.pi / np_theta(128, 1e6)[-1], rel=1e-4)
    far = [d for d in w.state["distances"] if 1024 <= d <= 4096]
    assert r["far"] == pytest.approx(np_bound(far, 128, 1e6).mean(), abs=6e-4)
    # a larger base decays more slowly: the bound halves later and stays higher far away
    assert r["half"] > r0["half"]
    assert r["far"] > r0["far"]
    line = w._handles["theta"]
    np.testing.assert_allclose(line.get_ydata(), np_theta(128, 1e6), rtol=1e-6)
    assert bytes(w.image.value) != before


def test_moving_dim_changes_the_number_of_frequencies():
    w = frequency_widget()
    w.controls["dim"].value = 16
    r = readout_numbers(w.readout.value)
    assert (r["dim"], r["pairs"], r["slow_index"]) == (16, 8, 7)
    assert len(w._handles["theta"].get_xdata()) == 8
    np.testing.assert_allclose(w._handles["theta"].get_ydata(), np_theta(16, 1e4), rtol=1e-6)
    np.testing.assert_allclose(w._handles["bound"].get_ydata()[:40], np_bound(range(40), 16, 1e4), rtol=1e-5)


def test_frame_marks_the_half_way_point():
    w = frequency_widget()
    w.controls["base"].value = 1000.0
    x = w.state["half_distance"]
    img = Image.open(io.BytesIO(w.image.value)).convert("RGB")
    px, py = w._handles["ax2"].transData.transform((x, 0.5))
    rgb = img.getpixel((int(round(px)), int(round(img.height - py))))
    assert max(rgb) < 70, rgb   # the black dot


def test_bad_arguments():
    with pytest.raises(ValueError, match="base must be in"):
        frequency_widget(base=10.0)
    with pytest.raises(ValueError, match="dim must be a positive even integer"):
        frequency_widget(dim=63)
    with pytest.raises(ValueError, match="base must be .*> 1"):
        frequency_state(base=0.5)


@pytest.mark.parametrize("base", [1.0, 0.5, 0.0, -10.0])
def test_base_at_most_1_is_refused_by_the_rule_of_the_core(base):
    # the rule "base must be a finite real > 1", before the slider's own range (today a local check;
    # the wording may become that of ropelab._validate's helper, hence the loose pattern)
    for make in (frequency_state, frequency_widget):
        with pytest.raises(ValueError, match=rf"base must be .*> 1 .*got {base:g}"):
            make(base=base)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="base must be finite"):
            frequency_widget(base=bad)


def test_redraw_is_fast():
    def one_run():
        w = frequency_widget()
        for b in (100.0, 1e3, 3e4, 1e5, 1e6, 1e4):
            w.controls["base"].value = b
        for d in range(8, 257, 24):
            w.controls["dim"].value = d
        assert len(w.redraw_ms) == 6 + 11
        return statistics.median(w.redraw_ms)

    # wall-clock time on a shared machine: a second or third run only when a burst of load hit one
    medians = []
    while len(medians) < 3 and (not medians or min(medians) >= 50.0):
        medians.append(one_run())
    print(f"frequency_widget median redraw {min(medians):.1f} ms (runs: {', '.join(f'{m:.1f}' for m in medians)})")
    assert min(medians) < 50.0, medians


def test_static_figure_and_repr():
    fig = frequency_figure(base=10_000, dim=128)
    assert any("64 frequencies" in ax.get_title() for ax in fig.axes)
    assert repr(frequency_widget()) == "frequency_widget(base=10000, dim=128)"
