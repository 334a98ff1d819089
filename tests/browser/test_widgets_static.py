"""Every widget on a page with no kernel at all (what the website and an HTML export show).

The page holds only what a stored notebook output holds: the widget's ``text/html`` (its
module and starting state). In Chromium, for each widget and both languages: it draws, its
numbers are ropelab's, every control moved by mouse or keyboard redraws it to ropelab's
numbers again, nothing is requested from anywhere, and no JavaScript error occurs.

Screenshots: ``test-artifacts/browser/static-<widget>-<language>-*.png``.
"""
from __future__ import annotations

import pytest
from browser_helpers import assert_page_clean
from widget_checks import check_all_widgets, ropelab_widgets

import ropelab
import ropelab.widgets

pytestmark = pytest.mark.browser


def _page_html(name: str, language: str) -> str:
    ropelab.set_language(language)
    try:
        data, _ = getattr(ropelab.widgets, name)()._repr_mimebundle_()
    finally:
        ropelab.set_language("en")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>widget</title></head>"
            f"<body style='max-width: 1150px'>{data['text/html']}</body></html>")


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("name", ropelab.widgets.__all__)
def test_widget_works_without_a_kernel(name, language, page):
    pg, watch = page
    requests = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.set_content(_page_html(name, language))
    ropelab_widgets(pg).first.wait_for(state="visible")
    assert pg.locator(f".ropelab-widget[lang='{language}']").count() == 1, "the widget speaks the chosen language"
    ran = check_all_widgets(pg, f"static-{name}-{language}", expected=1)
    assert ran and name in ran[0]
    assert requests == [], f"a page with only the widget asked for {requests}"
    assert_page_clean(pg, watch, f"{name} ({language}) on a static page")
