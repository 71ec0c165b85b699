"""Processes: how large a task must be before a pool beats running it in one process.

Handing a task to a pool costs the same whatever the task does: pickle its arguments, send them
through a pipe, wake a worker, unpickle; then the result comes back the same way. A pool of k
workers divides the work by at most k, and adds that cost to every task. When the task is
smaller than that cost, the pool loses to a plain loop; past some task size it wins, and the
more work per task, the closer it gets to k times faster. That size is the break-even.

The work is fixed at TASKS tasks; the size is how much each one does: the iterations of a
pure-Python loop (a few tens of nanoseconds each). Both variants run the same function on the
same tasks: in this process one after the other, or with Pool.map on a pool of one process per
usable core, started in setup(), outside the timing. Pool.map's default chunksize cuts the
tasks into about four chunks per worker.

Run it:  python processes_break_even.py            (10 to 1,000,000 iterations per task, a few seconds)
         python processes_break_even.py --quick    (small tasks, a second)
"""

import multiprocessing
import os

TITLE = "A fixed number of pure-Python tasks, in one process and on a pool of every usable core"
UNIT = "task"
SIZE_UNIT = "iterations per task"
QUICK_SIZES = [10, 10_000]
SIZES = [10, 100, 1_000, 3_000, 10_000, 30_000, 100_000, 1_000_000]
BUDGET_S = 10
TASKS = 8  # as many tasks as a laptop has cores; a pool of k workers takes them k at a time
TIMEOUT_S = 120  # a map that has not returned by then fails the call


def usable_cores():
    """The cores this process may run on: its affinity mask, not every core the OS reports."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # Linux and some other Unixes
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def spin(iterations):
    """CPU-bound pure Python: `iterations` steps of integer arithmetic, no memory to speak of."""
    total = 0
    for i in range(iterations):
        total += i % 7
    return total


def setup(n):
    """The tasks (each n iterations), and a pool of one process per usable core."""
    return {"tasks": [n] * TASKS, "pool": multiprocessing.Pool(usable_cores())}


def teardown(data):
    data["pool"].terminate()  # stops the workers at once, and joins them
    data["pool"].join()


def work(n):
    """Tasks per call, at every size."""
    return TASKS


def serial(data):
    return [spin(n) for n in data["tasks"]]


def pool_all_cores(data):
    return data["pool"].map_async(spin, data["tasks"]).get(TIMEOUT_S)


VARIANTS = {"serial": serial, "pool, all cores": pool_all_cores}


def agree(outputs):
    """Both variants return the same totals, in order."""
    first, *others = (list(answer) for answer in outputs.values())
    return all(other == first for other in others)


CLAIMS = {
    # A task of a few nanoseconds against a round trip through pipes and another process.
    "serial-wins-small": {"faster": "serial", "slower": "pool, all cores", "at": 10, "by_at_least": 10},
    # Tens of milliseconds per task: the round trip is lost in it, and two cores or more share the work.
    "pool-wins-large": {"faster": "pool, all cores", "slower": "serial", "at": 1_000_000, "by_at_least": 1.4},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
