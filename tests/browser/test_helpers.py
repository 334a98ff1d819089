"""The waits of browser_helpers on a page that imitates a lagging kernel (no server needed).

The page holds one imitation ropelab widget (controls, <img class="widget-image">, HTML
readout). ``play(steps)`` applies updates one after another, each on its own task, the
way the kernel's messages arrive; the slider already shows its final value, as after a
drag. Whatever the machine's speed, a wait must return the state for the slider's
value, never an earlier one.
"""
from __future__ import annotations

import pytest
from browser_helpers import (
    figure_widgets,
    slider_at_end,
    slider_value,
    snapshot,
    wait_for_redraw,
    wait_for_slider,
    watch_redraws,
)
from widget_checks import ROTATION_THETA

pytestmark = pytest.mark.browser

# three 1x1 PNGs of different colours: the "figures"
PNG = {
    "a": ("data:image/png;base64,"
          "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"),
    "b": ("data:image/png;base64,"
          "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgaGAAAAEEAIFw9selAAAAAElFTkSuQmCC"),
    "c": ("data:image/png;base64,"
          "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC"),
}

PAGE = """
<div class="widget-vbox" id="box">
  <div class="widget-vbox">
    <div class="widget-inline-hbox">
      <label class="widget-label">θ (degrees)</label>
      <div class="widget-slider"><div class="noUi-handle" aria-valuemin="-360.0" aria-valuemax="360.0"
           aria-valuenow="168.0" tabindex="0"></div></div>
      <div class="widget-readout">168</div>
    </div>
  </div>
  <img class="widget-image" src="%(a)s" style="width: 40px; height: 40px">
  <div class="widget-html"><div class="widget-html-content">θ = 120.0° = 2.0944 rad</div></div>
</div>
<script>
  const box = document.getElementById('box');
  const img = box.querySelector('img');
  const readout = box.querySelector('.widget-html-content');
  // each step: ['readout', text] or ['figure', png] or ['slider', text], applied in order, one per task
  window.play = (steps, gap) => {
    let i = 0;
    const next = () => {
      if (i >= steps.length) return;
      const [what, value] = steps[i++];
      if (what === 'readout') readout.innerHTML = value;
      else if (what === 'figure') img.src = value;
      else box.querySelector('.widget-readout').textContent = value;
      setTimeout(next, gap);
    };
    setTimeout(next, gap);
  };
</script>
"""


@pytest.fixture
def fake(page):
    pg, watch = page
    pg.set_content(PAGE % PNG)
    return pg, figure_widgets(pg).first


@pytest.mark.parametrize("gap_ms", [0, 150])
def test_a_readout_still_showing_an_earlier_value_is_not_the_end(fake, gap_ms):
    """The issue's case: the drag left θ at 168; the kernel is still answering 158."""
    pg, box = fake
    watch_redraws(box)
    pg.evaluate("([s, gap]) => window.play(s, gap)", [[
        ["readout", "θ = 158.0° = 2.7576 rad"], ["figure", PNG["b"]],
        ["readout", "θ = 168.0° = 2.9322 rad"], ["figure", PNG["c"]],
    ], gap_ms])
    after = wait_for_redraw(box, shows=(ROTATION_THETA,))
    assert after.settled and after.readout.startswith("θ = 168.0°") and after.src == PNG["c"], after


def test_the_figure_drawn_after_the_readout_is_waited_for(fake):
    """The readout (sent first) shows the final value; the figure for it comes later."""
    pg, box = fake
    watch_redraws(box)
    pg.evaluate("([s, gap]) => window.play(s, gap)", [[
        ["figure", PNG["b"]], ["readout", "θ = 168.0° = 2.9322 rad"], ["slider", "168"], ["slider", "168"],
        ["figure", PNG["c"]],
    ], 100])
    after = wait_for_redraw(box, shows=(ROTATION_THETA,))
    assert after.settled and after.src == PNG["c"], after


def test_a_redraw_that_never_comes_returns_what_the_page_shows(fake):
    pg, box = fake
    watch_redraws(box)
    pg.evaluate("([s, gap]) => window.play(s, gap)", [[["readout", "θ = 158.0° = 2.7576 rad"],
                                                        ["figure", PNG["b"]]], 0])
    after = wait_for_redraw(box, shows=(ROTATION_THETA,), timeout_ms=1500)
    assert not after.settled and "had not redrawn" in after.note()
    assert after.readout.startswith("θ = 158.0°") and after.src == PNG["b"]


def test_waiting_for_a_redraw_needs_the_watch_first(fake):
    pg, box = fake
    with pytest.raises(Exception, match="call watch_redraws"):
        wait_for_redraw(box)


def test_slider_waits_and_ends(fake):
    pg, box = fake
    theta = box.locator(".widget-inline-hbox").first
    assert slider_value(theta) == 168.0 and not slider_at_end(theta, "max") and not slider_at_end(theta, "min")
    pg.evaluate("([s, gap]) => window.play(s, gap)", [[["slider", "169"], ["slider", "−170"]], 50])
    assert wait_for_slider(theta, equals=-170.0) == -170.0
    assert wait_for_slider(theta, differs_from=-170.0, timeout_ms=500) == -170.0  # (it never differs: the time ran out)
    pg.evaluate("() => document.querySelector('.noUi-handle').setAttribute('aria-valuenow', '360.0')")
    assert slider_at_end(theta, "max")
    before = snapshot(box)
    assert before.src == PNG["a"] and before.png
