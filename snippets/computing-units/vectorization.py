"""Vectorization: one polynomial, four ways to evaluate it over an array.

The interpreter pays a fixed cost for every Python-level operation: fetch a
bytecode, look up types, box the result in a new float object. A loop pays it
once per element; NumPy pays it once per array and runs a compiled loop that
the CPU can feed through SIMD units. numexpr also avoids NumPy's full-size
temporaries by working through the array in cache-sized blocks.

Run it:  python vectorization.py            (full sizes, under a minute)
         python vectorization.py --quick    (small sizes, a second)
"""

import numexpr as ne
import numpy as np

TITLE = "Evaluating 3x² + 2x + 1 over n floats"
UNIT = "element"  # results are reported per element
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 10_000]
# 16 bytes per element: from arrays in L1 to arrays past the L3 of any mainstream machine.
SIZES = [1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]
# A list of 10**8 floats and their objects would take gigabytes: the pure-Python variants stop at 10**6.
LIMITS = {"python loop": 1_000_000, "comprehension": 1_000_000}
BUDGET_S = 60

# numexpr would otherwise use every core: here we measure one core's vectorization only.
ne.set_num_threads(1)


def working_set(n):
    """Bytes the NumPy variant streams: the float64 input and the float64 output."""
    return 16 * n


def setup(n):
    """The same n random floats as an ndarray and, where the Python variants run, as a list."""
    x = np.random.default_rng(42).random(n)
    return {"array": x, "list": x.tolist() if n <= max(LIMITS.values()) else None}


def python_loop(data):
    xs = data["list"]
    out = [0.0] * len(xs)
    for i in range(len(xs)):
        v = xs[i]
        out[i] = 3.0 * v * v + 2.0 * v + 1.0
    return out


def comprehension(data):
    return [3.0 * v * v + 2.0 * v + 1.0 for v in data["list"]]


def numpy_expression(data):
    x = data["array"]
    return 3.0 * x * x + 2.0 * x + 1.0


def numexpr_expression(data):
    x = data["array"]  # noqa: F841 (numexpr reads it by name)
    return ne.evaluate("3.0 * x * x + 2.0 * x + 1.0")


VARIANTS = {
    "python loop": python_loop,
    "comprehension": comprehension,
    "numpy": numpy_expression,
    "numexpr": numexpr_expression,
}


def agree(results):
    """All variants must return the same n values (up to float rounding)."""
    reference = np.asarray(results["numpy"])
    return all(np.allclose(np.asarray(r), reference, rtol=1e-12) for r in results.values())


CLAIMS = {
    # With the data in L2, neither memory nor fixed costs blur the comparison.
    "numpy-beats-the-loop": {"faster": "numpy", "slower": "python loop", "at": "L2/2", "by_at_least": 20},
    "numpy-beats-the-comprehension": {"faster": "numpy", "slower": "comprehension", "at": "L2/2", "by_at_least": 15},
    # Once input, output and temporaries live in DRAM, NumPy pays for memory traffic per element.
    "dram-costs-numpy": {"variant": "numpy", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 2},
    # Below ~10**4 elements the fixed cost of a call dominates, and numexpr's is the larger.
    "numpy-fixed-cost": {"variant": "numpy", "faster_at": 10_000, "slower_at": 1_000, "by_at_least": 1.5},
    "numexpr-fixed-cost": {"faster": "numpy", "slower": "numexpr", "at": 1_000, "by_at_least": 2},
    # While the list fits in the caches, the interpreter's cost per element does not depend on n.
    "loop-flat-in-cache": {"variant": "python loop", "faster_at": 1_000, "slower_at": 100_000, "by_at_most": 1.5},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
