"""What a working widget does in a browser, checked the same way in JupyterLab and in Voila.

Each check moves controls the way a person does (a mouse drag, arrow keys, a click) and
asserts that the figure (the <img>'s src and its pixels) and the readout change, and
that the readout's numbers are right. The expected numbers are computed here, from
the values the sliders show, with plain ``cmath``; not by the ropelab code under test.
"""
from __future__ import annotations

import cmath
import math

from browser_helpers import (
    control,
    drag_slider,
    figure_widget_with,
    figure_widgets,
    numbers,
    press_slider,
    screenshot,
    slider_at_end,
    slider_value,
    snapshot,
    wait_for_redraw,
    wait_for_slider,
    watch_redraws,
)

# What the readouts print, as (regex capturing a number, label of the slider it must equal, tolerance):
# wait_for_redraw waits until the readout shows the values the sliders hold now.
_NUM = r"([-−]?\d+(?:\.\d+)?)"
ROTATION_THETA = (rf"θ = {_NUM}°", "θ (degrees)", 0.051)
ROTATION_Z = ((rf"(?:^|\s)z = {_NUM} [+−]", "Re z = x", 6e-4),                 # "z = 1.000 + 0.350i"
              (rf"(?:^|\s)z = [-−]?[\d.]+ [+−] {_NUM}i", "Im z = y", 6e-4))
ROPE2D_MN = ((rf"(?:^|\s)m = {_NUM}", "query position m", 0.5),                   # "m = 5   n = 3   m − n = 2"
             (rf"(?<!− )\bn = {_NUM}", "key position n", 0.5))

# The notebooks whose widgets are checked in JupyterLab (the rotation and 2-D RoPE widgets)...
TARGETS = ["00_start_here.ipynb", "03_euler_formula.ipynb", "04_rope_2d.ipynb"]


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def stored_widget_outputs(path) -> list[str]:
    """The text/plain fallback of every widget output stored in the notebook at ``path``
    (each one an ropelab figure widget, e.g. ``rotation_widget(theta_deg=60, x=1, y=0.5)``)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [out["data"].get("text/plain", "") for cell in nb.cells for out in cell.get("outputs", [])
            if WIDGET_VIEW in out.get("data", {})]


def widget_notebooks() -> list[str]:
    """... and every notebook with a stored widget output, checked in presentation mode."""
    from browser_helpers import NOTEBOOKS

    found = set(TARGETS)
    for path in NOTEBOOKS.glob("*.ipynb"):
        if stored_widget_outputs(path):
            found.add(path.name)
    return sorted(found)


def _has(nums: list[float], value: float, tol: float) -> bool:
    return any(abs(abs(v) - abs(value)) <= tol for v in nums)


def check_rotation(pg, tag: str) -> None:
    """rotation_widget: drag θ with the mouse, then move Im z with the keyboard."""
    box = figure_widget_with(pg, "Re z = x")
    assert box.count() == 1, f"{tag}: no rotation widget (a slider labelled 'Re z = x') on the page"
    theta, x, y = (control(box, s) for s in ("θ (degrees)", "Re z = x", "Im z = y"))
    screenshot(pg, f"{tag}-rotation-before", box)
    before = snapshot(box)
    t0 = slider_value(theta)
    watch_redraws(box)
    drag_slider(theta, 45)
    t1 = wait_for_slider(theta, differs_from=t0)
    assert t1 > t0, f"{tag}: dragging the θ handle to the right did not increase θ ({t0} -> {t1})"
    after = wait_for_redraw(box, shows=(ROTATION_THETA,))
    t1 = slider_value(theta)  # (only the mouse moves θ: the value the drag left)
    assert after.changed_from(before) == ["src", "png", "readout"], (
        f"{tag}: after dragging θ {t0} -> {t1} only {after.changed_from(before)} changed{after.note()}")
    z = complex(slider_value(x), slider_value(y))
    w = z * cmath.exp(1j * math.radians(t1))
    nums = numbers(after.readout)
    assert _has(nums, t1, 0.051), f"{tag}: readout does not show θ = {t1}{after.note()}: {after.readout!r}"
    assert _has(nums, w.real, 2e-3) and _has(nums, w.imag, 2e-3), (
        f"{tag}: readout does not show z·e^(iθ) = {w.real:.3f} + {w.imag:.3f}i for θ = {t1}: {after.readout!r}")
    assert _has(nums, abs(z), 2e-3), f"{tag}: readout does not show |z| = {abs(z):.4f}: {after.readout!r}"

    # the keyboard, on another slider: three steps of Im z to the left
    y0 = slider_value(y)
    before = after
    watch_redraws(box)
    press_slider(y, "ArrowLeft", 3)
    y1 = wait_for_slider(y, equals=y0 - 0.15)
    assert abs(y1 - (y0 - 0.15)) < 1e-6, f"{tag}: three ArrowLeft presses moved Im z {y0} -> {y1}, not by -0.15"
    after = wait_for_redraw(box, shows=ROTATION_Z)
    assert after.changed_from(before) == ["src", "png", "readout"], (
        f"{tag}: after moving Im z only {after.changed_from(before)} changed{after.note()}")
    z = complex(slider_value(x), y1)
    assert _has(numbers(after.readout), abs(z), 2e-3), (
        f"{tag}: readout does not show the new |z| = {abs(z):.4f}{after.note()}: {after.readout!r}")
    screenshot(pg, f"{tag}-rotation-after", box)


def _score(q: complex, k: complex, m: int, n: int, theta_deg: float) -> float:
    """<R(m θ) q, R(n θ) k> for 2-D vectors written as complex numbers."""
    th = math.radians(theta_deg)
    return ((q * cmath.exp(1j * m * th)) * (k * cmath.exp(1j * n * th)).conjugate()).real


def check_rope2d(pg, tag: str) -> None:
    """rope2d_widget: move m with the keyboard (the score changes), then tick "move m and n
    together" and drag m (n follows, the score stays, the picture still turns)."""
    from ropelab.lesson04_rope_2d.widget import DEFAULT_K, DEFAULT_Q  # the widget's inputs, not its outputs

    q, k = complex(*DEFAULT_Q), complex(*DEFAULT_K)
    box = figure_widget_with(pg, "query position m")
    assert box.count() == 1, f"{tag}: no 2-D RoPE widget (a slider labelled 'query position m') on the page"
    m, n, theta = (control(box, s) for s in ("query position m", "key position n", "θ (degrees)"))
    screenshot(pg, f"{tag}-rope2d-before", box)
    before = snapshot(box)
    m0, n0, th = slider_value(m), slider_value(n), slider_value(theta)
    step = 2 if m0 <= 18 else -2
    watch_redraws(box)
    press_slider(m, "ArrowRight" if step > 0 else "ArrowLeft", abs(step))
    m1 = wait_for_slider(m, equals=m0 + step)
    assert m1 == m0 + step, f"{tag}: two arrow presses moved m {m0} -> {m1}"
    after = wait_for_redraw(box, shows=ROPE2D_MN)
    assert after.changed_from(before) == ["src", "png", "readout"], (
        f"{tag}: after moving m only {after.changed_from(before)} changed{after.note()}")
    s1 = _score(q, k, int(m1), int(n0), th)
    assert any(abs(v - s1) < 1e-3 for v in numbers(after.readout)), (
        f"{tag}: readout does not show the score {s1:.4f} for m={m1}, n={n0}, θ={th}{after.note()}: "
        f"{after.readout!r}")
    assert abs(s1 - _score(q, k, int(m0), int(n0), th)) > 1e-3, "test set-up: the move should change the score"

    # "move m and n together": n follows m, m - n and the score stay, the vectors still turn
    together = box.locator(".widget-checkbox").filter(has_text="move m and n together").locator("input")
    assert together.count() == 1, f"{tag}: no 'move m and n together' checkbox"
    # (ticking it redraws nothing visible; the kernel reads it before the drag's values, which come after it)
    together.check()
    before = snapshot(box)
    m_before, n_before = m1, n0
    watch_redraws(box)
    drag_slider(m, 40 if max(m1, n0) <= 14 else -40)  # a few positions, both staying inside [0, 20]
    wait_for_slider(m, differs_from=m_before)
    wait_for_slider(n, differs_from=n_before)  # the kernel moves n: a round trip
    # settled: the readout shows the m and n the sliders hold now, and the figure came after it
    after = wait_for_redraw(box, shows=ROPE2D_MN)
    m2, n2 = slider_value(m), slider_value(n)
    assert m2 != m_before and n2 - n_before == m2 - m_before, (
        f"{tag}: with 'together' ticked, m moved {m_before} -> {m2} but n {n_before} -> {n2}{after.note()}")
    assert "src" in after.changed_from(before) and "png" in after.changed_from(before), (
        f"{tag}: the figure did not change when m and n moved together{after.note()}")
    assert any(abs(v - s1) < 1e-3 for v in numbers(after.readout)), (
        f"{tag}: moving m and n together changed the score (expected {s1:.4f}){after.note()}: {after.readout!r}")
    screenshot(pg, f"{tag}-rope2d-after", box)


CHECKS = {  # label of a control only that widget has -> check
    "Re z = x": check_rotation,
    "query position m": check_rope2d,
}


def check_all_widgets(pg, tag: str) -> list[str]:
    """Run the specific check of every known widget on the page; then move the first slider
    of every figure widget (known or not) and see its figure and readout change.
    Returns the names of the checks that ran."""
    ran = []
    for label, check in CHECKS.items():
        if figure_widget_with(pg, label).count():
            check(pg, tag)
            ran.append(check.__name__)
    boxes = figure_widgets(pg)
    count = boxes.count()
    assert count >= 1, f"{tag}: no figure widget on the page"
    for i in range(count):
        box = boxes.nth(i)
        slider = box.locator(".widget-slider").first
        before = snapshot(box)
        v0 = slider_value(slider)
        watch_redraws(box)
        press_slider(slider, "ArrowLeft" if slider_at_end(slider, "max") else "ArrowRight")
        v1 = wait_for_slider(slider, differs_from=v0)
        assert v1 != v0, f"{tag}: widget {i}: the arrow keys do not move its first slider"
        # one key press, one new value: the first redraw after it is the one for that value
        after = wait_for_redraw(box)
        assert after.changed_from(before) == ["src", "png", "readout"], (
            f"{tag}: widget {i}: after a key press only {after.changed_from(before)} changed{after.note()}")
    ran.append(f"every-slider({count})")
    return ran
