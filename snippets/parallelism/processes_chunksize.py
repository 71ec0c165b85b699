"""Processes: Pool.map over many small tasks, and the chunksize that decides what IPC costs.

Pool.map does not send the tasks one by one unless you ask it to: it cuts the list into chunks
of `chunksize` tasks, and each chunk crosses to a worker and back as one message. Per chunk the
parent pickles the arguments and writes them to a pipe, a worker reads and unpickles them, runs
the tasks, and the results come back the same way; the parent's threads that feed and drain the
pipes handle every chunk, one at a time. That cost is per chunk, not per task: with chunksize 1
it is paid for every task, and when the tasks are small it is most of the time.

The size is the chunksize; the tasks are the same at every size: TASKS calls of a function that
runs a few microseconds of pure Python. The pool (one process per usable core) is started in
setup(), outside the timing. The other variant runs the same calls with the built-in map, in
this process: it does not depend on the chunksize, and it is the line the pool has to beat.
Past a point the chunks are too few to keep every worker busy: with one chunk, one worker does
all the work while the others wait.

Run it:  python processes_chunksize.py            (chunksize 1 to 4,096, a few seconds)
         python processes_chunksize.py --quick    (a few hundred tasks, a second)
"""

import multiprocessing
import os

TITLE = "Pool.map over many small tasks against map in one process, by chunksize"
UNIT = "task"
SIZE_UNIT = "tasks per chunk"
QUICK_SIZES = [1, 64]
SIZES = [1, 4, 16, 64, 256, 1024, 4096]
BUDGET_S = 10
TASKS = 4096  # a chunk of 4,096 tasks is the whole list: one chunk, one busy worker
QUICK_OVERRIDES = {"TASKS": 256}
TIMEOUT_S = 60  # a map that has not returned by then fails the call


def usable_cores():
    """The cores this process may run on: its affinity mask, not every core the OS reports."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # Linux and some other Unixes
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def small_task(i):
    """A few microseconds of pure Python; the answer depends on i, so that every task counts."""
    total = 0
    for k in range(100 + i % 64):
        total += k * k
    return total % 1000 + i


def setup(n):
    """The task list, and a pool of one process per usable core (started here, not in the timing)."""
    return {"items": list(range(TASKS)), "chunksize": n, "pool": multiprocessing.Pool(usable_cores())}


def teardown(data):
    data["pool"].terminate()  # stops the workers at once, and joins them
    data["pool"].join()


def work(n):
    """Tasks per call: the same at every chunksize."""
    return TASKS


def pool_map(data):
    return data["pool"].map_async(small_task, data["items"], chunksize=data["chunksize"]).get(TIMEOUT_S)


def plain_map(data):
    return list(map(small_task, data["items"]))


VARIANTS = {"Pool.map": pool_map, "map in one process": plain_map}


def agree(outputs):
    """Both variants return the same results, in order."""
    first, *others = (list(answer) for answer in outputs.values())
    return all(other == first for other in others)


CLAIMS = {
    # One chunk per task: two pickles, two pipe messages and a wake-up per task, in the parent's threads.
    "chunks-amortize": {"variant": "Pool.map", "faster_at": 256, "slower_at": 1, "by_at_least": 4},
    "chunksize-1-loses": {"faster": "map in one process", "slower": "Pool.map", "at": 1, "by_at_least": 2},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
