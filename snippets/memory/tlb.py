"""TLB and huge pages: the same dependent random walk over n cache lines, packed or one per page.

Every load needs its virtual address translated to a physical one. The TLB caches recent
translations, a few dozen in its first level and a few thousand in its second; on a miss the
core walks the page tables (in a virtual machine, the guest's and then the host's), and the
load waits for the walk. The walk here visits n lines in one random cycle, each step waiting for
the last, as on the latency page, with the lines laid out two ways:

- dense: the lines are adjacent, 64 B apart, so n lines span n / 64 pages of 4 KiB;
- one line per page: the lines are 4096 + 64 B apart, each on a page of its own. The extra 64 B
  moves each line to the next cache set, so the n lines spread over all sets as the dense ones
  do; 4096 B apart they would pile into a few sets (the associativity page).

Both walks read n lines, n * 64 bytes, so their data fits the same caches at the same n. What
differs is the pages, n instead of n / 64: past the TLB's reach each sparse step also waits for
a page walk. The third variant is the same sparse walk in memory advised with MADV_HUGEPAGE,
where the kernel may back each 2 MiB with one huge page: one translation for 504 lines. Whether
it does depends on its transparent-huge-page mode (/sys/kernel/mm/transparent_hugepage/enabled:
"always" or "madvise" grant them, "never" does not) and on free memory; counters() reports how
much of the walk it got on huge pages (AnonHugePages of the mapping in /proc/self/smaps).

Run it:  python tlb.py            (full sizes, about ten seconds)
         python tlb.py --quick    (small sizes, a second)
"""

import contextlib
import mmap

import numpy as np
from latency import chase, huge_page_share, random_cycle, slot_at  # the walk has one home: the latency staircase

TITLE = "A dependent random walk over n cache lines: packed, or one line per page"
UNIT = "access"
SIZE_UNIT = "lines"  # n: the lines the walk visits, one per page in the sparse walks
PLATFORMS = ("linux",)  # madvise(MADV_HUGEPAGE) and /proc/self/smaps
QUICK_SIZES = [16, 1024]
# From 16 pages, which every first-level TLB holds, to 2**17, many times what any second-level
# TLB holds. The lines themselves take n * 64 bytes: in L1 at the start, past L2 at the end.
SIZES = [2**k for k in (4, 6, 8, 10, 11, 12, 13, 14, 15, 16, 17)]
BUDGET_S = 12
STEPS = 20_000  # accesses per call
LINE = 64
PAGE = 4096  # the base page of x86-64 (and of most ARM64 Linux); with 16 KiB pages, 4 lines share one


def huge_page_size(fallback=2 * 2**20):
    """The size of a transparent huge page, from the kernel; 2 MiB (x86-64's) if it does not say."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") as f:
            return int(f.read())
    except (OSError, ValueError):
        return fallback


HUGE = huge_page_size()
VARIANTS_LAYOUT = {  # stride in bytes, and the advice given before the first touch
    "dense, 4 KiB pages": (LINE, "MADV_NOHUGEPAGE"),
    "one line per page, 4 KiB pages (MADV_NOHUGEPAGE)": (PAGE + LINE, "MADV_NOHUGEPAGE"),
    "one line per page, huge pages (MADV_HUGEPAGE)": (PAGE + LINE, "MADV_HUGEPAGE"),
}


def work(n):
    """Every call takes the same number of steps, whatever n."""
    return STEPS


def working_set(n):
    """The bytes of the lines the walk reads, n * 64 whatever the layout (the page tables aside)."""
    return LINE * n


def lay_out(n, stride, advice, nxt):
    """A private anonymous mapping, advised before its first touch, holding the cycle `stride` apart.

    The walk starts at a huge-page boundary inside the mapping, so that huge pages can cover all
    of it; its first slot is a page past the start of the view, so that every index is above 256:
    past CPython's cached small ints, each step creates an int object whatever the layout.
    """
    span = -(-n * stride // HUGE) * HUGE  # the walk's bytes, rounded up to whole huge pages
    size = span + 2 * HUGE  # room to skip to an aligned start
    buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)  # private: anonymous memory, not shared memory
    # A kernel built without transparent huge pages refuses the advice: every variant then runs on 4 KiB pages.
    with contextlib.suppress(OSError):
        buffer.madvise(getattr(mmap, advice))
    whole = np.frombuffer(buffer, dtype=np.int64)
    first = whole.ctypes.data + PAGE
    view = whole[(first + -first % HUGE - PAGE - whole.ctypes.data) // 8 :]
    per_slot, base = stride // 8, PAGE // 8  # slot s is element base + s * per_slot of the view
    view[base : base + n * per_slot : per_slot] = base + nxt * per_slot  # each page's first touch
    region = view[base : base + span // 8]  # the huge-page-aligned span the walk lies in
    return {"mmap": buffer, "region": region, "span": span, "view": memoryview(view), "per_slot": per_slot}


def setup(n):
    """One random cycle through n slots, laid out once per variant, and where each walk stands."""
    nxt, cycle = random_cycle(n, np.random.default_rng(42))
    data = {}
    for name, (stride, advice) in VARIANTS_LAYOUT.items():
        state = lay_out(n, stride, advice, nxt)
        state |= {"cycle": cycle, "step": 0, "at": PAGE // 8 + slot_at(cycle, 0) * state["per_slot"]}
        data[name] = state
    return data


def walk(state):
    """STEPS dependent loads, i = next[i], unrolled tenfold as on the latency page."""
    nxt, i = state["view"], state["at"]
    i = chase(nxt, i, STEPS)
    state["at"] = i
    state["step"] += STEPS
    return np.array([(i - PAGE // 8) // state["per_slot"], slot_at(state["cycle"], state["step"])])


def pick(name):
    """The harness calls variant(data): hand this variant its own layout."""
    return lambda data: walk(data[name])


VARIANTS = {name: pick(name) for name in VARIANTS_LAYOUT}


def agree(outputs):
    """Each walk must stand on the slot the cycle's formula gives for its step count."""
    return all(out[0] == out[1] for out in outputs.values())


def counters(variant, data):
    """How many huge pages back this variant's walk, and what share of the walk's span they cover.

    The kernel may merge neighbouring mappings with the same flags into one; the share is capped
    at 1 so that a neighbour's huge pages cannot make it look larger than the walk.
    """
    state = data[variant]
    share = huge_page_share(state["region"])
    if share is None:
        return {}  # no /proc: nothing to report
    return {"huge pages": round(share * state["span"] / HUGE), "share of the walk on huge pages": share}


CLAIMS = {
    # While the lines fit in L2, the dense walk's cost stays flat: it is the control for the data.
    "dense-flat-in-l2": {"variant": "dense, 4 KiB pages", "faster_at": 16, "slower_at": "L2/2", "by_at_most": 1.6},
    # A page per line costs nothing while the first-level TLB holds every page...
    "pages-free-in-the-l1-tlb": {
        "faster": "dense, 4 KiB pages",
        "slower": "one line per page, 4 KiB pages (MADV_NOHUGEPAGE)",
        "at": 16,
        "by_at_most": 1.3,
    },
    # ...and little while the second-level TLB holds them: a hit there hides behind the interpreter's work...
    "second-level-tlb-hits-hide": {
        "faster": "dense, 4 KiB pages",
        "slower": "one line per page, 4 KiB pages (MADV_NOHUGEPAGE)",
        "at": 1024,
        "by_at_most": 1.3,
    },
    # ...but a page walk per step once the pages outnumber any second-level TLB, while the lines fit in L2.
    "page-walks-past-the-tlb": {
        "faster": "dense, 4 KiB pages",
        "slower": "one line per page, 4 KiB pages (MADV_NOHUGEPAGE)",
        "at": 2**13,
        "by_at_least": 1.1,
    },
    # Huge pages do not slow the walk; how much they save depends on the machine (see the page).
    "huge-pages-never-slower": {
        "faster": "one line per page, 4 KiB pages (MADV_NOHUGEPAGE)",
        "slower": "one line per page, huge pages (MADV_HUGEPAGE)",
        "at": 2**14,
        "by_at_most": 1.15,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
