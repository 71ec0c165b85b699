"""Dask: what one task costs a scheduler, and how much work a task needs before a cluster pays.

The work is fixed at TASKS independent tasks; the size is how much each one does: the sines of n
float64 values it makes itself from its index (no input to send, one float back). The same
function runs three ways:

- serial: a plain loop in this process, one task after the other.
- dask threads: a graph of TASKS delayed calls and their sum, on Dask's threaded scheduler, with a
  pool of one thread per usable core.
- dask cluster: the same graph, the same call, with `scheduler=client`: a `distributed` scheduler
  and one worker process per usable core (a LocalCluster on 127.0.0.1, or the cluster named by
  `--scheduler` or BIM_DASK_SCHEDULER, as in dask_reduction.py).

At the smallest size a task does almost nothing, so the time per task is the scheduler's own
cost per task: building and ordering the graph, a thread's hand-off, and for the cluster the
messages between client, scheduler and worker, sent in batches a few milliseconds apart. That cost
does not grow with n; the work does, and the workers divide it. Where the two meet is the
break-even: below it a task is too small to send anywhere.

Run it:  python dask_overhead.py                                (full sizes, about ten seconds)
         python dask_overhead.py --quick                        (small tasks, a few seconds)
         python dask_overhead.py --scheduler tcp://HOST:8786    (the cluster variant on your cluster)
"""

import gc
import sys
from concurrent.futures import ThreadPoolExecutor

import cloudpickle
import dask
import numpy as np
from dask_reduction import connect, disconnect, scheduler_from_command_line, usable_cores

TITLE = "A fixed number of tasks of n sines each: in one process, on Dask's threads, on a Dask cluster"
UNIT = "task"
SIZE_UNIT = "elements per task"
QUICK_SIZES = [16, 4_096]
# From a task that is nearly all overhead to one whose sines outlast the scheduler's cost many times.
SIZES = [16, 1_024, 32_768, 262_144, 2_097_152]
BUDGET_S = 12
TASKS = 16  # a call is TASKS tasks and their sum; the workers take them as they free up


def task(i, n):
    """Task i: the sum of sin over its n points of [0, 1), made from i and n alone."""
    x = np.arange(i * n, (i + 1) * n, dtype=np.float64) * (1.0 / (TASKS * n))
    return float(np.sin(x, out=x).sum())


def setup(n):
    """The size, a pool of one thread per usable core, and a cluster of one process per usable core."""
    cores = usable_cores()
    # task() is pickled by value, not by the name of this file, which a remote worker does not have.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    pool = ThreadPoolExecutor(max_workers=cores)
    try:
        client, cluster = connect(cores)
    except BaseException:
        pool.shutdown()
        raise
    gc.freeze()  # as in dask_reduction.py: the collection before each sample skips what lives on
    return {"n": n, "cores": cores, "pool": pool, "client": client, "cluster": cluster}


def teardown(data):
    gc.unfreeze()
    data["pool"].shutdown()
    disconnect(data["client"], data["cluster"])


def work(n):
    """Tasks per call, at every size: the results are nanoseconds per task."""
    return TASKS


def serial(data):
    return sum(task(i, data["n"]) for i in range(TASKS))


def graph(n):
    """TASKS delayed calls and their sum: a new graph, with new keys, for every call."""
    return dask.delayed(sum)([dask.delayed(task)(i, n) for i in range(TASKS)])


def dask_threads(data):
    return graph(data["n"]).compute(scheduler="threads", pool=data["pool"])


def dask_cluster(data):
    return graph(data["n"]).compute(scheduler=data["client"])


VARIANTS = {"serial": serial, "dask threads": dask_threads, "dask cluster": dask_cluster}


def agree(outputs):
    """The same tasks, summed in the same order: the same total, to rounding."""
    first, *others = (float(np.asarray(answer)) for answer in outputs.values())
    return all(np.isclose(other, first, rtol=1e-10, atol=0) for other in others)


def counters(variant, data):
    """The workers that share the tasks; for the cluster, whether this process started it (1) or
    was given a scheduler's address (0)."""
    if variant == "serial":
        return {"workers": 1}
    if variant == "dask threads":
        return {"workers": data["cores"]}
    return {"workers": len(data["client"].nthreads()), "local cluster": int(data["cluster"] is not None)}


CLAIMS = {
    # Sixteen sines against a scheduler's cost per task.
    "cluster-loses-small": {"faster": "serial", "slower": "dask cluster", "at": 16, "by_at_least": 20},
    "threads-lose-small": {"faster": "serial", "slower": "dask threads", "at": 16, "by_at_least": 5},
    # The cost per task is the scheduler's, not the work's: it hardly changes while tasks stay small.
    "cluster-cost-fixed": {"variant": "dask cluster", "faster_at": 16, "slower_at": 1_024, "by_at_most": 1.5},
    # A hand-off between threads of one process against messages between processes.
    "threads-cheaper-than-cluster": {"faster": "dask threads", "slower": "dask cluster", "at": 16, "by_at_least": 3},
    # Tasks far longer than the scheduler's cost per task: it is lost in them, and the workers share them.
    "threads-win-large": {"faster": "dask threads", "slower": "serial", "at": 2_097_152, "by_at_least": 1.3},
    "cluster-wins-large": {"faster": "dask cluster", "slower": "serial", "at": 2_097_152, "by_at_least": 1.1},
}


if __name__ == "__main__":
    from pathlib import Path

    scheduler_from_command_line()  # --scheduler ADDRESS: the cluster variant runs there
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
