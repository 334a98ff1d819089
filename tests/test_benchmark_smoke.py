"""benchmarks/rope_speed.py runs end to end at a tiny size and reports what it promises; and
``./lab test --busy N`` (tools/busy.py) loads the machine while a run lasts, and only then."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow  # runs scripts and ./lab in subprocesses; not in ./lab test --quick

TINY = ["--shape", "1", "2", "16", "8", "--seqs", "8", "16", "--rounds", "2", "--runs", "2", "--table-rounds", "1",
        "--device", "cpu"]
COPY, CLONE = "copy_ (into existing buffers)", "clone"


def checkout_env(root, *paths):
    """The environment for the script: this checkout's ropelab first on the path.

    A script's own folder (benchmarks/) is on its path, the repository root is not, so without
    this ``import ropelab`` finds whatever ``pip install -e`` points at, maybe another checkout.
    """
    path = os.pathsep.join(p for p in [*map(str, paths), str(root), os.environ.get("PYTHONPATH")] if p)
    return dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1", PYTHONPATH=path)


def run_script(root, tmp_path, *extra, hide=(), env_extra=None):
    out = tmp_path / "speed.json"
    env = dict(checkout_env(root, *hide), **(env_extra or {}))
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "rope_speed.py"), *TINY, *extra,
                           "--json", str(out)], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(out.read_text())


def test_script_reports_ratios_to_each_floor_and_a_seq_table(root, tmp_path):
    proc, report = run_script(root, tmp_path)
    assert "ratio to copy_" in proc.stdout and "to clone()" in proc.stdout
    (main,) = report["main"]
    assert main["runs"] == 2 and main["rounds"] == 2
    ratio, floor, med = main["ratio"], main["floor"], main["median_seconds"]
    expected = {COPY, CLONE, "transformers eager", "rope_complex (Meta)", "rope_interleaved", "rope_half",
                "rope_matrix (dense)"}
    for layout in ("interleaved", "half"):
        for form in ("in place", "out="):
            expected |= {f"{form} {layout}", f"{form} {layout} (PyTorch)"}
            assert floor[f"{form} {layout}"] == floor[f"{form} {layout} (PyTorch)"] == COPY
        expected |= {f"new {layout}", f"new {layout} (PyTorch)", f"apply_rope (q, k apart) {layout}"}
        assert floor[f"new {layout}"] == CLONE
    assert expected <= set(ratio)
    assert floor["transformers eager"] == floor["rope_half"] == CLONE
    # every ratio is, run by run, the candidate's median over its floor's median, from the same run
    for name, r in ratio.items():
        assert len(r["median"]) == len(r["best"]) == 2
        assert r["median"] == pytest.approx([m / f for m, f in zip(med[name], med[floor[name]])])
        assert all(v > 0 for v in r["median"] + r["best"])
        sm = main["summary"][name]
        assert sm["min"] <= sm["median"] <= sm["max"]
    assert ratio[COPY]["median"] == ratio[CLONE]["median"] == [1.0, 1.0]
    assert main["transformers_over"]["transformers eager"] == pytest.approx(1.0)
    assert [row["shape"][2] for row in report["table"]] == [8, 16]
    for name in expected:
        assert name in proc.stdout
    # the optional comparison is timed exactly when it is installed
    installed = importlib.util.find_spec("rotary_embedding_torch") is not None
    assert ("rotary-embedding-torch" in ratio) == installed
    lines = proc.stdout.splitlines()
    seq_rows = [ln.split()[0] for ln in lines if ln.strip() and ln.split()[0] in ("8", "16")]
    assert seq_rows == ["8", "16", "8", "16"]          # the ratio table and the table against transformers
    assert "times faster than transformers" in proc.stdout
    assert "numba" in report and "available" in report["numba"]


def test_script_runs_without_numba(root, tmp_path):
    proc, report = run_script(root, tmp_path, env_extra={"ROPELAB_NUMBA": "0"})
    assert "numba: not used" in proc.stdout and not report["numba"]["available"]
    assert "in place half" in report["main"][0]["ratio"]


@pytest.mark.slow
def test_compile_times_are_measured_in_fresh_processes(root, tmp_path):
    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed")
    proc, report = run_script(root, tmp_path, "--compile-times", "--compile-repeats", "1")
    kinds = [kind for kind, _ in report["compile_times"]]
    assert kinds == ["cold", "warm", "warm"]
    for _, row in report["compile_times"]:
        assert row["status"]["available"] and all(v >= 0 for v in row["times"].values())
    assert "half in place, float32 (first loop)" in proc.stdout and "cold" in proc.stdout


def test_rotary_embedding_torch_is_optional(root, tmp_path):
    hidden = tmp_path / "hide"
    (hidden / "rotary_embedding_torch").mkdir(parents=True)
    (hidden / "rotary_embedding_torch" / "__init__.py").write_text("raise ImportError('not installed')\n")
    proc, report = run_script(root, tmp_path, hide=[hidden])
    assert "rotary-embedding-torch" not in report["main"][0]["ratio"]
    assert "rotary-embedding-torch" not in proc.stdout


def test_bad_shape_is_rejected(root, tmp_path):
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "rope_speed.py"), "--shape", "1", "2", "8", "7"],
                          cwd=root, env=checkout_env(root), capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "even D" in proc.stderr


# --------------------------------------------------------------------------- tools/busy.py, ./lab test --busy
# (the load that `./lab test --busy N` puts beside a test run; these tests check that it is
# there while the run lasts and gone after it, however the run ends; no timing is asserted)

INNER_TEST = '''
import json, os, pathlib, time
import psutil


def test_look_at_the_spinners():
    here = pathlib.Path(__file__).parent
    spinners = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] and "--spin" in p.info["cmdline"]
                and any(c.endswith("busy.py") for c in p.info["cmdline"])]
    (here / "spinners.json").write_text(json.dumps(spinners))
    if os.environ.get("INNER_MODE") == "fail":
        assert False, "a failing run"
    if os.environ.get("INNER_MODE") == "hang":
        (here / "started").write_text("")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # until the outer test interrupts the run
            time.sleep(0.1)
'''


def _spinners_watching(pid: int) -> list:
    import psutil

    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        cmd = p.info["cmdline"] or []
        if "--spin" in cmd and "--watch" in cmd and cmd[cmd.index("--watch") + 1] == str(pid) \
                and p.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(p)
    return found


def _lab_test(root, tmp_path, mode: str, *lab_args: str) -> subprocess.Popen:
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    env = dict(os.environ, ROPELAB_USE_CURRENT_ENV="1", INNER_MODE=mode,
               PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.Popen([str(root / "lab"), "test", *lab_args, "-p", "no:cacheprovider", "-q",
                             "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _gone(pid: int, timeout: float = 60.0) -> list:
    """Spinners still watching ``pid`` after they have had ``timeout`` seconds to stop."""
    import psutil

    _, alive = psutil.wait_procs(_spinners_watching(pid), timeout=timeout)
    return alive


@pytest.mark.parametrize("mode, status", [("pass", 0), ("fail", 1)])
def test_lab_test_busy_runs_spinners_beside_pytest_and_stops_them(root, tmp_path, mode, status):
    proc = _lab_test(root, tmp_path, mode, "--busy", "2")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == status, out[-3000:]
    seen = json.loads((tmp_path / "spinners.json").read_text())
    watching = [cmd for cmd in seen if cmd[cmd.index("--watch") + 1] == str(proc.pid)]
    assert len(watching) == 2, f"expected 2 spinners watching ./lab (pid {proc.pid}) during the run: {seen}"
    assert "2 busy CPU processes running beside the tests" in out and "busy processes stopped" in out, out[-3000:]
    assert _gone(proc.pid) == [], "spinners outlived the run"


def test_lab_test_busy_stops_its_spinners_on_ctrl_c(root, tmp_path):
    # -n 0: pytest itself, not xdist workers, runs the hanging test. Under xdist a worker
    # busy in a test may not see the Ctrl-C (execnet workers leave it to the controller), and
    # on a loaded machine the run then lasted as long as the hang; what is tested here is that
    # the spinners go when ./lab is interrupted, whatever pytest does with the signal.
    proc = _lab_test(root, tmp_path, "hang", "--busy=1", "-n", "0")
    try:
        started = tmp_path / "started"
        deadline = time.monotonic() + 300  # (a poll for the inner test to be running)
        while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.exists(), proc.communicate(timeout=60)[0][-3000:]
        assert len(_spinners_watching(proc.pid)) == 1
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0, out[-3000:]
    assert _gone(proc.pid) == [], "spinners outlived an interrupted run"


def test_spinners_stop_when_what_they_watch_is_killed(root):
    """Even a ./lab killed outright (no trap runs) leaves no spinner behind: they watch its pid."""
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    busy = subprocess.Popen([sys.executable, str(root / "tools" / "busy.py"), "2", "--watch", str(watched.pid)],
                            stderr=subprocess.PIPE, text=True)
    try:
        import psutil

        deadline = time.monotonic() + 120  # (a poll until both spinners have started)
        while len(_spinners_watching(watched.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        spinners = _spinners_watching(watched.pid)
        assert len(spinners) == 2
        assert all(psutil.Process(p.pid).ppid() == busy.pid for p in spinners)
        watched.kill()
        watched.wait()
        assert _gone(watched.pid) == []
        assert busy.wait(timeout=60) == 0
    finally:
        for p in (watched, busy):
            if p.poll() is None:
                p.kill()
                p.wait()


def test_busy_rejects_a_bad_count(root):
    proc = subprocess.run([str(root / "lab"), "test", "--busy", "two"], cwd=root, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "N must be a whole number" in proc.stderr
