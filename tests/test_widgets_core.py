"""The InteractiveFigure pattern: controls -> state -> redrawn figure, without a browser."""
import ipywidgets as widgets
import pytest

from ropelab.widgets import InteractiveFigure


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
