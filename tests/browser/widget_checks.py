"""What a working widget does in a browser, checked the same way on a static page, in
JupyterLab and in presentation mode (Voila).

Every ropelab widget is computed and drawn by its own JavaScript in the page
(``ropelab/common/widget_kit.js``). Its root element says which widget it is
(``data-widget``), the values of its controls (``data-values``), its fixed parameters
(``data-fixed``) and how often it has redrawn (``data-redraws``); each number of the
readout carries its full value (``<span data-key data-value>``). A check moves every
control the way a person does (mouse on the first slider, keyboard on the others, a click
on a checkbox, a choice in a dropdown) and then asserts:

* the page redrew, the control shows a new value, and the figure changed;
* every number on the page equals what ropelab's Python model gives for the values the
  page holds (``widget.numbers(values)``, to 1e-4), and the page shows no number Python
  does not know.

Nothing sleeps for a fixed time: a check waits for the page's redraw counter.
"""
from __future__ import annotations

import json

from browser_helpers import STEP_TIMEOUT_MS, screenshot

TOL = 1e-4
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# The notebooks whose widgets are checked in JupyterLab (one of each kind is enough there;
# presentation mode and the static pages check every widget).
TARGETS = ["00_start_here.ipynb", "03_euler_formula.ipynb", "04_rope_2d.ipynb", "05_rope_nd.ipynb",
           "08_long_context.ipynb"]

_STATE_JS = """(root) => {
    const svg = root.querySelector('svg.rl-figure');
    let h = 0;
    const s = svg ? svg.innerHTML : '';
    for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return {
        name: root.dataset.widget,
        values: JSON.parse(root.dataset.values || '{}'),
        fixed: JSON.parse(root.dataset.fixed || '{}'),
        redraws: Number(root.dataset.redraws),
        numbers: Object.fromEntries([...root.querySelectorAll('.rl-readout [data-key]')]
            .map(e => [e.dataset.key, Number(e.dataset.value)])),
        figure: `${s.length}:${h}`,
        controls: [...root.querySelectorAll('.rl-control')].map(r => {
            const input = r.querySelector('input, select');
            return {name: r.dataset.control, kind: r.dataset.kind, type: input.type || input.tagName.toLowerCase(),
                    min: input.min, max: input.max, step: input.step, value: input.value,
                    options: input.tagName === 'SELECT' ? [...input.options].map(o => o.value) : null};
        }),
        error: (root.querySelector('.rl-error') || {}).textContent || '',
    };
}"""


def stored_widget_outputs(path) -> list[str]:
    """The text/plain of every widget output stored in the notebook at ``path``
    (e.g. ``rotation_widget(theta_deg=60, x=1, y=0.5)``)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [out["data"].get("text/plain", "") for cell in nb.cells for out in cell.get("outputs", [])
            if WIDGET_VIEW in out.get("data", {})]


def widget_notebooks() -> list[str]:
    """Every notebook with a stored widget output (each is checked in presentation mode)."""
    from browser_helpers import NOTEBOOKS

    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if stored_widget_outputs(p))


def ropelab_widgets(pg):
    """Every ropelab widget drawn on the page."""
    return pg.locator(".ropelab-widget[data-ready='1']")


def page_state(box) -> dict:
    return box.evaluate(_STATE_JS)


_REFERENCES: dict = {}


def reference_numbers(name: str, values: dict, fixed: dict) -> dict[str, float]:
    """What ropelab's Python model says the readout of widget ``name`` shows for ``values``."""
    import ropelab.widgets

    key = (name, json.dumps(fixed, sort_keys=True))
    if key not in _REFERENCES:
        w = getattr(ropelab.widgets, name)()
        if fixed:
            w.fixed = fixed
        _REFERENCES[key] = w
    return _REFERENCES[key].numbers(values)


def assert_numbers_match(state: dict, where: str) -> None:
    want = reference_numbers(state["name"], state["values"], state["fixed"])
    got = state["numbers"]
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, (
        f"{where}: the page's readout numbers {sorted(got)} differ from Python's {sorted(want)}: "
        f"missing {missing}, unknown {extra}")
    bad = {k: (got[k], v) for k, v in want.items() if not abs(got[k] - v) <= TOL * max(1.0, abs(v))}
    assert not bad, f"{where}: page vs ropelab (page, python) differ beyond {TOL}: {bad} at {state['values']}"


def wait_for_redraw_after(box, redraws: int, timeout_ms: float = STEP_TIMEOUT_MS) -> dict:
    """Wait until the widget has redrawn more than ``redraws`` times; return its state then."""
    box.page.wait_for_function("([root, n]) => Number(root.dataset.redraws) > n",
                               arg=[box.element_handle(), redraws], timeout=timeout_ms)
    return page_state(box)


def move_control(box, control: dict, how: str) -> None:
    """Move one control as a person does: ``how`` is "mouse" or "keyboard"."""
    row = box.locator(f".rl-control[data-control='{control['name']}']")
    row.scroll_into_view_if_needed()
    if control["type"] == "checkbox":
        row.locator("input").click()
    elif control["type"] == "select-one":
        options = control["options"]
        other = options[(options.index(control["value"]) + 1) % len(options)]
        row.locator("select").select_option(other)
    elif how == "mouse":
        slider = row.locator("input[type=range]")
        bbox = slider.bounding_box()
        lo, hi, now = float(control["min"]), float(control["max"]), float(control["value"])
        frac = 0.25 if (now - lo) > 0.5 * (hi - lo) else 0.75   # click well away from the handle
        slider.click(position={"x": bbox["width"] * frac, "y": bbox["height"] / 2})
    else:
        slider = row.locator("input[type=range]")
        at_max = float(control["value"]) >= float(control["max"])
        slider.focus()
        for _ in range(3):
            slider.press("ArrowLeft" if at_max else "ArrowRight")


def check_widget(box, tag: str, on_move=None) -> list[str]:
    """Move every control of one widget and check the page against ropelab after each move.
    ``on_move(state)`` (live pages) may check the kernel too. Returns what was moved."""
    state = page_state(box)
    where = f"{tag} {state['name']}"
    assert state["controls"], f"{where}: no controls"
    assert_numbers_match(state, f"{where} as drawn")
    screenshot(box.page, f"{tag}-{state['name']}-before", box)
    moved = []
    first_range = True
    for control in state["controls"]:
        control = next(c for c in page_state(box)["controls"] if c["name"] == control["name"])
        how = "mouse" if (control["type"] == "range" and first_range) else "keyboard"
        first_range = first_range and control["type"] != "range"
        before = page_state(box)
        move_control(box, control, how)
        after = wait_for_redraw_after(box, before["redraws"])
        name = control["name"]
        assert after["values"][name] != before["values"][name], (
            f"{where}: moving {name} by {how} left it at {before['values'][name]}")
        if control["type"] != "checkbox":  # (a switch such as 'move m and n together' changes no picture)
            assert after["figure"] != before["figure"], f"{where}: the figure did not change when {name} moved"
        assert_numbers_match(after, f"{where} after moving {name} by {how}")
        if on_move is not None:
            on_move(after)
        moved.append(f"{name}:{how}")
    screenshot(box.page, f"{tag}-{state['name']}-after", box)
    return moved


def check_all_widgets(pg, tag: str, expected: int | None = None, on_move=None) -> list[str]:
    """Check every ropelab widget on the page; returns one entry per widget checked."""
    boxes = ropelab_widgets(pg)
    count = boxes.count()
    assert count >= 1, f"{tag}: no ropelab widget on the page"
    if expected is not None:
        assert count == expected, f"{tag}: {count} widgets drawn, {expected} expected"
    ran = []
    for i in range(count):
        box = boxes.nth(i)
        moved = check_widget(box, f"{tag}-{i}", on_move=on_move)
        ran.append(f"{page_state(box)['name']}({', '.join(moved)})")
    return ran
