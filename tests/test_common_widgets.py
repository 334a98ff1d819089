"""The widget base (ropelab.common.widgets.BrowserWidget), for every widget of the course,
without a browser: what the page gets (module, starting state, language), refused values,
and what a notebook stores. The page itself is tested in tests/browser."""
from __future__ import annotations

import json
import math
import re

import pytest

import ropelab
import ropelab.widgets
from ropelab.common.widgets import BrowserWidget, RefusedValue

NAMES = ropelab.widgets.__all__
# per widget: a control, a value the model refuses, another control and a good value for it
REFUSED = {
    "rotation_widget": ("theta_deg", math.nan, "x", 0.3),
    "rope2d_widget": ("theta_deg", 200.0, "m", 7),
    "frequency_widget": ("base", 1e9, "dim", 64),
    "extension_widget": ("factor", 40.0, "target_len", 2048),
}


def make(name, **kwargs):
    return getattr(ropelab.widgets, name)(**kwargs)


def test_every_widget_of_the_course_is_listed_here():
    assert set(REFUSED) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_widget_is_an_anywidget_with_its_module(name):
    w = make(name)
    assert isinstance(w, BrowserWidget) and w._widget_name == name
    esm = w._esm
    assert "function ropelabMount" in esm and "const WIDGET" in esm and "export default" in esm
    assert f'name: "{name}"' in esm, "the module is the widget's own"
    assert len(re.findall(r"^export ", esm, re.M)) == 1, "one export: the render (the lesson's code exports nothing)"
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", esm), "the module loads nothing from anywhere"
    # every control of the page is a synced trait of the Python widget
    for control in w._controls:
        assert w.trait_metadata(control, "sync") is True
        assert f'name: "{control}"' in esm, f"{name}: the page has no control {control}"


@pytest.mark.parametrize("name", NAMES)
def test_the_stored_page_is_deterministic_and_holds_the_starting_state(name):
    a, b = make(name), make(name)
    html = a._repr_mimebundle_()[0]["text/html"]
    assert html == b._repr_mimebundle_()[0]["text/html"]
    state = json.loads(re.search(r"ropelabStaticModel\((\{.*?\})\)", html).group(1).replace("<\\/", "</"))
    assert {k: state[k] for k in a._controls} == a.values()
    assert state["language"] == "en" and state["error"] == "" and state["fixed"] == a.fixed
    assert html.count("</script>") == 1 and html.endswith("</script>"), "one script, not cut short"


@pytest.mark.parametrize("name", NAMES)
def test_a_refused_value_leaves_the_widget_as_it_was_and_the_next_move_works(name):
    bad, value, other, good = REFUSED[name]
    w = make(name)
    before = w.values()
    with pytest.raises(ValueError, match=bad) as err:
        setattr(w, bad, value)
    assert isinstance(err.value, RefusedValue)
    assert w.values() == before and "not applied" in w.error and bad in w.error
    setattr(w, other, good)
    assert w.error == "" and w.values() == {**before, other: good}
    assert w.numbers() == make(name, **{other: good}).numbers()


@pytest.mark.parametrize("name", NAMES)
def test_a_refused_value_from_the_page_is_put_back(name):
    bad, value, _, _ = REFUSED[name]
    w = make(name)
    before = w.values()
    sent = []
    w.send_state = lambda key=None: sent.append(key)
    w.set_state({bad: value})
    assert w.values() == before and [bad] in sent and bad in w.error


@pytest.mark.parametrize("name", NAMES)
def test_the_widget_speaks_the_language_chosen_before_it_was_made(name):
    ropelab.set_language("zh")
    try:
        w = make(name)
        html = w._repr_mimebundle_()[0]["text/html"]
    finally:
        ropelab.set_language("en")
    assert w.language == "zh" and '"language":"zh"' in html
    assert make(name).language == "en"
    assert re.search(r"zh: \"[^\"]*[\u4e00-\u9fff]", w._esm), "the module has Chinese labels"
