"""Sequential versus random access: the same gather, two index patterns, arrays from L1 to RAM.

`np.take(a, idx, out=out)` copies a[idx[0]], a[idx[1]], ... into `out`. With consecutive indices
every 64-byte cache line brings eight useful values and the prefetcher fetches the next lines
before they are asked for; with indices spread over the whole array almost every value costs a
line of its own, fetched on demand from wherever the array lives. Every call gathers the same
number of values, so the cost per value shows only where the array sits in the hierarchy.

Each call takes the next slice of a pool of indices far larger than one call, so repeated calls
do not re-read a few lines left warm in the cache: at the largest sizes one round of the random
pool touches hundreds of MiB of distinct lines, more than the L3 holds, and the sequential run
moves along the whole array.

Run it:  python access_patterns.py            (full sizes, a few seconds)
         python access_patterns.py --quick    (two small sizes, a second or two)
"""

import numpy as np

TITLE = "Gathering 2**20 float64 values with np.take: consecutive versus random positions"
UNIT = "gathered element"
SIZE_UNIT = "bytes"  # the array gathered from: sizes are marked against the caches on the chart
QUICK_SIZES = [16 * 2**10, 2**20]
QUICK_OVERRIDES = {"POOL_CALLS": 2}  # the tests' quick run: index pools of 16 MiB instead of 128 MiB
# ×4 steps from 16 KiB (inside L1) to 1 GiB (RAM only on most machines), crossing L2 and L3.
SIZES = [4**k * 2**14 for k in range(9)]
# Past an L3 of up to 1 GiB (large server parts): 4 GiB to allocate, so only for readers who opt in.
LARGE_SIZES = [4 * 2**30]
BUDGET_S = 20
GATHERED = 2**20  # values gathered per call, at every array size
POOL_CALLS = 16  # calls before a pool is reused: 16 × 2**20 random lines (1 GiB) outgrow most L3s


def work(n):
    """Every call gathers the same number of values, however large the array is."""
    return GATHERED


def sequential_pool(elements):
    """Consecutive positions from 0, wrapping round an array shorter than the pool."""
    return np.arange(GATHERED * POOL_CALLS) % elements


def random_pool(elements):
    """Positions drawn uniformly from the whole array."""
    return np.random.default_rng(42).integers(0, elements, GATHERED * POOL_CALLS)


def shifts(elements, pool):
    """Where each round of the sequential pool starts, so that the rounds cover the whole array."""
    return list(range(0, max(elements - pool.size, 0) + 1, pool.size))


def setup(n):
    """a[i] = i, so a gathered value names its own position; one index pool and one output per pattern."""
    elements = n // 8
    seq, rnd = sequential_pool(elements), random_pool(elements)
    return {
        "array": np.arange(elements, dtype=np.float64),
        "pool": {"sequential": seq, "random": rnd},
        "shifts": {"sequential": shifts(elements, seq), "random": [0]},
        "out": {"sequential": np.empty(GATHERED), "random": np.empty(GATHERED)},
        "calls": {"sequential": 0, "random": 0},
    }


def gather(data, pattern):
    """One call: the next slice of this pattern's pool, gathered from the array shifted by the round's start."""
    call = data["calls"][pattern]
    data["calls"][pattern] = call + 1
    part, rounds = call % POOL_CALLS, call // POOL_CALLS
    shift = data["shifts"][pattern][rounds % len(data["shifts"][pattern])]
    idx = data["pool"][pattern][part * GATHERED : (part + 1) * GATHERED]
    # mode="clip" (indices are valid anyway): the default "raise" gathers into a temporary first.
    np.take(data["array"][shift:], idx, out=data["out"][pattern], mode="clip")
    return data["out"][pattern], idx


def sequential_gather(data):
    return gather(data, "sequential")


def random_gather(data):
    return gather(data, "random")


VARIANTS = {"sequential": sequential_gather, "random": random_gather}


def agree(results):
    """Each variant returns (values, indices); a[i] = i, so values - indices is the round's shift for all."""
    for result in results.values():
        values, idx = np.asarray(result, dtype=np.float64)
        offset = values - idx
        if not (np.all(offset == offset[0]) and offset[0] >= 0 and len(values) == GATHERED):
            return False
    return True


CLAIMS = {
    # In L1 the pattern hardly matters: every line is already there.
    "pattern-irrelevant-in-l1": {"faster": "random", "slower": "sequential", "at": "L1d/2", "by_at_most": 1.5},
    # From DRAM, a random value costs a line fetched on demand; a sequential one an eighth of a prefetched line.
    "random-costs-a-line-in-dram": {"faster": "sequential", "slower": "random", "at": "L3*2", "by_at_least": 4},
    # The prefetcher keeps a consecutive run almost as cheap from DRAM as from L1.
    "prefetcher-hides-dram": {"variant": "sequential", "faster_at": "L1d/2", "slower_at": "L3*2", "by_at_most": 2.5},
    # The same random gather grows slower as the array leaves each cache.
    "random-grows-with-size": {"variant": "random", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 5},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
