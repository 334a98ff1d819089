"""Shared test setup: offline, deterministic, and the repository root importable (for solutions/)."""
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ropelab",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("ropelab")


@pytest.fixture
def root() -> Path:
    return ROOT


# The browser tests skip (outside CI) when there is no Chromium; their skip reasons start with
# this (tests/browser/browser_helpers.py, SKIP_PREFIX). Instead of one "SKIPPED" line per test
# in the short summary, the run ends with one line per reason: how many were skipped, and why.
BROWSER_SKIP_PREFIX = "no browser: "


def _browser_skip_reason(report) -> str | None:
    longrepr = getattr(report, "longrepr", None)
    if not (isinstance(longrepr, tuple) and len(longrepr) == 3):
        return None
    message = str(longrepr[2]).removeprefix("Skipped: ")
    return message[len(BROWSER_SKIP_PREFIX):] if message.startswith(BROWSER_SKIP_PREFIX) else None


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: around the short test summary, before the totals
def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    browser = [rep for rep in skipped if _browser_skip_reason(rep) is not None]
    if browser:  # left out of the short summary while it is written, put back for the totals
        terminalreporter.stats["skipped"] = [rep for rep in skipped if _browser_skip_reason(rep) is None]
    try:
        return (yield)
    finally:
        if browser:
            terminalreporter.stats["skipped"] = skipped
            reasons: dict[str, int] = {}
            for rep in browser:
                reason = _browser_skip_reason(rep)
                reasons[reason] = reasons.get(reason, 0) + 1
            for reason, n in reasons.items():
                terminalreporter.write_line(f"{n} browser test{'' if n == 1 else 's'} skipped: {reason}",
                                            yellow=True, bold=True)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """Back to English after every test: a test that switches ropelab to Chinese cannot leak it."""
    yield
    from ropelab.common.i18n import get_language, set_language

    if get_language() != "en":
        set_language("en")
