"""Processes: what starting one costs, with each start method this platform offers.

The size is the number of processes started together. Each runs a function that returns at
once; a call starts them all, then joins them all, so what it costs is the start method's work
and nothing else:

- fork (POSIX): the OS duplicates this process: its page tables, not its memory (copy on
  write). The child runs the function at once, with everything the parent had imported.
- spawn (every platform): a fresh interpreter starts, imports multiprocessing, runs the
  parent's main module again (as __mp_main__, so its `if __name__ == "__main__":` part does not
  run), imports the module that defines the target, and only then runs it. A heavy import in
  either (NumPy, say) is paid again by every process.
- forkserver (POSIX): on first use, a server process starts (a fresh interpreter; the harness's
  warm-up call pays for it); after that, each new process is forked from the server on request,
  and is sent the pickled process object through a pipe.

Several processes started at once boot side by side, on as many cores as there are.
This file imports only the standard library, so that spawn's cost is the interpreter's own.

Run it:  python processes_startup.py            (1 to 8 processes per call, about five seconds)
         python processes_startup.py --quick    (1 and 2 processes, a second)
"""

import functools
import multiprocessing

TITLE = "Starting k processes that do nothing, and joining them, with each start method"
UNIT = "process"
SIZE_UNIT = "processes"
QUICK_SIZES = [1, 2]
SIZES = [1, 2, 4, 8]
BUDGET_S = 10
JOIN_S = 60  # a child that has not exited by then is killed, and the call fails


def setup(n):
    return {"processes": n}


def nothing():
    """The child's whole work. Module-level, so that spawn and forkserver children import it by name."""


def start_and_join(method, data):
    """Start the processes, then join them; the exit codes say each one ran and exited cleanly."""
    context = multiprocessing.get_context(method)
    children = [context.Process(target=nothing) for _ in range(data["processes"])]
    try:
        for child in children:
            child.start()
        for child in children:
            child.join(JOIN_S)
    finally:
        for child in children:
            if child.is_alive():
                child.kill()
                child.join()
    return [child.exitcode for child in children]


# fork, forkserver and spawn on Linux (each is one variant); spawn alone on Windows.
VARIANTS = {
    method: functools.partial(start_and_join, method)
    for method in ("fork", "forkserver", "spawn")
    if method in multiprocessing.get_all_start_methods()
}


def agree(outputs):
    """Every variant started the same number of processes, and each exited with code 0."""
    codes = [list(answer) for answer in outputs.values()]
    return len({len(c) for c in codes}) == 1 and all(code == 0 for c in codes for code in c)


CLAIMS = {
    # fork copies page tables; spawn starts an interpreter and imports modules.
    "fork-beats-spawn": {"faster": "fork", "slower": "spawn", "at": 1, "by_at_least": 5},
    "fork-beats-spawn-at-8": {"faster": "fork", "slower": "spawn", "at": 8, "by_at_least": 5},
    # A forkserver start is a fork, plus a request to the server and the process object sent through a pipe.
    "fork-beats-forkserver": {"faster": "fork", "slower": "forkserver", "at": 4, "by_at_least": 1.3},
    # A forkserver child is forked from an interpreter already running: no interpreter start, no imports.
    "forkserver-beats-spawn": {"faster": "forkserver", "slower": "spawn", "at": 4, "by_at_least": 2},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
