"""Fixtures for the real-browser tests (see browser_helpers.py for the whole story).

``browser``: one headless Debian Chromium per module; ``page``: a fresh page that aborts
every non-localhost request and records JavaScript errors; a failing test leaves a
screenshot in ``test-artifacts/browser/``.
"""
from __future__ import annotations

import contextlib

import pytest
from browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, STEP_TIMEOUT_MS, PageWatch, is_local, require_browser


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (started and closed inside the module)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                      headless=True, timeout=STEP_TIMEOUT_MS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh page (own context) that aborts every request leaving localhost.

    Yields ``(page, watch)``. On failure a full-page screenshot is saved as
    ``test-artifacts/browser/FAILED-<test>.png``.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    watch = PageWatch()

    def route(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            watch.blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    pg = context.new_page()
    pg.set_default_timeout(STEP_TIMEOUT_MS)
    pg.on("pageerror", lambda exc: watch.errors.append(f"pageerror: {exc}"))

    def on_console(msg):
        text = f"console.{msg.type}: {msg.text}"
        watch.console.append(text)
        if msg.type == "error":
            watch.errors.append(text)

    pg.on("console", on_console)
    try:
        yield pg, watch
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(Exception):
                pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
            with contextlib.suppress(OSError):
                (ARTIFACTS / f"FAILED-{request.node.name}.console.txt").write_text("\n".join(watch.console))
        context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


