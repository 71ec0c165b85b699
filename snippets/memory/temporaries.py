"""Temporaries: what a full-size intermediate array costs when computing 2*a + b.

Written as an expression, NumPy evaluates one operator at a time and each returns a new array.
(NumPy elides the temporary of `2*a` in an operator expression once the arrays reach 256 KiB:
it adds b into that temporary in place, so `2*a + b` allocates one new array, `np.add(2*a, b)`
two.) A fresh array above malloc's mmap threshold comes from the kernel as untouched pages, each
zeroed on its first write by a page fault, and every temporary is one more trip through memory.
Writing into a preallocated array with `out=` allocates nothing; numexpr evaluates the whole
expression block by block in cache, in one pass. The outputs go to separate, preallocated arrays
rather than updating `a` in place: an in-place `a *= 2; a += b` would change the input on every
call (doubling it until it overflows to inf) and each variant would be timed on different data.

Run it:  python temporaries.py            (full sizes, about ten seconds)
         python temporaries.py --quick    (small sizes, a second)
"""

import resource
import tracemalloc

import numexpr as ne
import numpy as np

TITLE = "Computing 2*a + b over n floats, with and without temporaries"
UNIT = "element"  # results are reported per element
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 100_000]
# 24 bytes per element (a, b and the result): 10**3 fit in L1, 10**4 in L2, 10**6 in a large L3,
# 4.5 * 10**7 (1 GiB) only in RAM. 10**7 (240 MB) would sit on the edge of a large L3: it is left
# out because fresh memory can be slow to touch in a virtual machine and the budget is short.
SIZES = [1_000, 10_000, 100_000, 1_000_000, 45_000_000]
# Two fresh temporaries of 360 MB per call would make the top size the slowest point by far.
LIMITS = {"naive, no elision": 1_000_000}
BUDGET_S = 15

# numexpr would otherwise use every core: here every variant runs on one core.
ne.set_num_threads(1)


def working_set(n):
    """Bytes the expression streams: the float64 inputs a and b and the float64 result."""
    return 24 * n


def setup(n):
    """Two random inputs, and one output array per variant that writes into preallocated memory.

    The outputs are written once here, so their pages are mapped before anything is timed.
    """
    rng = np.random.default_rng(42)
    return {
        "a": rng.random(n),
        "b": rng.random(n),
        "out": np.full(n, np.nan),
        "numexpr out": np.full(n, np.nan),
    }


def naive(data):
    return 2 * data["a"] + data["b"]


def naive_no_elision(data):
    """Called as functions, the ufuncs cannot reuse the temporary: 2*a and the sum are both new."""
    return np.add(np.multiply(data["a"], 2), data["b"])


def preallocated_out(data):
    c = data["out"]
    np.multiply(data["a"], 2, out=c)
    return np.add(c, data["b"], out=c)


def numexpr_out(data):
    a, b = data["a"], data["b"]  # noqa: F841 (numexpr reads them by name)
    return ne.evaluate("2*a + b", out=data["numexpr out"])


VARIANTS = {
    "naive": naive,
    "naive, no elision": naive_no_elision,
    "out=": preallocated_out,
    "numexpr": numexpr_out,
}


def agree(results):
    """All variants must return the same n values, bit for bit: 2*a is exact and the sum rounds once."""
    reference = results["naive"]
    return all(np.array_equal(np.asarray(r), reference) for r in results.values())


def counters(variant, data):
    """For one call: the minor page faults it took and the peak memory allocated during it.

    One call runs first, uncounted, so malloc is in the state the timed calls see (a call that
    follows another variant's may find its freed memory). NumPy reports its array data to
    tracemalloc, so the peak is the size of the arrays the call allocated.
    """
    f = VARIANTS[variant]
    f(data)
    tracemalloc.start()
    try:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        f(data)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"minor page faults": faults, "peak megabytes allocated": peak / 1e6}


CLAIMS = {
    # In cache, malloc hands the freed result back on the next call: one temporary costs little...
    "one-temporary-cheap-in-cache": {"faster": "out=", "slower": "naive", "at": 1_000_000, "by_at_most": 1.5},
    # ...but a second one makes glibc give the freed pair back to the kernel and fault it in again.
    "second-temporary-faults": {"faster": "naive", "slower": "naive, no elision", "at": 100_000, "by_at_least": 3},
    # numexpr's fixed cost per call (parsing, dispatching its block loop) dominates a small array.
    "numexpr-fixed-cost": {"faster": "out=", "slower": "numexpr", "at": 1_000, "by_at_least": 3},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
