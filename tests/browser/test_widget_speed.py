"""Smoke test of the widget part of benchmarks/lab_speed.py: input to painted frame in Chromium.

Timings depend on the machine and its load, so nothing here passes or fails on one: the
tests check that every widget is measured, every slider move is timed, and that the
over-budget report follows the budget (0: everything is over; infinity: nothing is).
"""
from __future__ import annotations

import importlib.util
import math
import re

import pytest
from browser_helpers import ROOT, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROW = re.compile(r"^(?P<name>\w+)\s+(?P<moves>\d+)\s+(?P<median>\d+\.\d)\s+(?P<p90>\d+\.\d)(?P<flag>  over budget)?$")


@pytest.fixture
def lab_speed():
    require_browser()
    spec = importlib.util.spec_from_file_location("lab_speed", ROOT / "benchmarks" / "lab_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tables(out: str) -> list[dict[str, re.Match]]:
    tables, rows = [], None
    for line in out.splitlines():
        if line.startswith("widget "):
            rows = {}
            tables.append(rows)
        elif rows is not None and (m := ROW.match(line)):
            rows[m["name"]] = m
    return tables


def test_every_widget_and_every_slider_move_is_timed(lab_speed, capsys):
    import ropelab.widgets

    status = lab_speed.main(["--no-notebooks", "--moves", "3"])
    out = capsys.readouterr().out
    (rows,) = _tables(out)
    assert set(rows) == set(ropelab.widgets.__all__), out
    w = ropelab.widgets.rotation_widget()
    assert int(rows["rotation_widget"]["moves"]) == 3 * len(w.values()), "3 moves of each of its 3 sliders"
    for name, row in rows.items():
        assert int(row["moves"]) >= 3, f"{name}: each move redrew and was timed: {row.group()}"
    flagged = [n for n, r in rows.items() if r["flag"]]
    assert status == (1 if flagged else 0), out


@pytest.mark.parametrize("budget, flagged", [(0.0, True), (math.inf, False)])
def test_the_report_flags_exactly_what_is_over_budget_quiet_and_busy(lab_speed, capsys, monkeypatch, budget,
                                                                     flagged):
    monkeypatch.setattr(lab_speed, "FRAME_BUDGET_MS", budget)
    status = lab_speed.main(["--no-notebooks", "--moves", "1", "--busy", "1"])
    out = capsys.readouterr().out
    tables = _tables(out)
    assert len(tables) == 2 and "beside 1 busy processes" in out, out
    for rows in tables:
        assert rows and all(bool(r["flag"]) == flagged for r in rows.values()), out
    assert status == int(flagged)
    last = out.rstrip().splitlines()[-1]
    n = sum(len(t) for t in tables)
    assert last.startswith(f"{n} over budget: ") if flagged else last == "all within budget", last
