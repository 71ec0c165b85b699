"""Bandwidth staircase: how fast one core streams a working set, from L1 out to DRAM.

A NumPy call has a fixed cost before it touches any data, longer than reading 16 KiB from L1.
So every call here streams the same 64 MiB, whatever the working set: a stride-0 view repeats
the working set as many times as it takes, and one C loop walks the repeats. What is left is
the time the core waits for bytes, and that depends on which cache holds them.

Run it:  python bandwidth.py            (16 KiB to 1 GiB, about fifteen seconds)
         python bandwidth.py --quick    (two sizes, a second)
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

TITLE = "Streaming a working set: reads (sum, max) and copy"
UNIT = "byte"  # bytes read: a copy also writes as many as it reads
SHOW_AS = "GB/s"
SIZE_UNIT = "bytes"  # the working set: every byte the call touches
QUICK_SIZES = [16 * 2**10, 2**20]
# Every power of two from 16 KiB to 1 GiB: sizes inside and past each cache level; 1 GiB is past the
# L3 of most machines, so it streams from DRAM. Below 16 KiB what NumPy spends on each repeat starts to show.
SIZES = [2**k for k in range(14, 31)]
LARGE_SIZES = [2**31]  # a second DRAM point, for machines with an L3 near 1 GiB
BUDGET_S = 20

STREAMED_PER_CALL = 64 * 2**20  # bytes every call reads, so that the call's fixed cost is negligible


def repeats(streamed):
    """Passes over `streamed` bytes that make one call read STREAMED_PER_CALL bytes (at least one)."""
    return max(1, STREAMED_PER_CALL // streamed)


def work(n, variant):
    """Bytes read per call: the reads stream the whole working set, the copy its source half."""
    streamed = n // 2 if variant == "copy" else n
    return repeats(streamed) * streamed


def setup(n):
    """n bytes of int64 (0, 1, 2, ...) and their repeated views; the copy's source and target are halves."""
    words = np.arange(n // 8, dtype=np.int64)
    source = words[: words.size // 2]
    target = np.zeros_like(source)
    # The copy moves the whole source as one n/2-byte void element, so NumPy's loop is one memmove per
    # pass. (A 2-D int64 view would not do: NumPy puts a stride-0 axis innermost and copies each
    # element passes times in a row, which never leaves L1.)
    block = np.dtype((np.void, source.nbytes))
    passes = repeats(source.nbytes)
    return {
        "repeated": np.broadcast_to(words, (repeats(n), words.size)),
        "source": np.broadcast_to(source.view(block), (passes,)),
        "target blocks": as_strided(target.view(block), shape=(passes,), strides=(0,), writeable=True),
        "target": target,
    }


def read_sum(data):
    """One sum per pass over the working set, in one reduction."""
    return np.add.reduce(data["repeated"], axis=1)


def read_max(data):
    """The same reads with a comparison per element instead of an add: less work per byte."""
    return np.maximum.reduce(data["repeated"], axis=1)


def copy(data):
    """memmove of the source half into the target half, once per pass."""
    np.copyto(data["target blocks"], data["source"])
    return data["target"]


VARIANTS = {"sum": read_sum, "max": read_max, "copy": copy}


def agree(results):
    """Every pass of a read saw the whole working set 0, 1, 2, ..., and the copy holds its first half."""
    copied = np.asarray(results["copy"])
    words = 2 * copied.size
    return bool(
        np.array_equal(copied, np.arange(copied.size))
        and np.all(np.asarray(results["sum"]) == words * (words - 1) // 2)
        and np.all(np.asarray(results["max"]) == words - 1)
    )


CLAIMS = {
    # The staircase: the same read from L1, L2 and DRAM; each level is farther from the core. No
    # claim inside L3, which other cores and guests share: what it delivers moves between runs.
    "l2-vs-dram": {"variant": "max", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 2},
    "l1-vs-dram": {"variant": "max", "faster_at": "L1d/2", "slower_at": "L3*2", "by_at_least": 4},
    "copy-l2-vs-dram": {"variant": "copy", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 2.5},
    # In L1 the sum cannot keep up with the cache; from DRAM both wait for the data.
    "sum-lags-in-l1": {"faster": "max", "slower": "sum", "at": "L1d/2", "by_at_least": 1.4},
    "both-wait-in-dram": {"faster": "max", "slower": "sum", "at": "L3*2", "by_at_most": 1.6},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
