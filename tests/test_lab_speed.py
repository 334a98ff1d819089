"""Smoke test of benchmarks/lab_speed.py (the notebook-time and slider-redraw report).

Timings depend on the machine and its load, so no test here passes or fails on one: the
tests check that everything is measured and that the over-budget report works, by
setting a budget that every measurement is over (0) or under (infinity), or by feeding
the report fixed times.
"""
import importlib.util
import math
import re

import pytest

pytestmark = pytest.mark.slow  # runs scripts or notebooks in subprocesses; not in ./lab test --quick

ROW = re.compile(r"^(?P<name>\w+)\s+(?P<moves>\d+)\s+(?P<median>\d+\.\d)\s+(?P<p90>\d+\.\d)(?P<flag>  over budget)?$")


@pytest.fixture
def lab_speed(root):
    spec = importlib.util.spec_from_file_location("lab_speed", root / "benchmarks" / "lab_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def widget_rows(out: str) -> dict[str, re.Match]:
    return {m["name"]: m for m in map(ROW.match, out.splitlines()) if m}


def test_every_widget_is_measured_and_each_move_redraws(lab_speed, capsys):
    status = lab_speed.main(["--no-notebooks", "--moves", "2"])
    out = capsys.readouterr().out
    factories = lab_speed.widget_factories()
    assert {"rotation_widget", "rope2d_widget", "frequency_widget"} <= set(factories)
    rows = widget_rows(out)
    assert set(rows) == set(factories), out
    for name, row in rows.items():
        assert int(row["moves"]) >= 2, f"{name}: every slider is moved: {row.group()}"
    # whatever the times were, the exit status and the list at the end agree with the flags
    flagged = [name for name, row in rows.items() if row["flag"]]  # (in the order of the report)
    assert status == (1 if flagged else 0), out
    assert out.rstrip().splitlines()[-1] == (f"{len(flagged)} over budget: " + ", ".join(
        f"{n} ({float(rows[n]['median']):.1f} ms > 50 ms)" for n in flagged) if flagged else "all within budget")
    w = factories["rotation_widget"]()
    times = lab_speed.slider_moves(w, 3)
    # three sliders, three steps each plus the move back: every change redrew once
    assert len(times) == len(w.redraw_ms) and len(times) >= 9


@pytest.mark.parametrize("budget, flagged", [(0.0, True), (math.inf, False)])
def test_the_report_flags_exactly_the_redraws_over_budget(lab_speed, capsys, monkeypatch, budget, flagged):
    monkeypatch.setattr(lab_speed, "REDRAW_BUDGET_MS", budget)
    status = lab_speed.main(["--no-notebooks", "--moves", "1"])
    out = capsys.readouterr().out
    rows = widget_rows(out)
    assert rows and all(bool(row["flag"]) == flagged for row in rows.values()), out
    assert status == int(flagged)
    last = out.rstrip().splitlines()[-1]
    assert last.startswith(f"{len(rows)} over budget: ") if flagged else last == "all within budget", last


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
