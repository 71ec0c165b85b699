"""The GIL: the same work on k workers, as threads, as processes, and in one thread.

CPython's global interpreter lock lets one thread at a time run Python bytecode. Threads that
run Python code therefore take turns, however many cores there are; threads that wait (on a
sleep, a socket, a file) or that run C code which lets go of the lock (NumPy's loops) do not
hold it, and run at the same time. Processes each have an interpreter, and a lock, of their
own. A free-threaded build (3.13t, 3.14t) has no GIL: there pure-Python threads run at once.

Five variants, each a fixed amount of work cut into k equal parts, one per worker. The pools
are started in setup(), outside the timing:

- pure Python, serial: the whole series in the calling thread, whatever k is (the baseline);
- pure Python, threads: the same series, a slice per thread of a ThreadPoolExecutor;
- pure Python, processes: the same series, a slice per process of a multiprocessing Pool;
- NumPy, threads: np.sin over an array of floats, a slice per thread;
- blocking waits, threads: WAITS sleeps of WAIT_S each, shared among the threads.

Run it:  python gil.py            (1 to 8 workers, about ten seconds)
         python gil.py --quick    (1 and 2 workers, a second)
"""

import functools
import itertools
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

TITLE = "Fixed work over k workers: Python and NumPy in threads, Python in processes, waits in threads"
UNIT = "call"
SIZE_UNIT = "workers"
QUICK_SIZES = [1, 2]
SIZES = [1, 2, 4, 8]
BUDGET_S = 15
ITERATIONS = 1_000_000  # enough arithmetic that a pool's messages are small beside it
ELEMENTS = 2**20  # sin costs many cycles per element: its arithmetic sets the pace, in cache or not
WAITS, WAIT_S = 16, 0.002
QUICK_OVERRIDES = {"ITERATIONS": 50_000, "ELEMENTS": 2**14, "WAITS": 4}


def partial_sum(start, stop):
    """Pure-Python arithmetic: every step is bytecode, run under the GIL where there is one."""
    return sum(i * i % 7 for i in range(start, stop))


def wait(count):
    """Blocking waits: time.sleep lets go of the GIL, as a read from a socket or a file does."""
    for _ in range(count):
        time.sleep(WAIT_S)
    return count


@functools.cache
def _arrays(elements):
    x = np.linspace(0.0, 100.0, elements)
    return x, np.empty_like(x)


def setup(n):
    """n threads and n processes, started and warmed up, and the slices each worker takes."""
    threads, processes = ThreadPoolExecutor(max_workers=n), multiprocessing.Pool(n)
    processes.map(abs, range(n))  # every process has started and answered once
    x, out = _arrays(ELEMENTS)
    return {
        "workers": n,
        "threads": threads,
        "processes": processes,
        "bounds": [ITERATIONS * i // n for i in range(n + 1)],
        "slices": [slice(ELEMENTS * i // n, ELEMENTS * (i + 1) // n) for i in range(n)],
        "waits": [WAITS * (i + 1) // n - WAITS * i // n for i in range(n)],
        "x": x,
        "out": out,
    }


def teardown(data):
    data["threads"].shutdown()
    data["processes"].terminate()
    data["processes"].join()


def python_serial(data):
    return partial_sum(0, ITERATIONS)


def python_threads(data):
    bounds = data["bounds"]
    return sum(data["threads"].map(partial_sum, bounds, bounds[1:]))


def python_processes(data):
    bounds = data["bounds"]
    return sum(data["processes"].starmap(partial_sum, itertools.pairwise(bounds)))


def _sin_slice(x, out):
    np.sin(x, out=out)


def numpy_threads(data):
    x, out = data["x"], data["out"]
    list(data["threads"].map(_sin_slice, [x[s] for s in data["slices"]], [out[s] for s in data["slices"]]))
    return out


def waits_threads(data):
    return sum(data["threads"].map(wait, data["waits"]))


VARIANTS = {
    "pure Python, serial": python_serial,
    "pure Python, threads": python_threads,
    "pure Python, processes": python_processes,
    "NumPy, threads": numpy_threads,
    "blocking waits, threads": waits_threads,
}


def work(n):
    """One call is the whole of the work, whatever the number of workers."""
    return 1


def agree(outputs):
    """The three Python variants sum the same series; NumPy's sin matches the library's; every wait was made."""
    python = {float(outputs[v]) for v in ("pure Python, serial", "pure Python, threads", "pure Python, processes")}
    x, _ = _arrays(ELEMENTS)
    sines = np.allclose(outputs["NumPy, threads"], np.sin(x), rtol=0, atol=1e-12)
    return len(python) == 1 and sines and float(outputs["blocking waits, threads"]) == WAITS


CLAIMS = {
    # With a GIL, two threads of Python take turns: no faster than one (the reference build has one).
    "python-threads-take-turns": {
        "variant": "pure Python, threads",
        "faster_at": 2,
        "slower_at": 1,
        "by_at_most": 1.2,
    },
    "python-processes-scale": {"variant": "pure Python, processes", "faster_at": 2, "slower_at": 1, "by_at_least": 1.2},
    "processes-beat-threads": {
        "faster": "pure Python, processes",
        "slower": "pure Python, threads",
        "at": 2,
        "by_at_least": 1.2,
    },
    # NumPy lets go of the GIL inside sin's loop: its threads run at once.
    "numpy-threads-scale": {"variant": "NumPy, threads", "faster_at": 2, "slower_at": 1, "by_at_least": 1.25},
    # A thread that waits holds no core and no lock: eight threads wait eight times at once, on any core count.
    "waits-overlap": {"variant": "blocking waits, threads", "faster_at": 8, "slower_at": 1, "by_at_least": 5},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
