"""numexpr against NumPy: from which array size does the whole-expression evaluator win?

NumPy evaluates 2*a + 3*b*c - a*b one operator at a time: six passes over full-size arrays, and
a temporary array for each intermediate result. numexpr compiles the expression once, then
evaluates all of it on one block of the arrays at a time, small enough that the intermediate
values stay in the core's own caches: it reads a, b and c once and writes the result once.
It also splits the blocks among its own threads. But every call first goes through Python code
(finding the compiled expression, checking its arguments, building an iterator) and, on several
threads, hands the blocks to threads that are waiting for them: a fixed cost per call that a
small array cannot repay.

Both write their result into an array allocated once, in setup(): the result costs the same
whichever way it is computed, so only what differs is timed. NumPy's temporaries are still
allocated by every call, as they are in any program that writes the expression this way.

The variants:
- numpy: the expression as written, its last operation writing into the preallocated result.
- numexpr: ne.evaluate() on as many threads as this process may use cores.
- numexpr, 1 thread: the same on one thread. Against numpy, it shows what evaluating by blocks
  gains without threads; against numexpr, what the threads add.

numexpr has one thread count for the whole process. Each numexpr variant sets the count it needs
before its first call when the other variant has changed it: stopping and starting numexpr's
threads then happens once per sample of at least 20 ms, not once per call.

Run it:  python numexpr_break_even.py            (full sizes, about ten seconds)
         python numexpr_break_even.py --quick    (two small sizes, a second)
"""

import os
import resource
import time

import numexpr as ne
import numpy as np

TITLE = "2*a + 3*b*c - a*b over n floats: NumPy against numexpr on one thread and on every usable core"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [100, 100_000]
# 32 bytes per element (a, b, c and the result), NumPy's temporaries besides: from arrays in L1,
# in steps of about three from 1,000 to a million, to 320 MB, past the L3 of most machines.
# numexpr hands blocks to its threads only from two blocks of 1,024 elements on: 3,000 is just past.
SIZES = [100, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 10_000_000]
BUDGET_S = 12
EXPRESSION = "2*a + 3*b*c - a*b"


def usable_cores():
    """The cores this process may run on: its affinity mask, not every core the OS reports."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):  # Linux and some other Unixes
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def working_set(n):
    """Bytes numexpr streams: the float64 inputs a, b and c and the float64 result."""
    return 32 * n


def setup(n):
    """Three random inputs, one preallocated result per variant (written once here, so that its
    pages are mapped before anything is timed), and numexpr's threads started for every core."""
    rng = np.random.default_rng(42)
    data = {name: rng.random(n) for name in "abc"}
    for variant in VARIANTS:
        data[variant] = np.full(n, np.nan)
    data["threads"] = min(usable_cores(), ne.MAX_THREADS)
    ne.set_num_threads(data["threads"])
    return data


def numpy_expression(data):
    a, b, c = data["a"], data["b"], data["c"]
    return np.subtract(2 * a + 3 * b * c, a * b, out=data["numpy"])


def _use_threads(threads):
    if ne.get_num_threads() != threads:  # the other numexpr variant ran last
        ne.set_num_threads(threads)


def numexpr_all_cores(data):
    _use_threads(data["threads"])
    a, b, c = data["a"], data["b"], data["c"]  # noqa: F841 (numexpr reads them by name)
    return ne.evaluate(EXPRESSION, out=data["numexpr"])


def numexpr_one_thread(data):
    _use_threads(1)
    a, b, c = data["a"], data["b"], data["c"]  # noqa: F841 (numexpr reads them by name)
    return ne.evaluate(EXPRESSION, out=data["numexpr, 1 thread"])


VARIANTS = {
    "numpy": numpy_expression,
    "numexpr": numexpr_all_cores,
    "numexpr, 1 thread": numexpr_one_thread,
}


def agree(outputs):
    """The same n values from every variant, up to rounding (numexpr may group the arithmetic
    differently, and its block loop may use other instructions)."""
    reference = np.asarray(outputs["numpy"], dtype=float)
    return all(np.allclose(np.asarray(r, dtype=float), reference, rtol=1e-12, atol=0) for r in outputs.values())


def counters(variant, data):
    """Per call, averaged over calls lasting at least 10 ms, after one uncounted call (so that
    numexpr runs on its variant's threads, and malloc is in the state the timed calls see): the
    minor page faults it took, and how many cores it kept busy (the CPU time of all its threads
    over the wall time)."""
    f = VARIANTS[variant]
    f(data)
    calls = 0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    cpu, start = time.process_time(), time.perf_counter()
    while (wall := time.perf_counter() - start) < 0.01 or calls == 0:
        f(data)
        calls += 1
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    busy = (time.process_time() - cpu) / wall
    return {"minor page faults": round(faults / calls, 1), "busy cores": round(busy, 2)}


CLAIMS = {
    # On a tiny array, numexpr's fixed cost per call (Python code, then its iterator) is most of the call.
    "numexpr-loses-small": {"faster": "numpy", "slower": "numexpr", "at": 100, "by_at_least": 2},
    # Three blocks of work: waking numexpr's threads and waiting for the last costs more than they save.
    "threads-cost-small": {"faster": "numexpr, 1 thread", "slower": "numexpr", "at": 3_000, "by_at_least": 1.25},
    # In L2 on one core: NumPy's loop per operator (SIMD, specialised) outruns numexpr's interpreter.
    "numpy-wins-in-cache": {"faster": "numpy", "slower": "numexpr, 1 thread", "at": 10_000, "by_at_least": 1.2},
    # Past the caches, NumPy's six passes and its temporaries cost more than numexpr's one pass on every core.
    "numexpr-wins-large": {"faster": "numexpr", "slower": "numpy", "at": 10_000_000, "by_at_least": 1.1},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
