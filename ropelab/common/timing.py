"""One timer for every measurement in the lab: functions timed in alternation, robust statistics."""
from __future__ import annotations

import statistics
import time
from typing import Callable

from .._validate import check_choice, check_int

__all__ = ["measure"]



def measure(fns: dict, *, rounds: int = 15, warmup: int = 1, sync: Callable | None = None,
            stat: str = "median") -> dict:
    """Median wall time in seconds of each function in ``fns`` (``{name: fn}``), timed in alternation.

    Every round runs each function once, in a rotating order, so that a slow moment of
    a shared machine hits all of them alike; the median over ``rounds`` ignores the
    outliers (``stat="min"`` gives the best round instead, ``stat="all"`` every time in
    order). ``sync`` (e.g. ``torch.cuda.synchronize``) is called before and after
    each run on asynchronous devices. Results are dropped before the next run, so each
    run allocates its output afresh, as real code does. Compare medians *within* one
    call; absolute times differ from machine to machine and run to run.
    """
    if not isinstance(fns, dict) or not fns or not all(callable(f) for f in fns.values()):
        raise TypeError("fns must be a non-empty dict {name: function of no arguments}")
    rounds = check_int(rounds, "rounds", minimum=1)
    warmup = check_int(warmup, "warmup", minimum=0)
    stat = check_choice(stat, "stat", ("median", "min", "all"))
    names = list(fns)
    for _ in range(warmup):
        for n in names:
            fns[n]()
    times: dict = {n: [] for n in names}
    for r in range(rounds):
        for j in range(len(names)):
            n = names[(j + r) % len(names)]
            if sync is not None:
                sync()
            t0 = time.perf_counter()
            result = fns[n]()
            if sync is not None:
                sync()
            times[n].append(time.perf_counter() - t0)
            del result
    if stat == "all":
        return times
    pick = statistics.median if stat == "median" else min
    return {n: pick(times[n]) for n in names}
