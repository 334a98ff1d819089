"""The two-token RoPE widget: move the positions m and n and watch the score follow only m - n.

One widget, one file: the pure model (:func:`rope2d_state`, numbers only), the matplotlib
drawing of the static figure (:func:`draw_rope2d`,
:func:`ropelab.lesson04_rope_2d.figures.rope2d_figure`), the HTML readout
(:func:`rope2d_readout`) and the widget itself (:func:`rope2d_widget`,
:class:`Rope2DWidget`), computed and drawn in the browser by ``widget.js`` with
:func:`rope2d_state` as its Python reference.
"""
from __future__ import annotations

import cmath
import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import traitlets

from .._validate import check_int, check_real
from ..common.figures import GREY, K_COLOR, PALETTE, Q_COLOR
from ..common.widgets import BrowserWidget
from ..rope import rope_from_angles
from .scores import relative_score, rope_score

__all__ = [
    "rope2d_widget",
    "Rope2DWidget",
    "rope2d_state",
    "draw_rope2d",
    "rope2d_readout",
    "FIGSIZE_2D",
    "DEFAULT_Q",
    "DEFAULT_K",
]

# ---------------------------------------------------------------------------
# the pure model and its drawing
# ---------------------------------------------------------------------------

FIGSIZE_2D = (12.0, 5.8)
DEFAULT_Q = (1.0, 0.35)
DEFAULT_K = (0.45, 0.95)
R_MAX = 20          # the relative-position axis runs over [-R_MAX, R_MAX]
SHIFTS = (1, 5, 50)  # extra shifts of both positions shown in the readout
LABEL_ROOM = 0.2    # half the space (data units) the angle label needs clear of the arrows


def _pair(v, name: str) -> tuple[float, float]:
    if isinstance(v, torch.Tensor):
        if v.numel() != 2:
            raise ValueError(f"{name} must be a 2-D vector (2 numbers); got a tensor of shape {tuple(v.shape)}")
        v = v.reshape(-1).tolist()
    try:
        a, b = v
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a 2-D vector (x, y); got {v!r}") from None
    return check_real(a, f"{name}[0]"), check_real(b, f"{name}[1]")


def _rotate(v: tuple[float, float], angle: float) -> complex:
    """Rotate a 2-D vector with ropelab's RoPE (one token, one pair, angle given)."""
    x = torch.tensor([v], dtype=torch.float64)              # (seq=1, dim=2)
    out = rope_from_angles(x, torch.tensor([[angle]], dtype=torch.float64))[0]
    return complex(float(out[0]), float(out[1]))


def rope2d_state(m: int = 3, n: int = 1, theta_deg: float = 30.0,
                 q: Sequence[float] = DEFAULT_Q, k: Sequence[float] = DEFAULT_K) -> dict[str, Any]:
    """Numbers behind the 2-D picture: ``q`` at position ``m`` and ``k`` at ``n``, one frequency theta.

    ``f(q, m) = R(m theta) q`` and ``f(k, n) = R(n theta) k``. Returns a dict with the
    positions, ``theta`` (radians), the original and rotated vectors as complex numbers,
    ``score = <f(q, m), f(k, n)>``, ``distance = m - n``, ``g`` (the relative form
    ``Re[q conj(k) e^{i (m-n) theta}]``, computed without rotating), ``shifted``
    (score of the same pair at ``(m + s, n + s)`` for a few shifts ``s``),
    ``max_shift_diff`` and the curve ``g(r)`` for ``r`` in ``[-R_MAX, R_MAX]``.
    """
    m = check_int(m, "m")
    n = check_int(n, "n")
    theta_deg = check_real(theta_deg, "theta_deg")
    qv, kv = _pair(q, "q"), _pair(k, "k")
    theta = math.radians(theta_deg)
    freqs = torch.tensor([theta], dtype=torch.float64)
    qt = torch.tensor(qv, dtype=torch.float64)
    kt = torch.tensor(kv, dtype=torch.float64)
    q_rot, k_rot = _rotate(qv, m * theta), _rotate(kv, n * theta)
    score = q_rot.real * k_rot.real + q_rot.imag * k_rot.imag
    shifted = {s: float(rope_score(qt, kt, m + s, n + s, freqs=freqs)) for s in SHIFTS}
    r_grid = np.linspace(-R_MAX, R_MAX, 401)
    curve = relative_score(qt, kt, torch.from_numpy(r_grid), freqs=freqs).numpy()
    between = math.degrees(cmath.phase(q_rot / k_rot)) if q_rot and k_rot else 0.0
    return {
        "m": m, "n": n, "distance": m - n,
        "theta_deg": theta_deg, "theta": theta,
        "q": complex(*qv), "k": complex(*kv),
        "q_rot": q_rot, "k_rot": k_rot,
        "score": score,
        "g": float(relative_score(qt, kt, m - n, freqs=freqs)),
        "shifted": shifted,
        "max_shift_diff": max(abs(v - score) for v in shifted.values()),
        "angle_between_deg": between,
        "norm_q": abs(complex(*qv)), "norm_k": abs(complex(*kv)),
        "r_grid": r_grid, "curve": curve,
    }


def _arc(a: complex, b: complex, radius: float, n: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Points of the arc from direction ``a`` to direction ``b`` (the short way)."""
    start = cmath.phase(a) if a else 0.0
    delta = cmath.phase(b / a) if a and b else 0.0
    t = np.linspace(start, start + delta, n)
    return radius * np.cos(t), radius * np.sin(t)


def _arc_label(a: complex, b: complex, radius: float) -> tuple[float, float]:
    """Where the angle label goes: on the bisector of the two arrows ``a`` and ``b``, where the wedge
    between them is wide enough for the text; beyond the arrow tips when it never is (a narrow angle)."""
    start = cmath.phase(a) if a else 0.0
    delta = cmath.phase(b / a) if a and b else 0.0
    mid = start + delta / 2
    r = radius + 0.2
    shorter, longer = sorted((abs(a), abs(b)))
    room = LABEL_ROOM / max(math.sin(abs(delta) / 2), 1e-9)   # distance at which the wedge fits the text
    if room > r:
        r = room if room < shorter - LABEL_ROOM else longer + 0.28
    return r * math.cos(mid), r * math.sin(mid)


def _titles(state: Mapping[str, Any]) -> tuple[str, str]:
    left = f"m = {state['m']}, n = {state['n']}:  score = {state['score']:.3f}"
    right = f"m − n = {state['distance']}: the score depends only on m − n".replace("= -", "= −")
    return left, right


def draw_rope2d(fig, state: Mapping[str, Any]) -> dict[str, Any]:
    """Left: q rotated to position m and k rotated to n. Right: the score against ``m - n``."""
    ax = fig.add_axes((0.06, 0.25, 0.36, 0.67))
    lim = 1.45 * max(state["norm_q"], state["norm_k"], 0.5)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("coordinate 1")
    ax.set_ylabel("coordinate 2")
    ax.axhline(0, color=GREY, lw=0.8)
    ax.axvline(0, color=GREY, lw=0.8)
    t = np.linspace(0, 2 * np.pi, 200)
    for r in (state["norm_q"], state["norm_k"]):
        ax.plot(r * np.cos(t), r * np.sin(t), color=GREY, lw=0.8, ls=":")
    arrow = dict(arrowstyle="-|>", mutation_scale=20, shrinkA=0, shrinkB=0)
    q, k = state["q"], state["k"]
    # the vectors before rotation (position 0), faint
    ax.annotate("", xy=(q.real, q.imag), xytext=(0, 0), arrowprops=dict(arrow, color=Q_COLOR, lw=1.5, alpha=0.35))
    ax.annotate("", xy=(k.real, k.imag), xytext=(0, 0), arrowprops=dict(arrow, color=K_COLOR, lw=1.5, alpha=0.35))
    h: dict[str, Any] = {"ax": ax}
    qr, kr = state["q_rot"], state["k_rot"]
    h["q_rot"] = ax.annotate("", xy=(qr.real, qr.imag), xytext=(0, 0), arrowprops=dict(arrow, color=Q_COLOR, lw=3.5))
    h["k_rot"] = ax.annotate("", xy=(kr.real, kr.imag), xytext=(0, 0), arrowprops=dict(arrow, color=K_COLOR, lw=3.5))
    radius = 0.3 * min(state["norm_q"], state["norm_k"], 1.5) + 0.05
    (h["arc"],) = ax.plot(*_arc(kr, qr, radius), color="black", lw=1.5)
    h["arc_label"] = ax.text(*_arc_label(kr, qr, radius), f"{state['angle_between_deg']:.0f}°",
                             fontsize=13, ha="center", va="center", zorder=5,
                             bbox=dict(fc="white", ec="none", alpha=0.8, pad=1.0))
    ax.plot([], [], color=Q_COLOR, lw=3.5, label=r"$f(q, m) = R(m\theta)\,q$")
    ax.plot([], [], color=K_COLOR, lw=3.5, label=r"$f(k, n) = R(n\theta)\,k$")
    ax.plot([], [], color=Q_COLOR, lw=1.5, alpha=0.35, label="q before rotation")
    ax.plot([], [], color=K_COLOR, lw=1.5, alpha=0.35, label="k before rotation")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=11, frameon=False)
    h["title"] = ax.set_title(_titles(state)[0], fontsize=15)

    ax2 = fig.add_axes((0.53, 0.25, 0.44, 0.67))
    h["ax2"] = ax2
    bound = 1.15 * state["norm_q"] * state["norm_k"]
    ax2.set_xlim(-R_MAX, R_MAX)
    ax2.set_ylim(-bound, bound)
    ax2.set_xlabel("relative position m − n")
    ax2.set_ylabel(r"score $\langle f(q,m), f(k,n)\rangle$")
    ax2.axhline(0, color=GREY, lw=0.8)
    (h["curve"],) = ax2.plot(state["r_grid"], state["curve"], color=PALETTE["green"], lw=2.5,
                             label=r"$g(q, k, m-n) = \mathrm{Re}[q\,\bar{k}\,e^{i(m-n)\theta}]$")
    (h["vline"],) = ax2.plot([state["distance"]] * 2, [-bound, bound], color=GREY, lw=1, ls="--")
    (h["dot"],) = ax2.plot([state["distance"]], [state["score"]], "o", color="black", ms=11,
                           label="score at the current (m, n)")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, fontsize=11, frameon=False)
    h["title2"] = ax2.set_title(_titles(state)[1], fontsize=15)
    return h


def rope2d_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: the score two ways, the angle between the rotated vectors, and the same pair
    shifted to other absolute positions (the page's readout, ``widget.js``, shows the same numbers)."""
    shifted = " &nbsp; ".join(
        f"({state['m'] + s}, {state['n'] + s}): {v:.4f}" for s, v in state["shifted"].items())
    same = state["max_shift_diff"] < 1e-9
    badge = ("<span style='color:#009E73; font-weight:bold'>unchanged ✓</span>" if same
             else "<span style='color:#D55E00; font-weight:bold'>changed</span>")
    return (
        "<div style='font-size:1.25em; font-family:monospace; line-height:1.55'>"
        f"θ = {state['theta_deg']:.1f}° &nbsp; m = {state['m']} &nbsp; n = {state['n']} &nbsp; "
        f"m − n = {state['distance']}<br>"
        f"score ⟨R(mθ)q, R(nθ)k⟩ = <b>{state['score']:.4f}</b> &nbsp; "
        f"g(q, k, m−n) = {state['g']:.4f}<br>"
        f"angle from f(k, n) to f(q, m) = {state['angle_between_deg']:.1f}°<br>"
        f"same pair moved together, (m+s, n+s): {shifted} &nbsp; {badge}"
        "</div>"
    )


# ---------------------------------------------------------------------------
# the widget
# ---------------------------------------------------------------------------


MAX_POSITION = 20
THETA_RANGE = (0.0, 180.0)  # degrees


def _compute(m: int, n: int, theta_deg: float, together: bool = False,
             q: Sequence[float] = DEFAULT_Q, k: Sequence[float] = DEFAULT_K) -> dict[str, Any]:
    """:func:`rope2d_state` within the slider ranges (a value outside them is refused, not clamped)."""
    state = rope2d_state(m, n, theta_deg, q, k)  # validates the arguments
    if not (0 <= state["m"] <= MAX_POSITION and 0 <= state["n"] <= MAX_POSITION):
        raise ValueError(f"m and n must be in [0, {MAX_POSITION}] for the sliders; got m = {m}, n = {n}")
    if not THETA_RANGE[0] <= state["theta_deg"] <= THETA_RANGE[1]:
        raise ValueError(f"theta_deg must be in [{THETA_RANGE[0]:g}, {THETA_RANGE[1]:g}] for the slider; "
                         f"got {theta_deg}")
    state["together"] = bool(together)
    return state


class _Position(traitlets.Int):
    """An integer trait whose check is the model's (:func:`ropelab._validate.check_int`), so that
    ``w.m = 1.5`` gets the same message as ``rope2d_widget(m=1.5)``."""

    def validate(self, obj, value):
        return value


class Rope2DWidget(BrowserWidget):
    """Sliders for the positions ``m``, ``n`` and the frequency ``theta_deg``, and a "move m and n
    together" switch; the page draws and computes (``widget.js``), Python checks: ``state`` is
    :func:`rope2d_state`, ``numbers()`` the readout. ``q`` and ``k`` (no control) are in ``fixed``.

    With ``together`` on, moving one position moves the other by the same amount, so ``m - n``
    and the score stay; near the end of a range both stop together, so ``m - n`` is always kept.
    The page does this for its sliders, Python for ``w.m = ...`` and ``w.n = ...``.
    """

    _package = __package__
    _widget_name = "rope2d_widget"
    _controls = ("m", "n", "theta_deg", "together")

    m = _Position(3).tag(sync=True)
    n = _Position(1).tag(sync=True)
    theta_deg = traitlets.Float(30.0).tag(sync=True)
    together = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs):
        together = kwargs.pop("together", False)
        self._coupling = False
        super().__init__(**kwargs)
        self.together = together  # after the positions: setting them is not a move

    def compute(self, m: int, n: int, theta_deg: float, together: bool = False) -> dict[str, Any]:
        return _compute(m, n, theta_deg, together, self.fixed["q"], self.fixed["k"])

    @traitlets.validate("theta_deg")
    def _valid_theta(self, proposal):
        self._refuse("theta_deg", proposal["value"])
        return float(proposal["value"])

    @traitlets.validate("m", "n")
    def _valid_position(self, proposal):
        name = proposal["trait"].name
        self._refuse(name, proposal["value"])
        value = int(proposal["value"])
        if self.together and not self._coupling:
            # the other position moves by the same amount, as far as its range allows
            other = "n" if name == "m" else "m"
            old, partner = getattr(self, name), getattr(self, other)
            delta = min(max(value - old, -partner), MAX_POSITION - partner)
            self._coupling = True
            try:
                setattr(self, other, partner + delta)
            finally:
                self._coupling = False
            value = old + delta
        return value

    def numbers(self, values: Mapping[str, Any] | None = None) -> dict[str, float]:
        s = self._state_for(values)
        out = {key: float(s[key]) for key in ("theta_deg", "m", "n", "distance", "score", "g",
                                              "angle_between_deg", "max_shift_diff")}
        for shift, v in s["shifted"].items():
            out[f"shifted_{shift}_m"] = float(s["m"] + shift)
            out[f"shifted_{shift}_n"] = float(s["n"] + shift)
            out[f"shifted_{shift}"] = float(v)
        return out


def rope2d_widget(m: int = 3, n: int = 1, theta_deg: float = 30.0,
                  q: Sequence[float] = DEFAULT_Q, k: Sequence[float] = DEFAULT_K) -> Rope2DWidget:
    """Sliders for the query position ``m``, the key position ``n`` and the frequency theta (degrees).

    The figure shows ``R(m theta) q`` and ``R(n theta) k`` (left) and the score against
    ``m - n`` (right); the readout prints the score, the relative form ``g(q, k, m - n)``
    and the score of the same pair moved to ``(m + s, n + s)``, marked "unchanged ✓".
    Tick "move m and n together" to drag both positions at once. ``m`` and ``n`` must lie in
    [0, 20] and ``theta_deg`` in [0, 180] (the slider ranges). Everything is computed and drawn
    in the browser; ``widget.m = 5`` moves it from Python.
    """
    state = _compute(m, n, theta_deg, False, q, k)  # validates the arguments before any widget exists
    fixed = {"q": [state["q"].real, state["q"].imag], "k": [state["k"].real, state["k"].imag]}
    return Rope2DWidget(m=state["m"], n=state["n"], theta_deg=state["theta_deg"], fixed=fixed)
