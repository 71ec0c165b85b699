"""numexpr's threads: one compound expression over large arrays, on 1 to 8 threads.

The size here is the number of numexpr threads; the arrays and the expression are fixed:
2*a + 3*b*c - a*b over ten million floats, past the L3 of most machines. numexpr cuts the arrays
into blocks, and its threads take them in turn, each evaluating the whole expression on its
block in its own cache. NumPy runs beside it on one thread, whatever numexpr's setting: it has no
threads of its own for elementwise arithmetic, so its time is one flat line to hold numexpr's
against.

numexpr's threads are started in setup() (numexpr.set_num_threads(k)), never inside the timing.
Both variants write into a result array allocated once; NumPy still allocates its temporaries
in every call.

Run it:  python numexpr_threads.py            (1 to 8 threads, about ten seconds)
         python numexpr_threads.py --quick    (a small array, one and two threads, a second)
"""

import functools
import os
import time

import numexpr as ne
import numpy as np

TITLE = "2*a + 3*b*c - a*b over fixed arrays: numexpr on k threads against NumPy on one"
UNIT = "element"
SIZE_UNIT = "threads"
QUICK_SIZES = [1, 2]
# From one thread to more than the reference machines' cores, and than many laptops'.
SIZES = [1, 2, 3, 4, 6, 8]
BUDGET_S = 10
N = 10_000_000  # 32 bytes per element (a, b, c and the result): 320 MB, as at the break-even's largest size
QUICK_OVERRIDES = {"N": 100_000}
EXPRESSION = "2*a + 3*b*c - a*b"


def usable_cores():
    """The cores this process may run on: its affinity mask, not every core the OS reports."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # Linux and some other Unixes
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@functools.cache
def _arrays(n):
    """The inputs and each variant's result, built once for every thread count; the results are
    written here, so that their pages are mapped before anything is timed."""
    rng = np.random.default_rng(42)
    arrays = {name: rng.random(n) for name in "abc"}
    return arrays | {"numexpr out": np.full(n, np.nan), "numpy out": np.full(n, np.nan)}


def setup(threads):
    """The arrays, and numexpr's pool of worker threads started now, not inside a timed call."""
    ne.set_num_threads(threads)
    return dict(_arrays(N))


def work(threads):
    """Elements per call: the same for every thread count."""
    return N


def numexpr_threads(data):
    a, b, c = data["a"], data["b"], data["c"]  # noqa: F841 (numexpr reads them by name)
    return ne.evaluate(EXPRESSION, out=data["numexpr out"])


def numpy_expression(data):
    a, b, c = data["a"], data["b"], data["c"]
    return np.subtract(2 * a + 3 * b * c, a * b, out=data["numpy out"])


VARIANTS = {"numexpr": numexpr_threads, "numpy": numpy_expression}


def agree(outputs):
    """Both give the same n values, up to rounding."""
    numexpr, numpy = (np.asarray(outputs[v], dtype=float) for v in ("numexpr", "numpy"))
    return bool(np.allclose(numexpr, numpy, rtol=1e-12, atol=0))


def counters(variant, data):
    """For one call: the cores this process may use, and how many the call kept busy on average
    (the CPU time of all its threads over the wall time)."""
    cpu, wall = time.process_time(), time.perf_counter()
    VARIANTS[variant](data)
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return {"usable cores": usable_cores(), "busy cores": round(busy, 2)}


CLAIMS = {
    # Each thread evaluates its own blocks: a second core adds its arithmetic and its share of memory traffic.
    "two-threads-scale": {"variant": "numexpr", "faster_at": 2, "slower_at": 1, "by_at_least": 1.2},
    # On two threads, numexpr's single pass beats NumPy's six passes and their temporaries.
    "beats-numpy-on-two": {"faster": "numexpr", "slower": "numpy", "at": 2, "by_at_least": 1.3},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
