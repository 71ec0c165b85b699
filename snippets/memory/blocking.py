"""Cache blocking: a cubic polynomial over n floats, in whole-array passes or in chunks that stay in L2.

NumPy evaluates ((c3*x + c2)*x + c1)*x + c0 one operator at a time: six passes, each over the
whole array, each reading and writing an array of n floats. While x and y fit in a cache, the
passes run at the cache's speed. Past the last cache, every pass streams its arrays through
DRAM: six round trips for what needs one read of x and one write of y.

Run the same six operations on a slice at a time, small enough that the slice of x and of y stay
in L2, and only the first read of x and the last write of y go to memory; the passes in between
hit L2. That is cache blocking: the arithmetic is identical, the order of the loops is swapped.
Each chunk costs six NumPy calls of fixed overhead, so a chunk should be as large as fits: here
its x and y together take half of L2, read at run time from the kernel's cache description.

numexpr does the same internally, in small blocks, with its own loop.

Run it:  python blocking.py            (full sizes, about ten seconds)
         python blocking.py --quick    (small sizes, a second)
"""

from pathlib import Path

import numexpr as ne
import numpy as np
from associativity import cache_geometry  # the cache description has one reader: the associativity page

TITLE = "A cubic polynomial over n float64: whole-array passes against chunks that fit in L2"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 200_000]
# 16 B per element (x and y): from inside L2 to past twice L3 on every reference machine (the
# claims "at twice L3" need it; "How the numbers are made" lists their caches).
SIZES = [16_384, 1_048_576, 4_194_304, 36_000_000]
BUDGET_S = 12
C3, C2, C1, C0 = 1.5, -2.25, 0.75, 3.0

# numexpr would otherwise use every core: here every variant runs on one.
ne.set_num_threads(1)


L2 = cache_geometry(2).get("size", 2**20)  # without sysfs (macOS, Windows), assume 1 MiB
CHUNK = L2 // 2 // 16 // 8 * 8  # elements per chunk: its x and y take half of L2; every chunk starts on a line


def working_set(n):
    """Bytes the passes sweep: x and y, float64."""
    return 16 * n


def aligned(n):
    """n float64 starting on a 64-byte boundary: in the caches, vector loads that straddle two
    lines cost more, and where malloc puts an array would otherwise decide which variant wins."""
    buffer = np.empty(n + 8)
    start = -buffer.ctypes.data % 64 // 8
    return buffer[start : start + n]


def setup(n):
    """x in [0, 1), and one output array per variant that writes into preallocated memory.

    Every array is written once here, so its pages are mapped before anything is timed.
    """
    x = aligned(n)
    np.random.default_rng(42).random(out=x)
    out = {name: aligned(n) for name in ("whole", "chunks", "numexpr")}
    for y in out.values():
        y.fill(np.nan)
    return {"x": x, "out": out}


def horner(x, y):
    """y = ((c3*x + c2)*x + c1)*x + c0 in six NumPy calls, each a pass over x or y."""
    np.multiply(x, C3, out=y)
    y += C2
    y *= x
    y += C1
    y *= x
    y += C0
    return y


def whole_temporaries(data):
    """The expression as written: NumPy allocates the first product and works in it (elision)."""
    x = data["x"]
    return ((C3 * x + C2) * x + C1) * x + C0


def whole_out(data):
    return horner(data["x"], data["out"]["whole"])


def chunked_out(data):
    """The same six calls on one chunk at a time: a chunk's x and y stay in L2 between the calls."""
    x, y = data["x"], data["out"]["chunks"]
    for start in range(0, len(x), CHUNK):
        horner(x[start : start + CHUNK], y[start : start + CHUNK])
    return y


def numexpr_out(data):
    names = {"x": data["x"], "C3": C3, "C2": C2, "C1": C1, "C0": C0}
    return ne.evaluate("((C3*x + C2)*x + C1)*x + C0", local_dict=names, out=data["out"]["numexpr"])


VARIANTS = {
    "whole array, temporaries": whole_temporaries,
    "whole array, out=": whole_out,
    "chunks in L2, out=": chunked_out,
    "numexpr, 1 thread": numexpr_out,
}


def agree(outputs):
    """NumPy's variants round the same operations in the same order: equal bit for bit. numexpr's
    compiler may fuse a multiply and an add, so it is held to rounding."""
    reference = outputs["whole array, temporaries"]
    same = all(np.array_equal(outputs[name], reference) for name in VARIANTS if not name.startswith("numexpr"))
    return same and bool(np.allclose(outputs["numexpr, 1 thread"], reference, rtol=1e-12, atol=0))


CLAIMS = {
    # Past L3, six passes through DRAM against one: the chunks' passes between the first and the last hit L2.
    "chunks-win-past-l3": {
        "faster": "chunks in L2, out=",
        "slower": "whole array, out=",
        "at": "L3*2",
        "by_at_least": 1.5,
    },
    "chunks-beat-temporaries-past-l3": {
        "faster": "chunks in L2, out=",
        "slower": "whole array, temporaries",
        "at": "L3*2",
        "by_at_least": 1.8,
    },
    # The whole-array passes run at the speed of wherever x and y live.
    "whole-passes-pay-for-dram": {
        "variant": "whole array, out=",
        "faster_at": "L2/2",
        "slower_at": "L3*2",
        "by_at_least": 2,
    },
    # No claim in L3: the whole-array passes there run at the share of L3 other cores leave.
}


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    print(f"L2: {L2 // 2**10} KiB, so chunks of {CHUNK:,} elements")
    standalone(sys.modules[__name__])
