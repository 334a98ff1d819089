"""Without Chromium the browser tests never skip silently: they fail in CI, and skip with
the reason elsewhere."""
from __future__ import annotations

import pytest
from _pytest.outcomes import Failed, Skipped

import browser_helpers


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_helpers, "CHROMIUM", tmp_path / "no-chromium-here")


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_chromium_fails_in_ci(no_chromium, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(Failed, match="cannot run in CI: Chromium not found.*apt-get install -y chromium"):
        browser_helpers.require_browser()


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_missing_chromium_skips_with_the_reason_elsewhere(no_chromium, monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(Skipped, match="Chromium not found.*no-chromium-here.*apt-get install -y chromium"):
        browser_helpers.require_browser()


def test_present_chromium_passes_the_guard(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setattr(browser_helpers, "CHROMIUM", fake)
    monkeypatch.setenv("CI", "true")
    browser_helpers.require_browser()  # neither fails nor skips (Playwright is installed)


def test_only_localhost_counts_as_local():
    assert browser_helpers.is_local("http://127.0.0.1:8866/voila/static/voila.js")
    assert browser_helpers.is_local("http://localhost:1/x")
    assert browser_helpers.is_local("blob:http://127.0.0.1:8866/1234")
    assert browser_helpers.is_local("data:image/png;base64,AAAA")
    assert not browser_helpers.is_local("https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@^5/css/all.min.css")
    assert not browser_helpers.is_local("http://127.0.0.1.example.org/x")
    assert not browser_helpers.is_local("ws://example.org/api/kernels")
