"""Smoke test of benchmarks/lab_speed.py, its notebook part (the widget part, which needs
Chromium, is tested in tests/browser/test_widget_speed.py).

Timings depend on the machine and its load, so no test here passes or fails on one: the
tests check that everything is measured and that the over-budget report works, by
setting a budget that every measurement is over (0) or under (infinity), or by feeding
the report fixed times.
"""
import importlib.util
import re

import pytest

pytestmark = pytest.mark.slow  # runs scripts or notebooks in subprocesses; not in ./lab test --quick



@pytest.fixture
def lab_speed(root):
    spec = importlib.util.spec_from_file_location("lab_speed", root / "benchmarks" / "lab_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seconds, flagged", [(15.5, True), (14.5, False)])
def test_the_report_flags_a_notebook_over_budget(lab_speed, capsys, monkeypatch, seconds, flagged):
    monkeypatch.setattr(lab_speed, "run_notebook", lambda path: seconds)  # a fixed time: the report alone
    status = lab_speed.main(["--no-widgets", "--notebooks", "00_start_here", "03_euler_formula"])
    out = capsys.readouterr().out
    for stem in ("00_start_here", "03_euler_formula"):
        line = next(ln for ln in out.splitlines() if ln.startswith(stem))
        assert line.endswith("over budget") == flagged, line
    assert f"{'total (one after another)':<26}{2 * seconds:>9.1f}" in out
    assert status == int(flagged)
    assert ("2 over budget: 00_start_here (15.5 s > 15 s), 03_euler_formula (15.5 s > 15 s)" if flagged
            else "all within budget") == out.rstrip().splitlines()[-1]


def test_a_notebook_is_really_run_and_timed(lab_speed, capsys, monkeypatch):
    monkeypatch.setattr(lab_speed, "NOTEBOOK_BUDGET_S", 0.0)  # every real run is over a zero budget
    assert lab_speed.main(["--no-widgets", "--notebooks", "00_start_here"]) == 1
    out = capsys.readouterr().out
    m = re.search(r"^00_start_here\s+(\d+\.\d)  over budget$", out, re.M)
    assert m, out
    assert out.rstrip().splitlines()[-1] == f"1 over budget: 00_start_here ({m[1]} s > 0 s)"


def test_unknown_notebook_is_an_error(lab_speed):
    with pytest.raises(SystemExit):
        lab_speed.main(["--no-widgets", "--notebooks", "99_missing"])
