"""STREAM from Python: the four kernels of McCalpin's memory-bandwidth benchmark, with NumPy and numexpr.

copy (z = x), scale (z = s·x), add (z = x + y) and triad (z = x + s·y) do almost no arithmetic per
byte, so their speed is the memory's. Each array is far larger than most last-level caches, and
bytes are counted as STREAM counts them: the arrays each kernel reads and writes, once. NumPy
runs every kernel on one core and needs two passes for the triad; numexpr fuses it into one
pass and can split the arrays between threads, so it measures what several cores draw together.

Run it:  python stream.py            (512 MiB per array, about fifteen seconds)
         python stream.py --quick    (small arrays, a second)
"""

import os
from functools import partial

import numexpr as ne
import numpy as np

TITLE = "STREAM kernels: copy, scale, add, triad over float64 arrays"
UNIT = "byte"  # bytes of memory traffic as STREAM counts it
SHOW_AS = "GB/s"
SIZE_UNIT = "bytes"  # per array; there are three
QUICK_SIZES = [2**20, 4 * 2**20]
# 128 KiB per array (384 KiB in all) sits in the L2 of most machines, 4 MiB per array (12 MiB in
# all) in the L3 of many: the contrasts. 512 MiB per array (1.5 GiB in all) is past the L3 of most
# machines, and the largest that fits the budget.
SIZES = [128 * 2**10, 4 * 2**20, 512 * 2**20]
# STREAM's own rule asks for each array to be at least four times the last-level cache: 1.25 GiB
# (3.75 GiB in all) meets it for an L3 of up to 320 MiB. Too slow for the budget, so opt-in.
LARGE_SIZES = [1280 * 2**20]
BUDGET_S = 30

SCALAR = 3.0
ALL_CORES = min(os.cpu_count() or 1, ne.MAX_THREADS)
FINGERPRINT = 256  # elements of the result each variant returns, spread over the array, for agree()
ARRAYS_COUNTED = {"copy": 2, "scale": 2, "add": 3, "triad": 3}  # read and written once each


def kernel(variant):
    """'triad, numexpr 1 core' -> 'triad': the variants of one kernel must agree and count the same bytes."""
    return variant.split(",")[0]


def work(n, variant):
    """STREAM's count: copy and scale move two arrays' worth of bytes, add and triad three."""
    return ARRAYS_COUNTED[kernel(variant)] * n


def working_set(n):
    """All three arrays: where they fit decides which memory the kernels stream from."""
    return 3 * n


def setup(n):
    """Two random float64 inputs of n bytes each and one output, all three already in memory."""
    rng = np.random.default_rng(42)
    x, y = rng.random(n // 8), rng.random(n // 8)
    return {"x": x, "y": y, "s": SCALAR, "z": np.zeros_like(x), "every": max(1, x.size // FINGERPRINT)}


def fingerprint(data):
    """Every k-th element of the result: cheap, and taken before the next variant overwrites it."""
    return data["z"][:: data["every"]].copy()


def numpy_copy(data):
    np.copyto(data["z"], data["x"])
    return fingerprint(data)


def numpy_scale(data):
    np.multiply(data["x"], data["s"], out=data["z"])
    return fingerprint(data)


def numpy_add(data):
    np.add(data["x"], data["y"], out=data["z"])
    return fingerprint(data)


def numpy_triad(data):
    """Two passes: z = s·y, then z += x; the second re-reads z, which STREAM does not count."""
    np.multiply(data["y"], data["s"], out=data["z"])
    np.add(data["z"], data["x"], out=data["z"])
    return fingerprint(data)


EXPRESSIONS = {"copy": "x", "scale": "s * x", "add": "x + y", "triad": "x + s * y"}


def use_threads(count):
    """Set numexpr's thread count only when it changes: restarting the pool costs more than a small call."""
    if ne.get_num_threads() != count:
        ne.set_num_threads(count)


def numexpr_kernel(name, threads, data):
    """One pass over the arrays in cache-sized blocks, split between `threads` threads."""
    use_threads(threads)
    ne.evaluate(EXPRESSIONS[name], local_dict={k: data[k] for k in "xys"}, out=data["z"])
    return fingerprint(data)


VARIANTS = {
    "copy, numpy": numpy_copy,
    "scale, numpy": numpy_scale,
    "add, numpy": numpy_add,
    "triad, numpy": numpy_triad,
    **{f"{name}, numexpr 1 core": partial(numexpr_kernel, name, 1) for name in EXPRESSIONS},
    **{f"{name}, numexpr all cores": partial(numexpr_kernel, name, ALL_CORES) for name in EXPRESSIONS},
}


def agree(results):
    """Every variant of a kernel leaves the same result (NumPy's two-pass triad rounds the same way)."""
    first = {}
    for name, result in results.items():
        first.setdefault(kernel(name), np.asarray(result))
    return all(np.allclose(np.asarray(r), first[kernel(name)], rtol=1e-12, atol=0) for name, r in results.items())


CLAIMS = {
    # In L2, a cache private to the core, the same kernel runs faster than from DRAM.
    "cache-vs-dram": {"variant": "scale, numpy", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 1.6},
    # Every core, and one pass instead of NumPy's two, beat NumPy's triad.
    "fused-triad-on-all-cores": {
        "faster": "triad, numexpr all cores",
        "slower": "triad, numpy",
        "at": "L3*2",
        "by_at_least": 1.1,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
