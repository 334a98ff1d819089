"""Helpers for the real-browser tests: Debian's Chromium, driven by Playwright, against local Jupyter servers.

* Servers (JupyterLab, or Voila through ``tools/present.py``) run as subprocesses on a
  free port of 127.0.0.1, token-less, with a throwaway HOME. ``running_server`` always
  stops them (and every kernel they started), whatever happens in the test.
* Every request the page makes to a host other than localhost is aborted and recorded
  (``PageWatch.blocked``): the lab must work offline.
* JavaScript errors (uncaught exceptions and console errors) are recorded in
  ``PageWatch.errors``; tests assert there are none.
* Screenshots go to ``test-artifacts/browser/`` (git-ignored); a failing test leaves
  ``FAILED-<test>.png`` there too.

Chromium is looked for at ``/usr/bin/chromium`` (``apt-get install -y chromium``; set
``ROPELAB_CHROMIUM`` to use another). Without it the browser tests fail when ``CI`` is
set and are skipped everywhere else; the run then ends with one line saying how many
were skipped and why (tests/conftest.py).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("ROPELAB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_TIMEOUT = 120.0  # seconds; a cold start on a busy 2-core machine can be slow
STEP_TIMEOUT_MS = 90_000  # per Playwright wait


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# A skip's reason starts with this; tests/conftest.py counts these skips and ends the run
# with one line saying how many browser tests were skipped and why.
SKIP_PREFIX = "no browser: "


def browser_problem() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return (f"Chromium not found at {CHROMIUM}; install it with `sudo apt-get install -y chromium` "
                "(Debian/Ubuntu) or set ROPELAB_CHROMIUM to a Chromium binary")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:
        return f"Playwright is not installed ({err}); install it with `pip install -e '.[test]'`"
    return None


def require_browser() -> None:
    """Fail (in CI) or skip (elsewhere), saying why, when Chromium or Playwright is missing."""
    problem = browser_problem()
    if problem:
        if in_ci():
            pytest.fail(f"browser tests cannot run in CI: {problem}", pytrace=False)
        pytest.skip(SKIP_PREFIX + problem)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def throwaway_env(home: Path) -> dict[str, str]:
    """Environment for a server: a fresh HOME and Jupyter dirs, offline, deterministic."""
    import matplotlib

    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR", "JUPYTER_PATH", "JUPYTER_TOKEN"):
        env.pop(var, None)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / ".jupyter/lab/user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / ".jupyter/lab/workspaces"),
        IPYTHONDIR=str(home / ".ipython"),
        # reuse the built font cache instead of rebuilding it (and warning) in every kernel
        MPLCONFIGDIR=matplotlib.get_cachedir(),
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
        PYTHONHASHSEED="0", PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Server:
    url: str  # base URL, ending in "/"
    proc: subprocess.Popen
    log: Path

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def kernel_pids(self) -> list[int]:
        """Process ids of the kernels this server has running now."""
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        pids = []
        for child in children:
            with contextlib.suppress(psutil.Error):
                if "ipykernel" in " ".join(child.cmdline()):
                    pids.append(child.pid)
        return pids


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = server.url + path.lstrip("/")
    last = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited with code {server.proc.returncode} before it was ready:\n"
                               f"{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as err:
            last = err
        time.sleep(0.25)
    raise TimeoutError(f"server not ready at {url} after {timeout:.0f} s ({last}):\n{server.log_tail()}")


def stop_server(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM (Jupyter and Voila then shut their kernels down), then SIGKILL what is left.

    Kernels run in their own sessions, so they are looked up (as descendants of the server)
    before the server goes, and killed afterwards if they outlived it.
    """
    import psutil

    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    _, alive = psutil.wait_procs(descendants, timeout=5)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5)


def _die_with_parent() -> None:
    """In the server's process, before it starts (Linux): get SIGTERM when the test process
    dies, even if it is killed (a CI timeout) and cannot run its clean-up. The server then
    shuts its kernels down itself."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextlib.contextmanager
def running_server(cmd: list[str], *, home: Path, cwd: Path, ready_path: str, port: int,
                   name: str, extra_env: dict[str, str] | None = None,
                   timeout: float = SERVER_START_TIMEOUT) -> Iterator[Server]:
    """Start ``cmd`` (a server on 127.0.0.1:``port``), wait until ``ready_path`` answers 200,
    yield it, and always stop it and its kernels afterwards, even if the body raises."""
    env = throwaway_env(home)
    env.update(extra_env or {})
    log = home / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=_die_with_parent)
    server = Server(url=f"http://127.0.0.1:{port}/", proc=proc, log=log)
    try:
        _wait_ready(server, ready_path, timeout)
        yield server
    finally:
        stop_server(proc)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            shutil.copyfile(log, ARTIFACTS / f"{name}.log")


def record_kernel_memory(server: Server, what: str) -> list[float]:
    """Append the resident memory (RSS, MiB) of the server's kernels to
    test-artifacts/browser/kernel-memory.txt; returns the numbers."""
    import psutil

    server_rss = float("nan")
    rss = []
    for pid in server.kernel_pids():
        with contextlib.suppress(psutil.Error):
            rss.append(psutil.Process(pid).memory_info().rss / 2**20)
    with contextlib.suppress(psutil.Error):
        server_rss = psutil.Process(server.proc.pid).memory_info().rss / 2**20
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "kernel-memory.txt", "a") as f:
        f.write(f"{what}: kernel RSS " + ", ".join(f"{r:.0f} MiB" for r in rss)
                + f"; server RSS {server_rss:.0f} MiB\n")
    return rss


def lab_command(port: int, root_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    ]


def write_lab_settings(home: Path) -> None:
    """User settings for the throwaway JupyterLab: never autosave (the notebooks are copies
    anyway), no news or update pop-ups over the screenshots, and every cell in the DOM
    (no windowing, so that off-screen outputs can be found and scrolled to)."""
    settings = home / ".jupyter/lab/user-settings/@jupyterlab"
    files = {
        "docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                "checkForUpdates": False},
        "notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for rel, value in files.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def present_command(notebook: Path, port: int, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "tools" / "present.py"), str(notebook),
            "--no-browser", "--port", str(port), *extra]


# --------------------------------------------------------------------------- browser


@dataclass
class PageWatch:
    """What a page did that a test may want to assert on."""
    blocked: list[str] = field(default_factory=list)   # non-localhost requests, aborted
    errors: list[str] = field(default_factory=list)    # uncaught exceptions, console errors
    console: list[str] = field(default_factory=list)   # every console message, for the report

    def js_errors(self, ignore: tuple[str, ...] = ()) -> list[str]:
        """Errors, minus those matching one of the ``ignore`` regexes (each must be justified)."""
        return [e for e in self.errors if not any(re.search(p, e) for p in ignore)]


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about"):
        return True
    return parsed.hostname in LOCAL_HOSTS


def screenshot(pg, name: str, locator=None) -> Path:
    """Save a screenshot (of ``locator`` or the whole page) as test-artifacts/browser/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if locator is not None:
        locator.screenshot(path=str(path))
    else:
        pg.screenshot(path=str(path), full_page=False)
    return path


# --------------------------------------------------------------------------- widgets on a page
# ropelab's widgets are computed and drawn by their own JavaScript in the page; what a check
# reads from them, and how it waits (for the page's redraw counter, never a fixed time), is
# in widget_checks.py.

ERROR_TEXT = "Error displaying widget"


def assert_page_clean(pg, watch: PageWatch, where: str) -> None:
    """No "Error displaying widget", no uncaught JavaScript error, no console error."""
    assert pg.get_by_text(ERROR_TEXT).count() == 0, f"{where}: the page shows {ERROR_TEXT!r}"
    assert not watch.js_errors(), f"{where}: JavaScript errors: {watch.js_errors()}"
