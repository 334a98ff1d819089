"""Without Chromium the browser tests never skip silently: they fail in CI, and skip with
the reason elsewhere, the run ending with one line that says how many and why."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import browser_helpers
import pytest
from _pytest.outcomes import Failed, Skipped


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
    with pytest.raises(Skipped, match="^no browser: Chromium not found.*no-chromium-here.*apt-get install -y chromium"):
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


def _pytest_without_chromium(tmp_path, ci: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, ROPELAB_CHROMIUM=str(tmp_path / "no-chromium-here"))
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    # test_lab.py: every test in it needs the browser, which is looked for before any server starts
    # (the summary line is tests/conftest.py's; its prefix must match browser_helpers.SKIP_PREFIX)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/browser/test_lab.py"], cwd=browser_helpers.ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_run_without_chromium_ends_with_one_line_saying_what_was_skipped(tmp_path):
    proc = _pytest_without_chromium(tmp_path, ci=None)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:]
    lines = out.rstrip().splitlines()
    totals = re.fullmatch(r"=* ?(\d+) skipped in .*", lines[-1])
    assert totals, f"expected only skips: {lines[-1]!r}"
    summary = [ln for ln in lines if re.match(r"\d+ browser tests? skipped: ", ln)]
    assert summary == [lines[-2]], f"expected one summary line just before the totals:\n{out[-3000:]}"
    missing = tmp_path / "no-chromium-here"
    assert summary[0] == (f"{totals.group(1)} browser tests skipped: Chromium not found at {missing}; "
                          "install it with `sudo apt-get install -y chromium` (Debian/Ubuntu) or set ROPELAB_CHROMIUM "
                          "to a Chromium binary"), summary[0]


def test_a_ci_run_without_chromium_fails_and_does_not_call_it_a_skip(tmp_path):
    proc = _pytest_without_chromium(tmp_path, ci="true")
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "browser tests cannot run in CI: Chromium not found" in proc.stdout
    assert not re.search(r"^\d+ browser tests? skipped", proc.stdout, re.M), proc.stdout[-3000:]
