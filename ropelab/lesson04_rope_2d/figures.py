"""RoPE in two dimensions as pictures: two rotated vectors and a score that only sees ``m - n``.

The state is computed by :func:`rope2d_state` (pure numbers); :func:`draw_rope2d` and
:func:`update_rope2d` turn it into a figure, which the widget
:func:`ropelab.widgets.rope2d_widget` redraws on every slider move.
"""
from __future__ import annotations

import cmath
import math
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator
import torch

from .._validate import check_int, check_real
from ..decay import relative_score, rope_score
from ..rope import rope_from_angles
from ._style import GREY, K_COLOR, PALETTE, Q_COLOR, new_figure, style

__all__ = [
    "FIGSIZE_2D",
    "rope2d_state",
    "draw_rope2d",
    "update_rope2d",
    "rope2d_readout",
    "rope2d_figure",
    "additive_vs_rotary_figure",
    "score_tables_figure",
]

FIGSIZE_2D = (12.0, 5.8)
DEFAULT_Q = (1.0, 0.35)
DEFAULT_K = (0.45, 0.95)
R_MAX = 20          # the relative-position axis runs over [-R_MAX, R_MAX]
SHIFTS = (1, 5, 50)  # extra shifts of both positions shown in the readout


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
    start = cmath.phase(a) if a else 0.0
    delta = cmath.phase(b / a) if a and b else 0.0
    mid = start + delta / 2
    return (radius + 0.2) * math.cos(mid), (radius + 0.2) * math.sin(mid)


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
                             fontsize=13, ha="center", va="center")
    ax.plot([], [], color=Q_COLOR, lw=3.5, label=r"$f(q, m) = R(m\theta)\,q$")
    ax.plot([], [], color=K_COLOR, lw=3.5, label=r"$f(k, n) = R(n\theta)\,k$")
    ax.plot([], [], color=GREY, lw=1.5, label="q, k before rotation")
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


def update_rope2d(h: Mapping[str, Any], state: Mapping[str, Any]) -> None:
    """Move the artists of :func:`draw_rope2d` to a new state (axis limits never change)."""
    qr, kr = state["q_rot"], state["k_rot"]
    h["q_rot"].xy = (qr.real, qr.imag)
    h["k_rot"].xy = (kr.real, kr.imag)
    radius = 0.3 * min(state["norm_q"], state["norm_k"], 1.5) + 0.05
    h["arc"].set_data(*_arc(kr, qr, radius))
    h["arc_label"].set_position(_arc_label(kr, qr, radius))
    h["arc_label"].set_text(f"{state['angle_between_deg']:.0f}°")
    h["curve"].set_ydata(state["curve"])
    bound = h["vline"].get_ydata()
    h["vline"].set_data([state["distance"]] * 2, bound)
    h["dot"].set_data([state["distance"]], [state["score"]])
    left, right = _titles(state)
    h["title"].set_text(left)
    h["title2"].set_text(right)


def rope2d_readout(state: Mapping[str, Any]) -> str:
    """HTML readout: the score two ways, and the same pair shifted to other absolute positions."""
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
        f"same pair moved together, (m+s, n+s): {shifted} &nbsp; {badge}"
        "</div>"
    )


def rope2d_figure(m: int = 3, n: int = 1, theta_deg: float = 30.0,
                  q: Sequence[float] = DEFAULT_Q, k: Sequence[float] = DEFAULT_K):
    """The two-token picture as a plain figure (what :func:`rope2d_widget` shows at these values)."""
    state = rope2d_state(m, n, theta_deg, q, k)
    fig = new_figure(*FIGSIZE_2D)
    with style():
        draw_rope2d(fig, state)
    return fig


def additive_vs_rotary_figure(scores: Mapping[str, Any]):
    """Score of one token pair as both positions move together: additive PE wanders, RoPE stays flat.

    ``scores`` is what :func:`ropelab.decay.additive_vs_rotary` returns.
    """
    shifts = np.asarray(scores["shifts"])
    fig = new_figure(10, 4.8)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(shifts, scores["additive"].numpy(), "o-", color=PALETTE["orange"], lw=2, ms=5,
                label="sinusoidal PE added to x, then projected")
        ax.plot(shifts, scores["rotary"].numpy(), "s-", color=PALETTE["green"], lw=2, ms=5,
                label="RoPE: project, then rotate q and k")
        ax.set_xlabel(f"shift s: positions (m + s, n + s), m − n = {scores['m'] - scores['n']} fixed")
        ax.set_ylabel("attention score q·k")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Adding positions: the score depends on where the pair is. Rotating: it does not")
        ax.legend(loc="best", frameon=True, framealpha=0.9)
        fig.tight_layout()
    return fig


def score_tables_figure(tables: Mapping[str, Any]):
    """Heatmaps of the score of one token pair at every (m, n): additive PE vs RoPE.

    ``tables`` is what :func:`ropelab.decay.score_tables` returns. In the RoPE panel each
    diagonal ``m - n = const`` has a single colour.
    """
    fig = new_figure(12, 5.6)
    with style():
        panels = (("additive", "sinusoidal PE added: diagonals vary"),
                  ("rotary", "RoPE: each diagonal m − n has one colour"))
        for j, (key, title) in enumerate(panels):
            ax = fig.add_subplot(1, 2, j + 1)
            t = tables[key].detach().double().numpy()
            lim = float(np.abs(t).max()) or 1.0
            im = ax.imshow(t, cmap="PuOr_r", vmin=-lim, vmax=lim, origin="upper", interpolation="nearest")
            ax.set_xlabel("key position n")
            ax.set_ylabel("query position m")
            ax.set_title(title, fontsize=14)
            ax.grid(False)
            fig.colorbar(im, ax=ax, shrink=0.82, label="score q·k")
        fig.tight_layout()
    return fig
