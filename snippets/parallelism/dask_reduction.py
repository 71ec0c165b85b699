"""Dask: one large reduction in one process, on Dask's threads, and on a Dask cluster of processes.

The computation is the sum of sin(x) over n float64 values in [0, 1). Each value costs a sine
from the C library (many cycles), so the arithmetic, not the memory, sets the pace. NumPy runs it
as one call, on one core. Dask cuts the array into chunks, two per worker, and makes a task graph
of it: one task per chunk (its sines and their sum), then tasks adding up the partial sums. The
same expression, `da.sin(x).sum()`, is computed by two schedulers; only `scheduler=` differs:

- dask threads: Dask's threaded scheduler runs the tasks on a pool of one thread per usable core,
  in this process. NumPy releases the GIL inside each ufunc, so the threads compute at once.
- dask cluster: a `distributed` scheduler sends the tasks to worker processes, one per usable
  core, each with one thread. Their chunks were made there, in setup(), as a real cluster keeps
  its data where it was loaded: a call sends tasks and gets back floats, never an array. Each
  task is messages, client to scheduler to worker and back, through sockets and event loops.

Both pay a cost per call and per task that does not depend on the size of a chunk, and both
divide the sines between their workers. A small array pays the cost and gains nothing; a large
one amortizes it. The cluster, a LocalCluster bound to 127.0.0.1, is started in setup() and
closed in teardown(), outside the timing, each bounded by a timeout; its workers start with this
process's start method (fork, forkserver or spawn).

On a cluster you already run, pass its scheduler's address, `--scheduler tcp://host:8786`, or
set BIM_DASK_SCHEDULER: the same code runs there, on chunks made on its workers.

Run it:  python dask_reduction.py                                (full sizes, about ten seconds)
         python dask_reduction.py --quick                        (small arrays, a few seconds)
         python dask_reduction.py --scheduler tcp://HOST:8786    (the cluster variant on your cluster)
"""

import argparse
import gc
import logging
import multiprocessing
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, futures_of
from distributed.comm import registry
from distributed.comm.addressing import parse_address, parse_host_port

TITLE = "The sum of sin(x) over n float64 values: NumPy in one process, Dask's threads, a Dask cluster"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [2**12, 2**16]
# From an array NumPy sums before Dask has planned its graph to one whose sines take long enough
# to share out; from a working set in L2 to one past the L3 of most machines. A sine costs the
# same wherever its input is: the size sets how much arithmetic there is against a fixed cost.
SIZES = [2**12, 2**16, 2**20, 2**22, 3 * 2**23]
BUDGET_S = 12
CHUNKS_PER_WORKER = 2  # enough to keep every worker busy; each chunk more is a task more
SCHEDULER_ENV = "BIM_DASK_SCHEDULER"  # a scheduler's address: run the cluster variant there
START_TIMEOUT_S = 60  # a worker process that has not started by then fails setup()
CONNECT_TIMEOUT_S = 10  # a scheduler that has not answered (or has no worker) by then fails setup()
CLOSE_TIMEOUT_S = 30  # closing the client and the cluster is bounded too


def usable_cores():
    """The cores this process may run on: its affinity mask, not every core the OS reports."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # Linux and some other Unixes
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def address_problem(address):
    """Why `address` names no scheduler (it needs a protocol's host:port, tcp:// by default), or None."""
    try:
        scheme, location = parse_address(address, strict=False)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as error:
        return f"{address!r} is not a scheduler address like tcp://host:8786 ({error})"
    if scheme not in registry.backends or scheme == "inproc":
        known = ", ".join(f"{s}://" for s in registry.backends if s != "inproc")
        return f"{address!r}: unknown protocol {scheme}://; use one of {known}"
    if not host or not 0 < port < 65536:
        return f"{address!r} needs a host and a port between 1 and 65535, like tcp://host:8786"
    return None


def scheduler_from_command_line(argv=None):
    """`--scheduler ADDRESS`, checked here, then handed to setup() as BIM_DASK_SCHEDULER (the only
    way the harness, which reads no option but --quick, can pass an address too)."""

    def checked(address):
        if problem := address_problem(address):
            raise argparse.ArgumentTypeError(problem)
        return address

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument(
        "--scheduler",
        type=checked,
        metavar="tcp://HOST:PORT",
        help=f"run the cluster variant on this scheduler (default: ${SCHEDULER_ENV}, else a local cluster)",
    )
    scheduler = parser.parse_known_args(argv)[0].scheduler
    if scheduler:
        os.environ[SCHEDULER_ENV] = scheduler


_announced = set()  # scheduler addresses already named on stderr


def connect(workers):
    """A client of the scheduler at BIM_DASK_SCHEDULER, or of a new LocalCluster of `workers`
    one-threaded processes, everything bound to 127.0.0.1; returns (client, cluster or None)."""
    address = os.environ.get(SCHEDULER_ENV)
    if address:
        return _client_of(address), None
    settings = {"distributed.worker.multiprocessing-method": multiprocessing.get_start_method()}
    with dask.config.set(settings):  # the caller's start method, not Dask's default (spawn)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",  # scheduler and workers listen on loopback only
            dashboard_address=None,  # no web dashboard; the scheduler's own HTTP routes on a free port:
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.WARNING,
            death_timeout=START_TIMEOUT_S,
        )
    try:
        return Client(cluster, timeout=CONNECT_TIMEOUT_S, set_as_default=False), cluster
    except BaseException:
        cluster.close(timeout=CLOSE_TIMEOUT_S)
        raise


def _client_of(address):
    where = f"{SCHEDULER_ENV} (or --scheduler)"
    if problem := address_problem(address):
        raise SystemExit(f"{where}: {problem}")
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except OSError as error:
        raise SystemExit(f"{where}: no scheduler answered at {address} within {CONNECT_TIMEOUT_S} s: {error}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except BaseException as error:
        client.close(timeout=CLOSE_TIMEOUT_S)
        if isinstance(error, TimeoutError):
            raise SystemExit(f"{where}: the scheduler at {address} has no worker after {CONNECT_TIMEOUT_S} s") from None
        raise
    if address not in _announced:
        _announced.add(address)
        threads = client.nthreads()
        print(f"dask cluster: the scheduler at {address}, {len(threads)} workers", file=sys.stderr)
    return client


def disconnect(client, cluster):
    """Close the client, then the cluster if this process started it; each bounded in time."""
    try:
        client.close(timeout=CLOSE_TIMEOUT_S)
    finally:
        if cluster is not None:
            cluster.close(timeout=CLOSE_TIMEOUT_S)


def chunked(n, chunks):
    """The n values as a Dask array in `chunks` chunks, each made where the array is computed."""
    return da.arange(n, chunks=-(-n // chunks), dtype=np.float64) * (1.0 / n)


def setup(n):
    """The n values in [0, 1) three times: an ndarray here, chunks here, chunks on the cluster's
    workers (two per worker); the sum over each, a pool of one thread per usable core, the client."""
    cores = usable_cores()
    client, cluster = connect(cores)
    pool = ThreadPoolExecutor(max_workers=cores)
    try:
        chunks = CHUNKS_PER_WORKER * sum(client.nthreads().values())  # the same chunks for both schedulers
        there = client.persist(chunked(n, chunks))  # made on the workers, kept in their memory; meanwhile:
        x = np.arange(n, dtype=np.float64)
        x *= 1.0 / n  # the same values as chunked(n, chunks), to the bit
        sines = np.full(n, 0.0)  # NumPy's output, allocated and touched once: no call pays page faults for it
        here = chunked(n, chunks).persist(scheduler="sync")  # made in this process, kept in its memory
        held = client.gather(client.map(np.size, futures_of(there)))  # waits until every chunk is made
        assert sum(held) == n, f"the workers hold {sum(held)} values of {n}"
        data = {
            "x": x,
            "sines": sines,
            "sums": {"dask threads": da.sin(here).sum(), "dask cluster": da.sin(there).sum()},
            "pool": pool,
            "cores": cores,
            "client": client,
            "cluster": cluster,
        }
    except BaseException:
        pool.shutdown()
        disconnect(client, cluster)
        raise
    # The harness collects garbage before each sample, outside the timing. With Dask loaded, a full
    # collection walks every object that Dask and distributed made at import, at every sample.
    # Frozen, they are skipped until teardown; the timed calls run with the collector off anyway.
    gc.freeze()
    return data


def teardown(data):
    gc.unfreeze()
    data["pool"].shutdown()
    disconnect(data["client"], data["cluster"])


def numpy_one_process(data):
    return float(np.sin(data["x"], out=data["sines"]).sum())


def dask_threads(data):
    return float(data["sums"]["dask threads"].compute(scheduler="threads", pool=data["pool"]))


def dask_cluster(data):
    return float(data["sums"]["dask cluster"].compute(scheduler=data["client"]))


VARIANTS = {"numpy": numpy_one_process, "dask threads": dask_threads, "dask cluster": dask_cluster}


def agree(outputs):
    """The three sums agree to rounding: they add the same values in different orders."""
    first, *others = (float(np.asarray(answer)) for answer in outputs.values())
    return all(np.isclose(other, first, rtol=1e-10, atol=0) for other in others)


def working_set(n):
    """Bytes one call touches: n float64 values, and as many sines (NumPy's output array)."""
    return 16 * n


def counters(variant, data):
    """The workers that share one call; for the cluster, whether this process started it on
    127.0.0.1 (1) or was given a scheduler's address (0)."""
    if variant == "numpy":
        return {"workers": 1}
    if variant == "dask threads":
        return {"workers": data["cores"]}
    return {"workers": len(data["client"].nthreads()), "local cluster": int(data["cluster"] is not None)}


CLAIMS = {
    # A few thousand sines against the fixed cost of a Dask call: a graph to plan, hand-offs between
    # threads, and for the cluster messages between processes, batched a few milliseconds apart.
    "cluster-loses-small": {"faster": "numpy", "slower": "dask cluster", "at": 2**12, "by_at_least": 20},
    "threads-lose-small": {"faster": "numpy", "slower": "dask threads", "at": 2**12, "by_at_least": 5},
    # Enough sines per call that the fixed costs are lost in them, shared between two cores or more.
    "threads-win-large": {"faster": "dask threads", "slower": "numpy", "at": 3 * 2**23, "by_at_least": 1.25},
    "cluster-wins-large": {"faster": "dask cluster", "slower": "numpy", "at": 3 * 2**23, "by_at_least": 1.1},
    # A sine costs more cycles than its eight bytes take to arrive from any level of the memory:
    # from a working set in L2 to one past L3, NumPy's time per value hardly moves.
    "numpy-flat-past-the-caches": {"variant": "numpy", "faster_at": 2**16, "slower_at": 3 * 2**23, "by_at_most": 1.5},
}


if __name__ == "__main__":
    from pathlib import Path

    scheduler_from_command_line()  # --scheduler ADDRESS: the cluster variant runs there
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
