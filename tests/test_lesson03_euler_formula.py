"""The rotation widget and figure of notebook 03, tested without a browser.

Expected numbers come from ``cmath`` / plain trigonometry in the test, never from the
code under test. The frame itself is checked too: the PNG the widget sends must show
the rotated arrow where the new state says it is.
"""
from __future__ import annotations

import cmath
import io
import math
import re
import statistics

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import ropelab
from ropelab.plots import K_COLOR, Q_COLOR, rotation_figure, rotation_state
from ropelab.widgets import rotation_widget

NUM = r"(-?\d+\.\d+)"


def _hex_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) for i in (0, 2, 4))


def _readout_numbers(html: str) -> dict[str, complex | float]:
    """Parse the readout: the three complex numbers and the two lengths."""
    def cnum(label: str) -> complex:
        m = re.search(label + r"[^<]*?= " + NUM + r" ([+−]) " + NUM + "i", html)
        assert m, f"no {label} in readout {html!r}"
        sign = 1 if m.group(2) == "+" else -1
        return complex(float(m.group(1)), sign * float(m.group(3)))

    theta = re.search(r"θ = " + NUM + "° = " + NUM + " rad", html)
    norms = re.findall(r"\| = " + NUM, html)
    return {
        "theta_deg": float(theta.group(1)),
        "theta_rad": float(theta.group(2)),
        "z": cnum(r"^.*?<br>z"),
        "unit": cnum(r"cos θ \+ i sin θ"),
        "rotated": cnum(r"z·e<sup>iθ</sup>"),
        "norm_z": float(norms[0]),
        "norm_rotated": float(norms[1]),
    }


def _expected(theta_deg: float, x: float, y: float) -> tuple[complex, complex, complex]:
    z = complex(x, y)
    unit = cmath.exp(1j * math.radians(theta_deg))
    return z, unit, z * unit


def _pixel(w, point: complex) -> tuple[int, int, int]:
    """RGB of the widget's current PNG at a point of the plane (data coordinates)."""
    img = Image.open(io.BytesIO(w.image.value)).convert("RGB")
    ax = w._handles["ax"]
    px, py = ax.transData.transform((point.real, point.imag))
    return img.getpixel((int(round(px)), int(round(img.height - py))))


def _close_to(rgb, color: str, tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, _hex_rgb(color)))


# ---------------------------------------------------------------------------
# the pure state
# ---------------------------------------------------------------------------

@given(theta=st.floats(-720, 720), x=st.floats(-3, 3), y=st.floats(-3, 3))
def test_state_is_a_rotation(theta, x, y):
    s = rotation_state(theta, x, y)
    z, unit, rotated = _expected(theta, x, y)
    assert s["z"] == z
    assert abs(s["unit"] - unit) < 1e-12
    assert abs(s["rotated"] - rotated) < 1e-12
    assert s["norm_rotated"] == pytest.approx(abs(z), abs=1e-12)
    # the same as the 2x2 rotation matrix of RoPE (float32 there, hence the tolerance)
    R = ropelab.rotation_matrix(math.radians(theta), dim=2).double()
    v = R @ torch.tensor([x, y], dtype=torch.float64)
    assert v[0].item() == pytest.approx(rotated.real, abs=1e-5 * max(1.0, abs(z)))
    assert v[1].item() == pytest.approx(rotated.imag, abs=1e-5 * max(1.0, abs(z)))
    if abs(z) > 1e-6:
        turned = (s["arg_rotated_deg"] - s["arg_z_deg"] - theta) % 360
        assert min(turned, 360 - turned) < 1e-6


def test_state_validates():
    with pytest.raises(TypeError, match="theta_deg"):
        rotation_state("60")
    with pytest.raises(ValueError, match="x must be finite"):
        rotation_state(60, float("nan"))
    with pytest.raises(ValueError, match="x must lie in"):
        rotation_widget(x=2.0)
    with pytest.raises(ValueError, match="theta_deg must lie in"):
        rotation_widget(theta_deg=400)


# ---------------------------------------------------------------------------
# the widget
# ---------------------------------------------------------------------------

def test_default_widget_shows_z_turned_by_60_degrees():
    w = rotation_widget()
    assert set(w.controls) == {"theta_deg", "x", "y"}
    assert w.values() == {"theta_deg": 60.0, "x": 1.0, "y": 0.5}
    z, unit, rot = _expected(60, 1.0, 0.5)
    assert w._handles["rot"].xy == pytest.approx((rot.real, rot.imag))
    assert w._handles["z"].xy == pytest.approx((1.0, 0.5))
    nums = _readout_numbers(w.readout.value)
    assert nums["rotated"] == pytest.approx(rot, abs=1e-3)
    assert nums["unit"] == pytest.approx(unit, abs=1e-3)
    assert repr(w) == "rotation_widget(theta_deg=60, x=1, y=0.5)"


@pytest.mark.parametrize("theta", [90.0, 180.0, -45.0, 300.0, 360.0])
def test_theta_slider_moves_arrow_and_readout(theta):
    w = rotation_widget()
    before = w.image.value
    w.controls["theta_deg"].value = theta
    z, unit, rot = _expected(theta, 1.0, 0.5)
    h = w._handles
    # plotted data
    assert h["rot"].xy == pytest.approx((rot.real, rot.imag), abs=1e-12)
    assert h["z"].xy == pytest.approx((1.0, 0.5))
    ux, uy = h["unit"].get_data()
    assert (ux[0], uy[0]) == pytest.approx((unit.real, unit.imag), abs=1e-12)
    # the dotted circle the tip runs on has radius |z|
    px, py = h["path"].get_data()
    assert max(abs(complex(a, b)) for a, b in zip(px, py)) == pytest.approx(abs(z))
    # the angle arc starts on z's direction and sweeps theta
    ax_, ay_ = h["arc"].get_data()
    start, end = complex(ax_[0], ay_[0]), complex(ax_[-1], ay_[-1])
    assert cmath.phase(start) == pytest.approx(cmath.phase(z), abs=1e-9)
    assert cmath.phase(end / start) == pytest.approx(cmath.phase(unit), abs=1e-9)
    # readout
    nums = _readout_numbers(w.readout.value)
    assert nums["theta_deg"] == pytest.approx(theta)
    assert nums["theta_rad"] == pytest.approx(math.radians(theta), abs=1e-4)
    assert nums["z"] == pytest.approx(z, abs=1e-3)
    assert nums["unit"] == pytest.approx(unit, abs=1e-3)
    assert nums["rotated"] == pytest.approx(rot, abs=1e-3)
    assert nums["norm_rotated"] == pytest.approx(abs(z), abs=1e-4)
    # the frame changed, and shows the rotated arrow where the state says
    assert w.image.value != before
    assert _close_to(_pixel(w, 0.6 * rot), K_COLOR)


def test_vector_sliders_move_z_and_keep_length():
    w = rotation_widget(theta_deg=90)
    w.controls["x"].value = -1.2
    w.controls["y"].value = 0.8
    z, unit, rot = _expected(90, -1.2, 0.8)
    assert rot == pytest.approx(complex(-0.8, -1.2))  # a quarter turn: (a, b) -> (-b, a)
    assert w.state["rotated"] == pytest.approx(rot)
    assert w._handles["z"].xy == pytest.approx((-1.2, 0.8))
    assert w._handles["rot"].xy == pytest.approx((rot.real, rot.imag))
    nums = _readout_numbers(w.readout.value)
    assert nums["norm_z"] == pytest.approx(abs(z), abs=1e-4)
    assert nums["norm_rotated"] == pytest.approx(abs(z), abs=1e-4)
    assert _close_to(_pixel(w, 0.6 * z), Q_COLOR)
    assert _close_to(_pixel(w, 0.6 * rot), K_COLOR)


def test_old_arrow_is_erased_after_a_move():
    """Blitting must restore the background: the arrow at the old angle disappears."""
    w = rotation_widget(theta_deg=0, x=1.0, y=0.0)
    old = complex(0.6, 0.0)
    assert _close_to(_pixel(w, old + 0.0j), K_COLOR) or _close_to(_pixel(w, old), Q_COLOR)
    w.controls["x"].value = 0.0
    w.controls["y"].value = 1.0
    w.controls["theta_deg"].value = 180.0   # z = i, rotated = -i: nothing on the positive real axis
    assert not _close_to(_pixel(w, old), K_COLOR)
    assert not _close_to(_pixel(w, old), Q_COLOR)
    assert _close_to(_pixel(w, -0.6j), K_COLOR)


def test_zero_vector_does_not_break():
    w = rotation_widget()
    w.controls["x"].value = 0.0
    w.controls["y"].value = 0.0
    assert w.state["rotated"] == 0
    assert _readout_numbers(w.readout.value)["norm_rotated"] == 0.0


def test_redraw_is_fast():
    w = rotation_widget()
    moves = [float(t) for t in range(0, 181, 6)]   # every value differs from the one before
    for t in moves:
        w.controls["theta_deg"].value = t
    assert len(w.redraw_ms) == len(moves)
    median = statistics.median(w.redraw_ms)
    print(f"rotation_widget median redraw {median:.1f} ms")
    assert median < 50, f"median redraw {median:.1f} ms"


# ---------------------------------------------------------------------------
# the static figure
# ---------------------------------------------------------------------------

def test_rotation_figure_matches_state():
    fig = rotation_figure(theta_deg=120, x=0.5, y=-1.0)
    ax = fig.axes[0]
    tips = [a.xy for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    z, unit, rot = _expected(120, 0.5, -1.0)
    assert len(tips) == 2
    assert tips[0] == pytest.approx((z.real, z.imag))
    assert tips[1] == pytest.approx((rot.real, rot.imag))
    panel = "\n".join(t.get_text() for t in fig.texts)
    assert f"{abs(z):.3f}" in panel
    assert f"{rot.real:.3f}" in panel and f"{abs(rot.imag):.3f}" in panel
    png = fig._repr_png_()
    assert png[:4] == b"\x89PNG"
