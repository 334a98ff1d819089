"""Keep N CPU cores busy beside a test run, to see that the tests hold on a loaded machine.

    python tools/busy.py 2 --watch PID     # two spinning processes until PID is gone
    ./lab test --busy 2 [pytest args]      # what ./lab does with it

Each spinner is a separate Python process running a pure-Python loop (no sleeping, no
I/O). They all stop when this process gets SIGTERM or SIGINT, when the watched process
(default: the parent) exits, even if it was killed and could not clean up, and, on Linux,
when this process itself is killed (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time

# How much pure-Python work a spinner does between two looks at the watched process
# (a look is one cheap system call; this keeps the spinner busy over 99.9 % of the time).
SPINS_PER_LOOK = 200_000


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def spin(watch: int) -> None:
    """Burn CPU until ``watch`` or this process's parent is gone (or this process is signalled)."""
    parent = os.getppid()
    while alive(watch) and os.getppid() == parent:
        for _ in range(SPINS_PER_LOOK):
            pass


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(n: int, watch: int) -> list[subprocess.Popen]:
    """Start ``n`` spinners that stop by themselves once ``watch`` is gone."""
    return [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--spin", "--watch", str(watch)],
                             stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
            for _ in range(n)]


def stop(procs: list[subprocess.Popen], grace: float = 5.0) -> None:
    for p in procs:
        with contextlib.suppress(ProcessLookupError):
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=1, help="number of busy processes (default 1)")
    parser.add_argument("--watch", type=int, default=os.getppid(),
                        help="stop when this process exits (default: the parent process)")
    parser.add_argument("--spin", action="store_true", help=argparse.SUPPRESS)  # one spinner, this process
    args = parser.parse_args(argv)
    if args.spin:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        spin(args.watch)
        return 0
    if args.n < 1:
        parser.error("n must be at least 1")

    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    procs = start(args.n, args.watch)
    print(f"==> {args.n} busy CPU process{'es' if args.n > 1 else ''} running beside the tests "
          f"(pids {', '.join(str(p.pid) for p in procs)})", file=sys.stderr, flush=True)
    try:
        while not stopping and alive(args.watch) and any(p.poll() is None for p in procs):
            time.sleep(0.5)  # (the supervisor's poll; the spinners themselves never sleep)
    finally:
        stop(procs)
    print("==> busy processes stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
