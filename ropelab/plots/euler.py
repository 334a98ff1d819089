"""Euler's formula (欧拉公式) as a picture: multiplying by e^{i theta} rotates a 2-D vector."""
from __future__ import annotations

import cmath
import math
from typing import Any, Mapping

import numpy as np

from .._validate import check_real
from ._style import GREY, K_COLOR, Q_COLOR, new_figure, style

FIGSIZE = (9.5, 6.5)

__all__ = ["FIGSIZE", "rotation_state", "draw_rotation", "update_rotation", "rotation_readout", "rotation_figure"]


def rotation_state(theta_deg: float = 60.0, x: float = 1.0, y: float = 0.5) -> dict[str, Any]:
    """Numbers behind the rotation picture: ``z = x + iy`` rotated by ``theta`` degrees.

    Returns a dict with ``theta`` (radians), ``z``, ``unit = e^{i theta}``,
    ``rotated = z * e^{i theta}`` (complex numbers) and their lengths.
    """
    theta_deg = check_real(theta_deg, "theta_deg")
    x = check_real(x, "x")
    y = check_real(y, "y")
    theta = math.radians(theta_deg)
    z = complex(x, y)
    unit = cmath.exp(1j * theta)
    rotated = z * unit
    return {
        "theta_deg": theta_deg,
        "theta": theta,
        "z": z,
        "unit": unit,
        "rotated": rotated,
        "norm_z": abs(z),
        "norm_rotated": abs(rotated),
    }


def _arc(state: Mapping[str, Any], n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    start = cmath.phase(state["z"]) if state["z"] != 0 else 0.0
    r = 0.35 * max(min(state["norm_z"], 2.0), 0.6)
    t = np.linspace(start, start + state["theta"], n)
    return r * np.cos(t), r * np.sin(t)


def _label_pos(state: Mapping[str, Any]) -> tuple[float, float]:
    start = cmath.phase(state["z"]) if state["z"] != 0 else 0.0
    mid = start + state["theta"] / 2
    r = 0.35 * max(min(state["norm_z"], 2.0), 0.6) + 0.22
    return r * math.cos(mid), r * math.sin(mid)


def draw_rotation(fig, state: Mapping[str, Any]) -> dict[str, Any]:
    """Draw the unit circle, ``z``, ``e^{i theta}`` and ``z e^{i theta}``; return artists to update."""
    ax = fig.add_axes((0.09, 0.1, 0.56, 0.8))
    lim = 2.2
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("real part")
    ax.set_ylabel("imaginary part")
    ax.axhline(0, color=GREY, lw=0.8)
    ax.axvline(0, color=GREY, lw=0.8)
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(t), np.sin(t), color=GREY, lw=1, ls="--", label="unit circle |z| = 1")
    arrow = dict(arrowstyle="-|>", lw=3, mutation_scale=22, shrinkA=0, shrinkB=0)
    z, rot = state["z"], state["rotated"]
    h: dict[str, Any] = {"ax": ax}
    h["z"] = ax.annotate("", xy=(z.real, z.imag), xytext=(0, 0), arrowprops=dict(arrow, color=Q_COLOR))
    h["rot"] = ax.annotate("", xy=(rot.real, rot.imag), xytext=(0, 0), arrowprops=dict(arrow, color=K_COLOR))
    u = state["unit"]
    (h["unit"],) = ax.plot([u.real], [u.imag], "o", color="black", ms=9, label=r"$e^{i\theta}$ on the unit circle")
    (h["arc"],) = ax.plot(*_arc(state), color="black", lw=1.5)
    h["theta_label"] = ax.text(*_label_pos(state), r"$\theta$", fontsize=16, ha="center", va="center")
    # proxy artists so the arrows appear in the legend
    ax.plot([], [], color=Q_COLOR, lw=3, label=r"$z$ (original)")
    ax.plot([], [], color=K_COLOR, lw=3, label=r"$z\,e^{i\theta}$ (rotated)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), frameon=False, borderaxespad=0)
    h["title"] = ax.set_title(_title(state))
    return h


def _title(state: Mapping[str, Any]) -> str:
    return f"θ = {state['theta_deg']:.0f}°: z turns by θ, |z| stays {state['norm_z']:.2f}"


def update_rotation(h: Mapping[str, Any], state: Mapping[str, Any]) -> None:
    """Move the artists made by :func:`draw_rotation` to a new state."""
    z, rot, u = state["z"], state["rotated"], state["unit"]
    h["z"].xy = (z.real, z.imag)
    h["rot"].xy = (rot.real, rot.imag)
    h["unit"].set_data([u.real], [u.imag])
    h["arc"].set_data(*_arc(state))
    h["theta_label"].set_position(_label_pos(state))
    h["title"].set_text(_title(state))


def _c(z: complex) -> str:
    sign = "+" if z.imag >= 0 else "−"
    return f"{z.real:.3f} {sign} {abs(z.imag):.3f}i"


def rotation_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: the three complex numbers and the two lengths."""
    return (
        "<div style='font-size:1.3em; font-family:monospace; line-height:1.5'>"
        f"θ = {state['theta_deg']:.1f}° = {state['theta']:.4f} rad<br>"
        f"z = {_c(state['z'])} &nbsp; |z| = {state['norm_z']:.4f}<br>"
        f"e<sup>iθ</sup> = cos θ + i sin θ = {_c(state['unit'])}<br>"
        f"z·e<sup>iθ</sup> = {_c(state['rotated'])} &nbsp; |z·e<sup>iθ</sup>| = {state['norm_rotated']:.4f}"
        "</div>"
    )


def rotation_figure(theta_deg: float = 60.0, x: float = 1.0, y: float = 0.5):
    """The rotation picture as a plain figure (what the widget shows at these values)."""
    state = rotation_state(theta_deg, x, y)
    fig = new_figure(*FIGSIZE)
    with style():
        draw_rotation(fig, state)
    return fig
