"""The two-token RoPE widget: move the positions m and n and watch the score follow only m - n."""
from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets

from ..plots.rope2d import (
    DEFAULT_K,
    DEFAULT_Q,
    FIGSIZE_2D,
    draw_rope2d,
    rope2d_readout,
    rope2d_state,
    update_rope2d,
)
from ._core import InteractiveFigure

__all__ = ["rope2d_widget", "Rope2DWidget"]

_SLIDER = dict(continuous_update=True, layout=widgets.Layout(width="520px"),
               style={"description_width": "150px"})
MAX_POSITION = 20
THETA_RANGE = (0.0, 180.0)  # degrees


class Rope2DWidget(InteractiveFigure):
    """:class:`InteractiveFigure` with a "move m and n together" switch.

    With ``controls["together"]`` on, moving one position slider moves the other by
    the same amount (one redraw per move), so ``m - n`` and the score stay fixed.
    Near the end of a range both stop together, so ``m - n`` is always kept.
    """

    _syncing = False

    def on_control_change(self, change=None) -> None:
        if self._syncing:
            return
        owner = change["owner"] if change else None
        together = self.controls["together"]
        m, n = self.controls["m"], self.controls["n"]
        if together.value and owner in (m, n):
            other = n if owner is m else m
            # move the other slider by the same amount, as far as its range allows
            delta = change["new"] - change["old"]
            delta = min(max(delta, other.min - other.value), other.max - other.value)
            self._syncing = True
            try:
                other.value = other.value + delta
                owner.value = change["old"] + delta
            finally:
                self._syncing = False
        self.refresh()


def _compute(m: int, n: int, theta_deg: float, together: bool = False,
             q: Sequence[float] = DEFAULT_Q, k: Sequence[float] = DEFAULT_K):
    state = rope2d_state(m, n, theta_deg, q, k)
    state["together"] = bool(together)
    return state


def rope2d_widget(m: int = 3, n: int = 1, theta_deg: float = 30.0,
                  q: Sequence[float] = DEFAULT_Q, k: Sequence[float] = DEFAULT_K) -> Rope2DWidget:
    """Sliders for the query position ``m``, the key position ``n`` and the frequency theta (degrees).

    The figure shows ``R(m theta) q`` and ``R(n theta) k`` (left) and the score against
    ``m - n`` (right); the readout prints the score, the relative form ``g(q, k, m - n)``
    and the score of the same pair moved to ``(m + s, n + s)``, marked "unchanged ✓".
    Tick "move m and n together" to drag both positions at once. ``m`` and ``n`` must lie in
    [0, 20] and ``theta_deg`` in [0, 180] (the slider ranges).
    """
    state = rope2d_state(m, n, theta_deg, q, k)  # validates the arguments
    if not (0 <= m <= MAX_POSITION and 0 <= n <= MAX_POSITION):
        raise ValueError(f"m and n must be in [0, {MAX_POSITION}] for the sliders; got m = {m}, n = {n}")
    if not THETA_RANGE[0] <= state["theta_deg"] <= THETA_RANGE[1]:
        raise ValueError(f"theta_deg must be in [{THETA_RANGE[0]:g}, {THETA_RANGE[1]:g}] for the slider; "
                         f"got {theta_deg}")
    controls = {
        "m": widgets.IntSlider(value=state["m"], min=0, max=MAX_POSITION, description="query position m",
                               **_SLIDER),
        "n": widgets.IntSlider(value=state["n"], min=0, max=MAX_POSITION, description="key position n",
                               **_SLIDER),
        "theta_deg": widgets.FloatSlider(value=state["theta_deg"], min=THETA_RANGE[0], max=THETA_RANGE[1], step=1.0,
                                         description="θ (degrees)", readout_format=".0f", **_SLIDER),
        "together": widgets.Checkbox(value=False, description="move m and n together",
                                     indent=False, layout=widgets.Layout(width="520px")),
    }

    def compute(m, n, theta_deg, together):
        return _compute(m, n, theta_deg, together, q, k)

    return Rope2DWidget(controls, compute, draw_rope2d, update_rope2d, rope2d_readout,
                        figsize=FIGSIZE_2D, name="rope2d_widget")
