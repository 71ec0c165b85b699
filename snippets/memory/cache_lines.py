"""Cache lines: touch every k-th float64 of a 1 GiB array, and pay per line, not per value.

Memory moves in whole cache lines (64 bytes on x86 and most ARM cores). Reading every value of a
contiguous array uses all eight float64 values of each line; reading every 2nd, 4th, 8th value
uses 4, 2, 1 of them, so the bytes moved per value read grow with the stride until the stride
spans a line. Past that, every value read needs at least a line of its own; whether the cost per
value stops growing there depends on the machine (its prefetchers, its TLB, its cache sets). A
power-of-two stride also puts every line read into a few cache sets: 576 B and 4160 B, one line
longer than 512 B and 4096 B, read as many lines and pages without that.

Every call reads the same number of values. The array is 1 GiB, larger than the L3 of most
machines, and each call starts where no recent call has read, so that every line comes from RAM,
not from a cache.

Run it:  python cache_lines.py            (full strides, a few seconds)
         python cache_lines.py --quick    (two strides, a second or two)
"""

import numpy as np

TITLE = "Reading every k-th float64 of a 1 GiB array"
UNIT = "touched element"
SIZE_UNIT = "byte stride"  # a size is the distance between two values read, not a working set
QUICK_SIZES = [8, 64]
QUICK_OVERRIDES = {"ARRAY_BYTES": 16 * 2**20}  # the tests' quick run stays small; the published run never sees it
# Powers of two, and two strides one line longer than one: 576 B and 4160 B land on as many lines
# and pages as 512 B and 4096 B, but spread them over every cache set (see the associativity page).
SIZES = [8, 16, 32, 64, 128, 256, 512, 576, 1024, 4096, 4160]
BUDGET_S = 15
ARRAY_BYTES = 2**30  # read from RAM at every stride: larger than the L3 of most machines
TOUCHED = 2**17  # values read per call, at every stride; the copy's 1 MiB output stays in the caches
LINE = 64


def work(n):
    """Every call reads the same number of values, whatever the stride."""
    return TOUCHED


def starts(elements, step):
    """First element of each call, in the order calls use them, so that a full round reads every line once.

    A call spans TOUCHED × step elements (a block). Calls move from block to block; once all blocks
    are done, they move one line further within the stride, until every line of the array is read.
    """
    span = TOUCHED * step
    lines_per_stride = max(1, step * 8 // LINE)
    return [block * span + line * (LINE // 8) for line in range(lines_per_stride) for block in range(elements // span)]


def setup(n):
    """a[i] = i, as float64 (sums stay exact); one call counter per variant."""
    elements, step = ARRAY_BYTES // 8, n // 8
    return {
        "array": np.arange(elements, dtype=np.float64),
        "step": step,
        "starts": starts(elements, step),
        "buffer": np.empty(TOUCHED),
        "calls": {"sum": 0, "copy": 0},
    }


def next_view(data, variant):
    """The strided view this variant's next call reads: TOUCHED values, `step` elements apart."""
    call = data["calls"][variant]
    data["calls"][variant] = call + 1
    start = data["starts"][call % len(data["starts"])]
    return data["array"][start : start + TOUCHED * data["step"] : data["step"]]


def strided_sum(data):
    return np.add.reduce(next_view(data, "sum"))


def strided_copy(data):
    """The same reads, written to a small contiguous buffer instead of summed."""
    np.copyto(data["buffer"], next_view(data, "copy"))
    return data["buffer"]


VARIANTS = {"sum": strided_sum, "copy": strided_copy}


def agree(results):
    """After the same number of calls both variants read the same values: the sum and the copy's total match."""
    totals = {float(np.sum(np.asarray(r, dtype=np.float64))) for r in results.values()}
    return len(totals) == 1


CLAIMS = {
    # Below a line, the cost per value grows with the bytes per value moved.
    "lines-not-values": {"variant": "sum", "faster_at": 8, "slower_at": 64, "by_at_least": 2.5},
    "copy-lines-not-values": {"variant": "copy", "faster_at": 8, "slower_at": 64, "by_at_least": 3},
    # One value per 4 KiB costs more than one per line; why, and how much, differs between machines.
    "pages-cost-more-than-lines": {"variant": "sum", "faster_at": 64, "slower_at": 4096, "by_at_least": 1.5},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
