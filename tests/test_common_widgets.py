"""The InteractiveFigure pattern: controls -> state -> redrawn figure, without a browser."""
import math

import ipywidgets as widgets
import pytest

from ropelab.common.widgets import InteractiveFigure
from ropelab.widgets import extension_widget, frequency_widget, rotation_widget


def compute(a=1.0):
    return {"a": a, "y": [0.0, a]}


def draw(fig, state):
    ax = fig.add_subplot()
    ax.set_ylim(-5, 5)
    (line,) = ax.plot([0, 1], state["y"])
    return {"line": line}


def update(h, state):
    h["line"].set_ydata(state["y"])


def make(update_fn=update):
    slider = widgets.FloatSlider(value=1.0, min=-4, max=4)
    return InteractiveFigure({"a": slider}, compute, draw, update_fn,
                             readout=lambda s: f"a = {s['a']:.2f}", figsize=(3, 2), name="demo")


@pytest.mark.parametrize("update_fn", [update, None])
def test_moving_a_slider_updates_state_readout_and_image(update_fn):
    w = make(update_fn)
    before = bytes(w.image.value)
    assert w.readout.value == "a = 1.00" and before.startswith(b"\x89PNG")
    w.controls["a"].value = -3.0
    assert w.state["y"] == [0.0, -3.0]
    assert w.readout.value == "a = -3.00"
    after = bytes(w.image.value)
    assert after != before and after.startswith(b"\x89PNG")
    assert len(w.redraw_ms) == 1 and w.redraw_ms[0] > 0


def test_blitted_redraw_equals_a_full_redraw():
    fast, full = make(update), make(None)
    for w in (fast, full):
        w.controls["a"].value = 2.5
    assert _same_pixels(bytes(fast.image.value), bytes(full.image.value))
    moved = make(update)
    moved.controls["a"].value = -2.5
    assert not _same_pixels(bytes(fast.image.value), bytes(moved.image.value))


def _same_pixels(a: bytes, b: bytes) -> bool:
    import io

    import numpy as np
    from PIL import Image

    pa = np.asarray(Image.open(io.BytesIO(a)).convert("RGBA"), dtype=int)
    pb = np.asarray(Image.open(io.BytesIO(b)).convert("RGBA"), dtype=int)
    # antialiased edges may differ where the moving line crosses a spine; nothing else may
    return pa.shape == pb.shape and (np.abs(pa - pb).max(axis=-1) > 8).mean() < 0.002


def test_repr_is_short_and_deterministic():
    w = make()
    w.controls["a"].value = 0.5
    assert repr(w) == "demo(a=0.5)"


# ---------------------------------------------------------------------------
# a refused value leaves the widget working
# ---------------------------------------------------------------------------

def finite_compute(a=1.0, b=0.0):
    if not math.isfinite(a) or not math.isfinite(b):
        raise ValueError(f"a and b must be finite; got a = {a}, b = {b}")
    return {"a": a, "y": [b, a]}


def make_two():
    controls = {"a": widgets.FloatSlider(value=1.0, min=-4, max=4), "b": widgets.FloatSlider(value=0.0, min=-4, max=4)}
    return InteractiveFigure(controls, finite_compute, draw, update,
                             readout=lambda s: f"a = {s['a']:.2f}, y = {s['y']}", figsize=(3, 2), name="demo")


def test_a_refused_value_is_reverted_reported_and_the_next_move_works():
    w = make_two()
    w.controls["a"].value = 2.0
    with pytest.raises(ValueError, match="a and b must be finite; got a = nan"):
        w.controls["a"].value = float("nan")
    assert w.controls["a"].value == 2.0 and w.state["a"] == 2.0           # back at the last good value
    assert "a = 2.00" in w.readout.value and "a and b must be finite; got a = nan" in w.readout.value
    assert "not applied" in w.readout.value
    w.controls["b"].value = -1.5                                          # another control: no NaN left behind
    fresh = make_two()
    fresh.controls["a"].value = 2.0
    fresh.controls["b"].value = -1.5
    assert w.state["y"] == [-1.5, 2.0] and w.readout.value == fresh.readout.value == "a = 2.00, y = [-1.5, 2.0]"
    assert list(w._handles["line"].get_ydata()) == [-1.5, 2.0]
    assert _same_pixels(bytes(w.image.value), bytes(fresh.image.value))


def _nan_then_good(w, bad, other, good):
    before = w.controls[bad].value
    with pytest.raises(ValueError, match=bad):
        w.controls[bad].value = float("nan")
    assert w.controls[bad].value == before and "not applied" in w.readout.value
    w.controls[other].value = good
    return w


@pytest.mark.parametrize("make, bad, other, good", [
    (rotation_widget, "theta_deg", "x", 0.3),
    (rotation_widget, "y", "theta_deg", 120.0),
    (extension_widget, "factor", "target_len", 32768),
    (frequency_widget, "base", "dim", 64),
], ids=["rotation-theta", "rotation-y", "extension", "frequency"])
def test_every_widget_recovers_from_a_refused_value(make, bad, other, good):
    w = _nan_then_good(make(), bad, other, good)
    fresh = make(**{other: good})
    assert w.values() == fresh.values()
    assert w.readout.value == fresh.readout.value                        # the good state, no error left
    assert _same_pixels(bytes(w.image.value), bytes(fresh.image.value))
