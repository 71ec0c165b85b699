"""Memory-level parallelism: k independent random walks advanced together, against one.

One walk (i = next[i]) waits a full memory latency per step: the next address is the value being
loaded. k walks on the same cycle do not depend on each other, so their loads can be in flight at
once, as many as the core can keep outstanding, if its out-of-order window reaches that many
independent loads. A 1 GiB array puts every step in DRAM; a 16 KiB one, in L1, is the control
that shows the per-step overhead of each implementation, with no memory latency to hide.

How many misses overlap may also be bounded by address translation: each miss to a page the TLB
does not map needs a page-table walk first, and a core has only a few page walkers. NumPy gives a
large array huge pages where Linux allows them; one more gather walks a copy of the 1 GiB cycle
without huge pages, and counters() reports the share of each array on huge pages.

Run it:  python mlp.py            (full sizes, about fifteen seconds)
         python mlp.py --quick    (two sizes, a few seconds: the 1 GiB cycle takes a second to build)
"""

from functools import cache

import numpy as np
from latency import huge_page_share, random_cycle, slot_at, without_huge_pages  # one home: the latency staircase

TITLE = "k interleaved random walks: ns per access"
UNIT = "access"
SIZE_UNIT = "walkers"  # the size is k, the number of independent walks advanced together
QUICK_SIZES = [1, 64]
# The tests' quick run walks a 16 MiB cycle in place of the 1 GiB one; the published run never sees it.
QUICK_OVERRIDES = {"ARRAYS": {"1 GiB": 16 * 2**20, "16 KiB": 16 * 2**10}}
SIZES = [4**k for k in range(6)]  # 1, 4, 16, ... 1024 walkers
BUDGET_S = 20
ACCESSES = 2**17  # per call, whatever k: k walkers take ACCESSES // k steps each
ARRAYS = {"1 GiB": 2**30, "16 KiB": 16 * 2**10}  # DRAM (past the L3 of most machines), and L1
SMALL_PAGES = "numpy gather, 1 GiB, no huge pages"


def work(n):
    """Every call makes the same number of accesses, spread over n walkers."""
    return ACCESSES


@cache
def shared_cycle(n_bytes, huge_pages=True):
    """One int64 cycle per array size, built once and shared by every k: the 1 GiB one takes a second."""
    if not huge_pages:
        array, cycle = shared_cycle(n_bytes)
        return without_huge_pages(array), cycle
    return random_cycle(n_bytes // 8, np.random.default_rng(42))


def place_walkers(n_bytes, k, seed, huge_pages=True):
    """k walkers evenly spaced along the cycle, from a random phase.

    A phase of its own for each k and variant makes it unlikely that they re-walk, warm in the
    cache, a stretch another one has just walked. The spacing is slots/k + 1: ranks that differ
    by a multiple of the block count share a block at every step, and the + 1 puts the walkers
    in different blocks.
    """
    array, cycle = shared_cycle(n_bytes, huge_pages)
    slots = len(array)
    first = int(np.random.default_rng(seed).integers(slots))
    ranks = [(first + j * (slots // k + 1)) % slots for j in range(k)]
    at = [slot_at(cycle, r) for r in ranks]
    return {"array": array, "view": memoryview(array), "cycle": cycle, "slots": slots, "ranks": ranks, "at": at}


def setup(n):
    """n walkers on the 1 GiB cycle and n on the 16 KiB one, for each implementation."""
    data = {}
    for where, n_bytes in ARRAYS.items():
        for seed, how in enumerate(("python", "numpy gather")):
            walkers = place_walkers(n_bytes, n, seed=(n, n_bytes, seed))
            if how == "numpy gather":
                walkers["at"] = np.array(walkers["at"], dtype=np.int64)
            walkers["steps"], walkers["done"] = ACCESSES // n, 0
            data[f"{how}, {where}"] = walkers
    walkers = place_walkers(ARRAYS["1 GiB"], n, seed=(n, ARRAYS["1 GiB"], 2), huge_pages=False)
    walkers["at"] = np.array(walkers["at"], dtype=np.int64)
    walkers["steps"], walkers["done"] = ACCESSES // n, 0
    data[SMALL_PAGES] = walkers
    return data


def finish(walkers, at):
    """Keep the walkers where they stopped (the next call reads slots no call has touched yet), and
    return the first and last walker's slots beside the cycle's answer (checking all k would cost a step)."""
    walkers["at"] = at
    walkers["done"] += walkers["steps"]
    ends = [walkers["ranks"][0], walkers["ranks"][-1]]
    expected = [slot_at(walkers["cycle"], (r + walkers["done"]) % walkers["slots"]) for r in ends]
    return np.array([[at[0], at[-1]], expected])


def advance_in_python(walkers):
    """One list comprehension per step: k subscripts, each a few hundred instructions of interpreter."""
    nxt, at = walkers["view"], walkers["at"]
    for _ in range(walkers["steps"]):
        at = [nxt[i] for i in at]
    return finish(walkers, at)


def advance_with_gather(walkers):
    """One NumPy gather per step: k independent loads in a tight compiled loop."""
    nxt, at = walkers["array"], walkers["at"]
    for _ in range(walkers["steps"]):
        at = nxt[at]
    return finish(walkers, at)


def pick(name, advance):
    """The harness calls variant(data): hand this variant its own walkers."""
    return lambda data: advance(data[name])


VARIANTS = {
    f"{how}, {where}": pick(f"{how}, {where}", advance)
    for how, advance in (("python", advance_in_python), ("numpy gather", advance_with_gather))
    for where in ARRAYS
} | {SMALL_PAGES: pick(SMALL_PAGES, advance_with_gather)}


def counters(variant, data):
    """The share of the walked array that the kernel backed with huge pages."""
    share = huge_page_share(data[variant]["array"])
    return {} if share is None else {"share on huge pages": share}


def agree(outputs):
    """Every implementation's walkers must stand where the cycle's formula says."""
    return all(np.array_equal(out[0], out[1]) for out in outputs.values())


CLAIMS = {
    # One walker: the gather pays the whole DRAM latency on top of its call overhead.
    "one-walker-pays-dram": {
        "faster": "numpy gather, 16 KiB",
        "slower": "numpy gather, 1 GiB",
        "at": 1,
        "by_at_least": 1.5,
    },
    # 1024 walkers: the misses overlap, and a DRAM access costs a fraction of the latency.
    "misses-overlap": {"variant": "numpy gather, 1 GiB", "faster_at": 1024, "slower_at": 1, "by_at_least": 12},
    # ... up to whatever bounds the misses in flight (miss slots, page walks): past a few hundred walkers, no gain.
    "overlap-saturates": {"variant": "numpy gather, 1 GiB", "faster_at": 1024, "slower_at": 256, "by_at_most": 1.5},
    # Without huge pages every access needs a translation of its own, yet the overlap saturates as high.
    "translations-do-not-bound-overlap": {
        "faster": "numpy gather, 1 GiB",
        "slower": SMALL_PAGES,
        "at": 1024,
        "by_at_most": 1.3,
    },
    # Python's interleaving hides much less: with 64 walkers, where its cost has levelled off, DRAM
    # still costs it a multiple of L1 (at 1024 its DRAM cost moves more between runs).
    "python-overlaps-less": {"faster": "python, 16 KiB", "slower": "python, 1 GiB", "at": 64, "by_at_least": 1.8},
    "gather-beats-python": {"faster": "numpy gather, 1 GiB", "slower": "python, 1 GiB", "at": 64, "by_at_least": 4},
    # In L1, what falls with k is the fixed cost of a step (a comprehension), shared by k accesses.
    "python-shares-fixed-cost": {"variant": "python, 16 KiB", "faster_at": 1024, "slower_at": 1, "by_at_least": 3},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
