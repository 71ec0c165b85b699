"""Latency staircase: one dependent random walk, through working sets from 4 KiB to 1 GiB.

Each step reads the slot the previous step pointed to, so the CPU cannot start a load before the
last one has arrived: every step costs one full trip to wherever the slot lives (L1, L2, L3 or
DRAM), besides the interpreter's own work for the step, which overlaps the trip only where it
does not need the loaded value. The walk follows one random cycle through every slot, and each
call continues where the last one stopped, so a large working set is never re-read from a warm
cache.

NumPy asks Linux for huge pages (2 MiB) for large arrays, which lets the TLB map a large working
set with few entries; a list lives in ordinary small pages. The third variant walks the same
array copied into memory advised MADV_NOHUGEPAGE, so the difference huge pages make is measured,
and counters() reports what share of each array the kernel actually backed with huge pages.

Run it:  python latency.py            (full sizes, under a minute)
         python latency.py --quick    (two small sizes, a second)
"""

import mmap

import numpy as np

TITLE = "A dependent random walk: i = next[i]"
UNIT = "access"
SIZE_UNIT = "bytes"  # the working set: sizes are marked against the caches on the chart
QUICK_SIZES = [16 * 2**10, 2**20]
# Every power of two from 4 KiB to 1 GiB: sizes inside and past each cache level, and past the L3 of most machines.
SIZES = [2**k for k in range(12, 31)]
# DRAM even past a very large L3; the list alone takes seconds to build (make bench LARGE=1).
LARGE_SIZES = [4 * 2**30]
BUDGET_S = 50
STEPS = 20_000  # accesses per call: a few ms at DRAM latency
SLOT_BYTES = {"numpy array": 8, "python list": 8 + 32}  # an int64; a pointer plus a 32-byte int object
SMALL_PAGES = "numpy array, no huge pages"


def work(n):
    """Every call takes the same number of steps, whatever the working set."""
    return STEPS


def cycle_shape(slots):
    """Split the slots into blocks × block_len, block_len a power of two near the square root."""
    block_len = 1 << ((slots.bit_length() - 1) // 2)
    return slots // block_len, block_len


def random_cycle(slots, rng):
    """next[] holding one cycle through every slot, built in a few passes instead of a permutation.

    Step k = round·blocks + a goes to block P[a], offset Q[round] ^ X[a]: consecutive steps land in
    different random blocks at random offsets, and every slot is visited once per cycle. A full
    random permutation of 2**27 slots takes seconds of random writes; this costs a few passes.
    """
    blocks, block_len = cycle_shape(slots)
    P, Q = rng.permutation(blocks), rng.permutation(block_len)
    X = rng.integers(0, block_len, blocks)
    a = np.empty(blocks, dtype=np.int64)
    a[P] = np.arange(blocks)  # which step of a round visits each block
    offsets = np.arange(block_len)
    nxt = np.empty((blocks, block_len), dtype=np.int64)
    # Within a round: block P[a] -> block P[a+1], the offset's mask X[a] swapped for X[a+1].
    np.bitwise_xor(offsets, (X[a] ^ np.roll(X, -1)[a])[:, None], out=nxt)
    nxt += (np.roll(P, -1)[a] * block_len)[:, None]
    # The round's last block leads to the first block of the next round, at offset Q[round + 1].
    rounds = np.argsort(Q)[offsets ^ X[-1]]
    nxt[P[-1]] = P[0] * block_len + (Q[(rounds + 1) % block_len] ^ X[0])
    return nxt.ravel(), (P, Q, X)


def slot_at(cycle, step):
    """The slot the walk reaches `step` steps after its start: the answer every walk is checked against."""
    P, Q, X = cycle
    a, rounds = step % len(P), step // len(P) % len(Q)
    return int(P[a]) * len(Q) + (int(Q[rounds]) ^ int(X[a]))


def without_huge_pages(array):
    """A copy of `array` in private memory advised MADV_NOHUGEPAGE before its first touch, so the
    kernel backs it with small pages only (where the advice does not exist, the copy is plain memory)."""
    buffer = mmap.mmap(-1, max(array.nbytes, 1), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):
        buffer.madvise(mmap.MADV_NOHUGEPAGE)
    copy = np.frombuffer(buffer, dtype=array.dtype, count=array.size)
    copy[:] = array
    return copy


def huge_page_share(array):
    """The share of `array`'s bytes that sit in huge pages: AnonHugePages of the mappings that hold
    it, from /proc/self/smaps (Linux only; None elsewhere)."""
    start, end = array.ctypes.data, array.ctypes.data + array.nbytes
    huge, inside = 0, False
    try:
        with open("/proc/self/smaps") as smaps:
            for line in smaps:
                head = line.split(maxsplit=1)[0]
                if "-" in head and not head.endswith(":"):
                    low, high = (int(x, 16) for x in head.split("-"))
                    inside = low < end and start < high
                elif inside and head == "AnonHugePages:":
                    huge += int(line.split()[1]) * 1024
    except OSError:
        return None
    return min(huge, array.nbytes) / array.nbytes


def setup(n):
    """The cycle as an int64 array (n bytes), the same array without huge pages, and as a list of
    ints (about n bytes); and where each walk is."""
    rng = np.random.default_rng(42)
    array, array_cycle = random_cycle(n // SLOT_BYTES["numpy array"], rng)
    blocks, block_len = cycle_shape(n // SLOT_BYTES["python list"])
    listed, list_cycle = random_cycle(blocks * block_len, rng)
    walks = {}
    for name, cycle in (("numpy array", array_cycle), (SMALL_PAGES, array_cycle), ("python list", list_cycle)):
        slots = len(cycle[0]) * len(cycle[1])
        walks[name] = {"cycle": cycle, "slots": slots, "step": 0, "at": slot_at(cycle, 0)}
    small = without_huge_pages(array)
    arrays = {"numpy array": array, SMALL_PAGES: small}
    return {
        "arrays": arrays,
        "view": memoryview(array),
        "small": memoryview(small),
        "list": listed.tolist(),
        "walks": walks,
    }


def finish(walk, at):
    """Remember where the walk stopped, so the next call reads slots no call has touched yet."""
    walk["step"] = (walk["step"] + STEPS) % walk["slots"]
    walk["at"] = at
    return np.array([at, slot_at(walk["cycle"], walk["step"])])


def chase(nxt, i, steps):
    """`steps` dependent loads, i = nxt[i], from slot i; returns the slot reached. The other memory
    pages walk memoryviews with it too, so that their steps cost what this page's do."""
    for _ in range(steps // 10):  # unrolled tenfold: the loop's own bookkeeping is paid once per ten steps
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
    return i


def walk_array(data, name="numpy array", view="view"):
    """An int64 array read through a memoryview: one 8-byte load per step, plus a new int object."""
    walk = data["walks"][name]
    return finish(walk, chase(data[view], walk["at"], STEPS))


def walk_list(data):
    """A list of ints: each step loads the pointer in slot i, then the int object it points to.

    The same loop as chase(), copied on purpose: CPython specializes each subscript in place for
    the container it meets (lists get a fast path), and one shared copy would flip between the two.
    """
    walk, nxt = data["walks"]["python list"], data["list"]
    i = walk["at"]
    for _ in range(STEPS // 10):
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
        i = nxt[i]
    return finish(walk, i)


def walk_small_pages(data):
    """The same walk over the copy that has no huge pages."""
    return walk_array(data, SMALL_PAGES, "small")


VARIANTS = {"numpy array": walk_array, SMALL_PAGES: walk_small_pages, "python list": walk_list}


def counters(variant, data):
    """What share of each array walk's memory the kernel backed with huge pages."""
    share = huge_page_share(data["arrays"][variant]) if variant in data["arrays"] else None
    return {} if share is None else {"share on huge pages": share}


def agree(outputs):
    """Each walk must stand on the slot the cycle's formula gives for its step count."""
    return all(len(out) == 2 and out[0] == out[1] for out in outputs.values())


CLAIMS = {
    # DRAM against L1, the interpreter's cost included on both sides.
    "dram-vs-l1": {"variant": "numpy array", "faster_at": "L1d/2", "slower_at": "L3*2", "by_at_least": 4},
    "list-dram-vs-l1": {"variant": "python list", "faster_at": "L1d/2", "slower_at": "L3*2", "by_at_least": 25},
    # No claim inside L3: what a step costs there moves between runs with the share of L3 left free.
    # An L2 hit hides behind the memoryview walk's interpreter work, not behind the list walk's lighter one.
    "l2-hides-behind-the-interpreter": {
        "variant": "numpy array",
        "faster_at": "L1d/2",
        "slower_at": "L2/2",
        "by_at_most": 1.5,
    },
    "list-feels-l2": {"variant": "python list", "faster_at": "L1d/2", "slower_at": "L2/2", "by_at_least": 1.3},
    # In cache the list's fast path wins; in DRAM its two dependent misses per step lose.
    "list-fast-path-in-l1": {"faster": "python list", "slower": "numpy array", "at": "L1d/2", "by_at_least": 2},
    "list-loses-in-dram": {"faster": "numpy array", "slower": "python list", "at": "L3*2", "by_at_least": 1.5},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
