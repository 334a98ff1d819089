"""ropelab.common.timing.measure: every function timed in alternation, the statistic asked for.

Times come from a fake clock that moves only when a timed function says how long it
took, so every expected value is exact.
"""
import types

import pytest

from ropelab.common import timing
from ropelab.common.timing import measure


def counting(calls: dict, name: str):
    def f():
        calls[name] += 1
    return f


def test_each_function_runs_warmup_plus_rounds_times_and_gets_one_entry():
    calls = {"a": 0, "b": 0, "c": 0}
    fns = {n: counting(calls, n) for n in calls}
    times = measure(fns, rounds=5, warmup=2, stat="all")
    assert calls == {"a": 7, "b": 7, "c": 7}
    assert list(times) == ["a", "b", "c"] and [len(v) for v in times.values()] == [5, 5, 5]
    for stat in ("median", "min"):
        one = measure(fns, rounds=3, warmup=0, stat=stat)
        assert list(one) == ["a", "b", "c"] and all(isinstance(v, float) for v in one.values())
    assert calls == {"a": 13, "b": 13, "c": 13}


def test_every_round_runs_each_function_once_in_a_rotating_order():
    order = []
    fns = {n: (lambda n=n: order.append(n)) for n in "abc"}
    measure(fns, rounds=4, warmup=1)
    assert order == list("abc") + list("abc") + list("bca") + list("cab") + list("abc")
    #                warmup          round 0         round 1         round 2         round 3


@pytest.fixture
def clock(monkeypatch):
    """Replace the timer's clock: ``clock.now`` moves only when a test moves it."""
    clock = types.SimpleNamespace(now=0.0)
    monkeypatch.setattr(timing, "time", types.SimpleNamespace(perf_counter=lambda: clock.now))
    return clock


def taking(clock, durations: dict) -> dict:
    """``{name: fn}`` where call ``i`` of ``fn`` advances the clock by ``durations[name][i]``."""
    def make(seq):
        it = iter(seq)

        def f():
            clock.now += next(it)
        return f
    return {name: make(seq) for name, seq in durations.items()}


def test_the_statistics_are_taken_over_the_measured_rounds(clock):
    durations = {"a": [5.0, 1.0, 3.0], "b": [2.0, 8.0, 2.0]}
    assert measure(taking(clock, durations), rounds=3, warmup=0, stat="all") == durations
    assert measure(taking(clock, durations), rounds=3, warmup=0) == {"a": 3.0, "b": 2.0}
    assert measure(taking(clock, durations), rounds=3, warmup=0, stat="min") == {"a": 1.0, "b": 2.0}
    # warmup runs are not timed: the first duration of each function is dropped
    assert measure(taking(clock, {"a": [100.0, 1.0, 2.0]}), rounds=2, warmup=1, stat="all") == {"a": [1.0, 2.0]}


def test_sync_brackets_every_timed_run(clock):
    # the sync after a run is timed (it waits for the device's work), the one before is not
    events = []
    fns = taking(clock, {"a": [1.0, 1.0], "b": [2.0, 2.0]})
    logged = {n: (lambda f=f, n=n: (events.append(n), f())) for n, f in fns.items()}

    def sync():
        events.append("sync")
        clock.now += 0.5

    times = measure(logged, rounds=2, warmup=0, sync=sync, stat="all")
    assert events == ["sync", "a", "sync", "sync", "b", "sync", "sync", "b", "sync", "sync", "a", "sync"]
    assert times == {"a": [1.5, 1.5], "b": [2.5, 2.5]}


def test_bad_arguments_are_refused():
    f = counting({"a": 0}, "a")
    with pytest.raises(TypeError, match="fns"):
        measure([f])
    with pytest.raises(TypeError, match="fns"):
        measure({})
    with pytest.raises(TypeError, match="fns"):
        measure({"a": 3})
    with pytest.raises(ValueError, match="stat"):
        measure({"a": f}, stat="mean")
    with pytest.raises(ValueError, match="rounds"):
        measure({"a": f}, rounds=0)
    with pytest.raises(ValueError, match="warmup"):
        measure({"a": f}, warmup=-1)
