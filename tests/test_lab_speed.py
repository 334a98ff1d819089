"""Smoke test of benchmarks/lab_speed.py (the notebook-time and slider-redraw report)."""
import importlib.util

import pytest


@pytest.fixture
def lab_speed(root):
    spec = importlib.util.spec_from_file_location("lab_speed", root / "benchmarks" / "lab_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_widget_is_measured_and_each_move_redraws(lab_speed, capsys):
    assert lab_speed.main(["--no-notebooks", "--moves", "2"]) == 0
    out = capsys.readouterr().out
    factories = lab_speed.widget_factories()
    assert {"rotation_widget", "rope2d_widget", "frequency_widget"} <= set(factories)
    for name in factories:
        assert name in out
    w = factories["rotation_widget"]()
    times = lab_speed.slider_moves(w, 3)
    # three sliders, three steps each plus the move back: every change redrew once
    assert len(times) == len(w.redraw_ms) and len(times) >= 9


def test_a_notebook_is_timed_and_the_budget_is_enforced(lab_speed, capsys, monkeypatch):
    assert lab_speed.main(["--no-widgets", "--notebooks", "00_start_here"]) == 0
    assert "00_start_here" in capsys.readouterr().out
    monkeypatch.setattr(lab_speed, "REDRAW_BUDGET_MS", 0.0)
    assert lab_speed.main(["--no-notebooks", "--moves", "1"]) == 1
    assert "over budget" in capsys.readouterr().out


def test_unknown_notebook_is_an_error(lab_speed):
    with pytest.raises(SystemExit):
        lab_speed.main(["--no-widgets", "--notebooks", "99_missing"])
