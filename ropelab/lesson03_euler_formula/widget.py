"""The rotation widget of notebook 03: drag theta and watch ``z * e^{i theta}`` turn around the origin.

One widget, one file: its pure model and its drawing live here too, and the static
:func:`ropelab.lesson03_euler_formula.figures.rotation_figure` draws the same picture.

* :func:`rotation_state`: the numbers (``z``, ``e^{i theta}``, their product, lengths, angles);
* :func:`draw_rotation`: the complex plane (for the static figure) with the unit circle,
  ``z``, ``e^{i theta}``, ``z e^{i theta}``, the angle between ``z`` and the product, the
  circle of radius ``|z|`` the tip stays on, and (in the static figure) a panel with the numbers;
* :func:`rotation_readout`: the same numbers as HTML (the page's readout is drawn by ``widget.js``);
* :func:`rotation_widget`: the widget (:class:`RotationWidget`), computed and drawn in the browser
  by ``widget.js``, with :func:`rotation_state` as its Python reference.
"""
from __future__ import annotations

import cmath
import math
from typing import Any, Mapping

import numpy as np
import traitlets

from .._validate import check_real
from ..common.figures import GREY, K_COLOR, Q_COLOR
from ..common.widgets import BrowserWidget

FIGSIZE = (10.5, 6.6)  # the widget's figure and the static one
LIMIT = 2.3            # half-width of the plotted plane; the widget's vector sliders stay within +-1.5
SLIDER_LIMIT = 1.5

__all__ = ["FIGSIZE", "SLIDER_LIMIT", "rotation_state", "draw_rotation", "rotation_readout",
           "rotation_widget", "RotationWidget"]


def rotation_state(theta_deg: float = 60.0, x: float = 1.0, y: float = 0.5) -> dict[str, Any]:
    """Numbers behind the rotation picture: ``z = x + iy`` rotated by ``theta_deg`` degrees.

    Returns a dict with ``theta_deg``, ``theta`` (radians), the complex numbers ``z``,
    ``unit = e^{i theta}`` and ``rotated = z * e^{i theta}``, the lengths ``norm_z`` and
    ``norm_rotated``, and the angles ``arg_z_deg`` and ``arg_rotated_deg`` of ``z`` and of
    the product (degrees in (-180, 180]; 0 for ``z = 0``).
    """
    theta_deg = check_real(theta_deg, "theta_deg")
    x = check_real(x, "x")
    y = check_real(y, "y")
    theta = math.radians(theta_deg)
    z = complex(x, y)
    unit = complex(math.cos(theta), math.sin(theta))  # Euler: e^{i theta} = cos + i sin
    rotated = z * unit
    return {
        "theta_deg": theta_deg,
        "theta": theta,
        "z": z,
        "unit": unit,
        "rotated": rotated,
        "norm_z": abs(z),
        "norm_rotated": abs(rotated),
        "arg_z_deg": math.degrees(cmath.phase(z)),
        "arg_rotated_deg": math.degrees(cmath.phase(rotated)),
    }


# ---------------------------------------------------------------------------
# geometry helpers (pure)
# ---------------------------------------------------------------------------

def _arc_radius(state: Mapping[str, Any]) -> float:
    return 0.38 * min(max(state["norm_z"], 0.8), 2.0)


def _arc(state: Mapping[str, Any], n: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """The arc from ``arg z`` to ``arg z + theta`` (the angle the vector turns through)."""
    start = cmath.phase(state["z"]) if state["z"] != 0 else 0.0
    t = np.linspace(start, start + state["theta"], n)
    r = _arc_radius(state)
    return r * np.cos(t), r * np.sin(t)


def _arc_label_pos(state: Mapping[str, Any]) -> tuple[float, float]:
    start = cmath.phase(state["z"]) if state["z"] != 0 else 0.0
    mid = start + state["theta"] / 2
    r = _arc_radius(state) + 0.22
    return r * math.cos(mid), r * math.sin(mid)


def _tip_label_pos(w: complex, pad: float = 0.2) -> tuple[float, float]:
    """A point just beyond the tip of the arrow to ``w`` (at the origin's right if ``w = 0``)."""
    r = abs(w)
    if r == 0:
        return pad, pad
    return (w.real * (r + pad) / r, w.imag * (r + pad) / r)


def _circle(r: float, n: int = 240) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 2 * np.pi, n)
    return r * np.cos(t), r * np.sin(t)


def _fmt_c(w: complex, aligned: bool = False) -> str:
    """``a + bi`` with 3 decimals (``aligned``: padded to a fixed width for the monospace panel)."""
    sign = "+" if w.imag >= 0 else "−"
    re = w.real if abs(w.real) >= 5e-4 else 0.0  # no "-0.000"
    if aligned:
        return f"{re:6.3f} {sign} {abs(w.imag):5.3f}i"
    return f"{re:.3f} {sign} {abs(w.imag):.3f}i"


_FORMULAS = "\n".join([
    r"$e^{i\theta} = \cos\theta + i\,\sin\theta$",
    r"$(x + iy)\,e^{i\theta}$",
    r"$\quad = (x\cos\theta - y\sin\theta)$",
    r"$\quad\ + \ i\,(x\sin\theta + y\cos\theta)$",
    r"$|z\,e^{i\theta}| = |z|\cdot|e^{i\theta}| = |z|$",
    r"$\arg(z\,e^{i\theta}) = \arg z + \theta$",
])


def _panel_text(state: Mapping[str, Any]) -> str:
    return "\n".join([
        f"θ = {state['theta_deg']:.0f}° = {state['theta']:.3f} rad",
        "",
        f"z          = {_fmt_c(state['z'], aligned=True)}",
        f"e^(iθ)     = {_fmt_c(state['unit'], aligned=True)}",
        f"z·e^(iθ)   = {_fmt_c(state['rotated'], aligned=True)}",
        "",
        f"|z|        = {state['norm_z']:6.3f}",
        f"|z·e^(iθ)| = {state['norm_rotated']:6.3f}",
        "",
        f"arg z         = {state['arg_z_deg']:6.1f}°",
        f"arg z·e^(iθ)  = {state['arg_rotated_deg']:6.1f}°",
    ])


# ---------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------

def draw_rotation(fig, state: Mapping[str, Any], panel: bool = True) -> dict[str, Any]:
    """Draw the complex plane with ``z``, ``e^{i theta}`` and ``z e^{i theta}``; return the moving artists.

    The returned dict maps names to artists: ``z``, ``rot`` (annotations
    whose ``xy`` is the arrow tip), ``unit`` (the dot at ``e^{i theta}``), ``arc``,
    ``path`` (circle of radius ``|z|``), the labels ``z_label``, ``rot_label``,
    ``unit_label``, ``theta_label`` and (with ``panel=True``) the number panel ``panel``;
    ``ax`` is the axes. The widget leaves the panel out: its HTML readout shows the same
    numbers, and not drawing ~200 glyphs per frame keeps a slider move fast.
    """
    ax = fig.add_axes((0.07, 0.1, 0.55, 0.8))
    ax.set_xlim(-LIMIT, LIMIT)
    ax.set_ylim(-LIMIT, LIMIT)
    ax.set_aspect("equal")
    ax.set_xticks(range(-2, 3))
    ax.set_yticks(range(-2, 3))
    ax.set_xlabel("real part")
    ax.set_ylabel("imaginary part")
    ax.axhline(0, color=GREY, lw=1)
    ax.axvline(0, color=GREY, lw=1)
    ax.plot(*_circle(1.0), color="black", lw=1.2, ls="--", alpha=0.55,
            label=r"unit circle $|w| = 1$: where $e^{i\theta}$ lives")
    ax.set_title(r"Multiplying by $e^{i\theta}$ turns $z$ by $\theta$; the length stays",
                 fontsize=17, pad=12)

    z, rot, u = state["z"], state["rotated"], state["unit"]
    arrow = dict(arrowstyle="-|>", lw=3.5, mutation_scale=26, shrinkA=0, shrinkB=0)
    h: dict[str, Any] = {"ax": ax}
    (h["path"],) = ax.plot(*_circle(state["norm_z"]), color=K_COLOR, lw=1.5, ls=":",
                           label=r"circle of radius $|z|$: the tip stays on it")
    (h["unit"],) = ax.plot([u.real], [u.imag], "o", color="black", ms=9,
                           label=r"$e^{i\theta} = \cos\theta + i\sin\theta$")
    h["z"] = ax.annotate("", xy=(z.real, z.imag), xytext=(0, 0), arrowprops=dict(arrow, color=Q_COLOR))
    h["rot"] = ax.annotate("", xy=(rot.real, rot.imag), xytext=(0, 0), arrowprops=dict(arrow, color=K_COLOR))
    (h["arc"],) = ax.plot(*_arc(state), color="black", lw=2)
    label = dict(fontsize=18, ha="center", va="center", fontweight="bold")
    h["theta_label"] = ax.text(*_arc_label_pos(state), r"$\theta$", fontsize=20, ha="center", va="center")
    h["z_label"] = ax.text(*_tip_label_pos(z), r"$z$", color=Q_COLOR, **label)
    h["rot_label"] = ax.text(*_tip_label_pos(rot, 0.35), r"$z\,e^{i\theta}$", color=K_COLOR, **label)
    h["unit_label"] = ax.text(*_tip_label_pos(u, 0.3), r"$e^{i\theta}$", color="black", fontsize=16,
                              ha="center", va="center")
    # proxy artists so the arrows appear in the legend
    ax.plot([], [], color=Q_COLOR, lw=3.5, label=r"$z = x + iy$ (original)")
    ax.plot([], [], color=K_COLOR, lw=3.5, label=r"$z\,e^{i\theta}$ (rotated)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.04, 1.0), frameon=False, borderaxespad=0, fontsize=13)
    if not panel:  # static: drawn once into the cached background, costs nothing per frame
        fig.text(0.655, 0.1, _FORMULAS, fontsize=15, va="bottom", ha="left", linespacing=1.9,
                 bbox=dict(boxstyle="round,pad=0.6", fc="#f4f4f4", ec=GREY))
    else:
        h["panel"] = fig.text(0.655, 0.08, _panel_text(state), family="monospace", fontsize=14,
                              va="bottom", ha="left", linespacing=1.35,
                              bbox=dict(boxstyle="round,pad=0.5", fc="#f4f4f4", ec=GREY))
    return h


def rotation_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: the three complex numbers, both lengths and the same product as a matrix."""
    z, u, r = state["z"], state["unit"], state["rotated"]
    return (
        "<div style='font-size:1.3em; font-family:monospace; line-height:1.55'>"
        f"θ = {state['theta_deg']:.1f}° = {state['theta']:.4f} rad<br>"
        f"z = {_fmt_c(z)} &nbsp; |z| = {state['norm_z']:.4f}<br>"
        f"e<sup>iθ</sup> = cos θ + i sin θ = {_fmt_c(u)}<br>"
        f"z·e<sup>iθ</sup> = {_fmt_c(r)} &nbsp; |z·e<sup>iθ</sup>| = {state['norm_rotated']:.4f}<br>"
        f"as a matrix: [[{u.real:.3f}, {-u.imag:.3f}], [{u.imag:.3f}, {u.real:.3f}]] · "
        f"({z.real:.3f}, {z.imag:.3f}) = ({r.real:.3f}, {r.imag:.3f})"
        "</div>"
    )


# ---------------------------------------------------------------------------
# the widget
# ---------------------------------------------------------------------------

class RotationWidget(BrowserWidget):
    """Sliders for the angle theta (degrees) and ``z = x + iy``; the page draws and computes
    (``widget.js``), Python checks: ``state`` is :func:`rotation_state`, ``numbers()`` the readout."""

    _package = __package__
    _widget_name = "rotation_widget"
    _controls = ("theta_deg", "x", "y")

    theta_deg = traitlets.Float(60.0).tag(sync=True)
    x = traitlets.Float(1.0).tag(sync=True)
    y = traitlets.Float(0.5).tag(sync=True)

    def compute(self, theta_deg: float, x: float, y: float) -> dict[str, Any]:
        state = rotation_state(theta_deg, x, y)  # validates the arguments
        for name, v in (("x", state["z"].real), ("y", state["z"].imag)):
            if abs(v) > SLIDER_LIMIT:
                raise ValueError(f"{name} must lie in [-{SLIDER_LIMIT}, {SLIDER_LIMIT}] (the slider range); got {v}")
        if abs(state["theta_deg"]) > 360:
            raise ValueError(f"theta_deg must lie in [-360, 360] (the slider range); got {state['theta_deg']}")
        return state

    @traitlets.validate("theta_deg", "x", "y")
    def _valid(self, proposal):
        self._refuse(proposal["trait"].name, proposal["value"])
        return float(proposal["value"])

    def numbers(self, values: Mapping[str, Any] | None = None) -> dict[str, float]:
        s = self._state_for(values)
        z, u, r = s["z"], s["unit"], s["rotated"]
        return {"theta_deg": s["theta_deg"], "theta": s["theta"], "z_re": z.real, "z_im": z.imag,
                "norm_z": s["norm_z"], "unit_re": u.real, "unit_im": u.imag, "rotated_re": r.real,
                "rotated_im": r.imag, "norm_rotated": s["norm_rotated"], "arg_z_deg": s["arg_z_deg"],
                "arg_rotated_deg": s["arg_rotated_deg"]}


def rotation_widget(theta_deg: float = 60.0, x: float = 1.0, y: float = 0.5) -> RotationWidget:
    """Sliders for the angle theta (degrees) and the vector ``z = x + iy``.

    The figure shows ``z``, ``e^{i theta}`` on the unit circle and the rotated
    ``z * e^{i theta}``; the readout prints the complex numbers, both lengths and the
    same product written with the rotation matrix. ``x`` and ``y`` must lie in
    [-1.5, 1.5] (the slider range, which keeps every arrow inside the plot). Everything is
    computed and drawn in the browser; ``widget.theta_deg = 90`` moves it from Python.
    """
    RotationWidget.compute(None, theta_deg, x, y)  # validates the arguments before any widget exists
    return RotationWidget(theta_deg=float(theta_deg), x=float(x), y=float(y))
