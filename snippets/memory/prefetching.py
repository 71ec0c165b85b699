"""Hardware prefetching: one dependent walk, one slot per cache line, in four orders.

Each step reads the slot the previous step pointed to (i = next[i], as on the latency page), so
the core itself cannot start a load before the last one has arrived. Only the prefetchers can:
they watch the addresses that miss and fetch the lines they predict will come next. The four
orders visit the same lines of the same array, one slot per 64-byte line:

- sequential: line after line, upwards;
- backward: line after line, downwards;
- shuffled within pages: the 4 KiB pages in order, the lines inside each page in a random order
  of their own (a permutation shared by all pages, relabelled by a random mask per page);
- random: one random cycle through every line (the latency page's random_cycle).

All four share one array: slot 0 of each line belongs to the sequential walk, slot 1 to the
backward one, slots 2 and 3 to the others, so every walk's working set is the whole array. The
walks start in different places, so that the fast ones do not run just ahead of the slow ones and
leave them lines in L3. Each call continues where the last one stopped, and the interpreter's
work for a step is part of every step, in every order.

Run it:  python prefetching.py            (full sizes, about ten seconds)
         python prefetching.py --quick    (two sizes, a second)
"""

import numpy as np
from latency import chase, random_cycle, slot_at  # the walk has one home: the latency staircase

TITLE = "A dependent walk over one slot per cache line, in four orders"
UNIT = "access"
SIZE_UNIT = "bytes"  # the working set: sizes are marked against the caches on the chart
QUICK_SIZES = [16 * 2**10, 2**20]
# From inside L1 and L2 to 1 GiB, past the L3 of most machines (and at least twice that of each reference machine).
SIZES = [16 * 2**10, 512 * 2**10, 2**20, 4 * 2**20, 16 * 2**20, 64 * 2**20, 256 * 2**20, 2**30]
BUDGET_S = 12
STEPS = 20_000  # accesses per call
SLOT, LINE, PAGE = 8, 64, 4096  # bytes: an int64, a cache line, a base page
PER_LINE, PER_PAGE = LINE // SLOT, PAGE // LINE  # slots per line, lines per page
ORDERS = ("sequential", "backward", "shuffled within pages", "random")  # slot k of a line: ORDERS[k]
CHUNK = 2**18  # lines written per pass of setup: small temporaries, even for 1 GiB


def work(n):
    """Every call takes the same number of steps, whatever the working set."""
    return STEPS


def setup(n):
    """The four orders written into one array of n bytes, and where each walk starts."""
    lines = n // LINE
    pages = lines // PER_PAGE
    rng = np.random.default_rng(42)
    # Shuffled within pages: page p visits its lines at offsets shuffle[0] ^ masks[p], shuffle[1] ^ masks[p], ...
    shuffle, masks = rng.permutation(PER_PAGE), rng.integers(0, PER_PAGE, pages)
    place = np.argsort(shuffle)  # where each offset comes in the shared order
    offset = np.arange(PER_PAGE)
    # successor[m, o]: the slot offset, within its page, of the line after offset o under mask m
    # (the last line's entry is replaced below by the next page's first line).
    successor = (shuffle[np.minimum(place[offset ^ offset[:, None]] + 1, PER_PAGE - 1)] ^ offset[:, None]) * PER_LINE
    cycle_next, cycle = random_cycle(lines, rng)
    nxt = np.empty(n // SLOT, dtype=np.int64)
    by_line = nxt.reshape(lines, PER_LINE)
    for first in range(0, lines, CHUNK):  # a slice of whole pages at a time: small temporaries, even for 1 GiB
        rows = slice(first, min(first + CHUNK, lines))
        line = np.arange(rows.start, rows.stop)
        by_line[rows, 0] = (line + 1) * PER_LINE  # the line above
        by_line[rows, 1] = (line - 1) * PER_LINE + 1  # the line below
        page = np.arange(rows.start // PER_PAGE, rows.stop // PER_PAGE)
        shuffled = by_line[rows, 2].reshape(len(page), PER_PAGE)  # a view: one row per page
        np.add(successor[masks[page]], (page * PAGE // SLOT + 2)[:, None], out=shuffled)
        by_line[rows, 3] = cycle_next[rows] * PER_LINE + 3
    by_line[-1, 0], by_line[0, 1] = 0, (lines - 1) * PER_LINE + 1  # both walks wrap around
    firsts = np.arange(pages) * PER_PAGE + (shuffle[0] ^ masks)
    lasts = np.arange(pages) * PER_PAGE + (shuffle[-1] ^ masks)
    by_line[lasts, 2] = np.roll(firsts, -1) * PER_LINE + 2  # each page's last line leads to the next page
    # Where each walk starts: the sequential and backward walks two thirds of the way up, moving
    # away from the page-shuffled walk, which starts at the bottom and moves up more slowly.
    starts = {"sequential": 2 * lines // 3, "backward": 2 * lines // 3 - 1, "shuffled within pages": 0, "random": 0}
    order = {"pages": (shuffle, masks), "cycle": cycle, "lines": lines}
    walks = {name: {"start": s, "step": 0, "at": line_at(name, order, s, 0)} for name, s in starts.items()}
    return {"view": memoryview(nxt), "order": order, "walks": walks}


def line_at(name, order, start, step):
    """The slot a walk that began at `start` reaches after `step` steps: the answer it is checked against."""
    lines = order["lines"]
    if name == "sequential":
        line = (start + step) % lines
    elif name == "backward":
        line = (start - step) % lines
    elif name == "shuffled within pages":
        shuffle, masks = order["pages"]
        page, place = divmod((start + step) % lines, PER_PAGE)
        line = page * PER_PAGE + (int(shuffle[place]) ^ int(masks[page]))
    else:
        line = slot_at(order["cycle"], (start + step) % lines)
    return line * PER_LINE + ORDERS.index(name)


def walk(data, name):
    """STEPS dependent loads, i = next[i], unrolled tenfold as on the latency page."""
    state, nxt = data["walks"][name], data["view"]
    i = state["at"]
    i = chase(nxt, i, STEPS)
    state["at"] = i
    state["step"] += STEPS
    return i, line_at(name, data["order"], state["start"], state["step"])


VARIANTS = {name: lambda data, name=name: walk(data, name) for name in ORDERS}


def agree(outputs):
    """Each walk must stand on the slot its order gives for its step count."""
    return all(at == expected for at, expected in outputs.values())


CLAIMS = {
    # Inside L2 the order does not matter: the interpreter's step hides an L2 hit.
    "order-free-in-l2": {"faster": "sequential", "slower": "random", "at": "L2/2", "by_at_most": 1.4},
    # In DRAM a walk in either direction still costs what it costs in L1: the prefetcher runs ahead.
    "sequential-runs-ahead": {"variant": "sequential", "faster_at": "L1d/2", "slower_at": "L3*2", "by_at_most": 1.5},
    "backward-runs-ahead": {"variant": "backward", "faster_at": "L1d/2", "slower_at": "L3*2", "by_at_most": 1.5},
    # A random order within each page, the same pages in the same order: the prefetcher falls behind.
    "page-shuffle-defeats-the-stream": {
        "faster": "sequential",
        "slower": "shuffled within pages",
        "at": "L3*2",
        "by_at_least": 1.5,
    },
    # ... but staying on one page for a while still beats a new page at every step.
    "pages-in-order-beat-random": {
        "faster": "shuffled within pages",
        "slower": "random",
        "at": "L3*2",
        "by_at_least": 1.5,
    },
    "random-pays-dram": {"faster": "sequential", "slower": "random", "at": "L3*2", "by_at_least": 4},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
