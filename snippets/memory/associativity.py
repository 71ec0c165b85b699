"""Cache associativity: read K float64 values over and over, 4096 B apart or 4160 B apart.

A cache is split into sets. A line's address picks its set, and a set holds a fixed number of
lines, its ways. On x86 the bits that pick an L1 set lie inside the 4 KiB page offset, so lines
4096 B apart all pick the same L1 set: while K is at most the number of ways they all stay, and
once K passes it every read evicts a line that is needed again soon. Lines 4160 B apart (one line
further each time) walk through every set, so K of them fit as long as K lines fit in the whole
cache. Both variants land on a new 4 KiB page at every read, so they touch the same number of
pages: what differs is only the sets.

L2 and L3 pick a set with more address bits, but lines 4096 B apart agree on all the bits below
the page offset: they can use only one set in (4096 / line size) of any cache, and overflow
those sets at larger K, where lines 4160 B apart still fit.

Each call sums the K values R times over (R * K reads, the same number at every K): one
np.einsum over a view of shape (R, K) whose rows all start at the same address (row stride 0),
so the cache, not the register file, must hold the K values between rows. einsum pays a smaller
fixed cost per row than view.sum(axis=1); at small K that cost still shows.

Run it:  python associativity.py            (full sizes, a few seconds)
         python associativity.py --quick    (two sizes, a second)
"""

from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import as_strided

TITLE = "Summing K float64 values over and over, 4096 B or 4160 B apart"
UNIT = "element"  # one value read
SIZE_UNIT = "elements"  # K, the number of distinct values (and lines) read
QUICK_SIZES = [8, 64]
# From K = 8, within the ways of every x86 L1, past the ways of L1, then of the few L2 and L3 sets
# that lines 4096 B apart share; the largest spans 256 MiB.
SIZES = [8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 1024, 4096, 65536]
BUDGET_S = 10
READS = 2**18  # values read per call, at every K: R = READS // K rows
STRIDES = {"4096 B apart": 4096, "4160 B apart": 4096 + 64}


def work(n):
    """Values read in one call: R rows of K."""
    return READS // n * n


def setup(k):
    """Both variants' K values (1, 2, ..., K) in one zeroed buffer, and a view of R rows over each.

    The 4160 B values sit 8 bytes into their lines, so that no value of one variant is one of the
    other's; every row of either view sums to K * (K + 1) / 2.
    """
    buffer = np.zeros(k * STRIDES["4160 B apart"] // 8 + 1)
    rows = READS // k
    data = {}
    for offset, (name, stride) in enumerate(STRIDES.items()):
        values = buffer[offset:]
        values[: k * stride // 8 : stride // 8] = np.arange(1, k + 1)
        view = as_strided(values, shape=(rows, k), strides=(0, stride), writeable=False)
        answer = np.full(rows + 1, k * (k + 1) / 2)  # the row sums, then what each should be
        data[name] = {"view": view, "answer": answer, "sums": answer[:rows]}
    return data


def read_k_values(data, name):
    """R passes over the same K values: sums[r] = the sum of row r, every row the same K addresses."""
    v = data[name]
    np.einsum("ij->i", v["view"], out=v["sums"])
    return v["answer"]


VARIANTS = {name: lambda data, name=name: read_k_values(data, name) for name in STRIDES}


def agree(outputs):
    """Every row of every variant summed exactly its own K values: each sum equals the last entry."""
    return all(bool(np.all(answer[:-1] == answer[-1])) for answer in outputs.values())


def cache_geometry(level, sysfs="/sys/devices/system/cpu/cpu0/cache"):
    """Ways, sets, line size and bytes of this CPU's data cache at `level`, as Linux reports them;
    {} elsewhere. The one reader of the cache description for the memory snippets."""
    for index in sorted(Path(sysfs).glob("index*")):
        try:
            if int((index / "level").read_text()) != level or (index / "type").read_text().strip() == "Instruction":
                continue
            files = {"ways": "ways_of_associativity", "sets": "number_of_sets", "line": "coherency_line_size"}
            geometry = {name: int((index / file).read_text()) for name, file in files.items()}
        except (OSError, ValueError):
            continue
        return geometry | {"size": geometry["ways"] * geometry["sets"] * geometry["line"]}
    return {}


def counters(variant, data):
    """Not timings: the ways of an L1d set, and how many of the K lines fall into the fullest one.

    Both read from Linux at run time (/sys/devices/system/cpu/cpu0/cache); where it does not say,
    nothing is reported. An L1 set is picked by address bits inside a 4 KiB page, so the count is
    the same whatever pages back the buffer.
    """
    l1 = cache_geometry(1)
    if not l1:
        return {}
    view = data[variant]["view"]
    addresses = view.ctypes.data + view.strides[1] * np.arange(view.shape[1])
    fullest = np.bincount(addresses // l1["line"] % l1["sets"]).max()
    return {"L1d ways": l1["ways"], "lines in the fullest L1d set": int(fullest)}


CLAIMS = {
    # Eight lines fit in one set of every x86 L1: a shared set costs nothing yet.
    "same-cost-within-the-ways": {"faster": "4160 B apart", "slower": "4096 B apart", "at": 8, "by_at_most": 1.3},
    # Sixty-four lines in one set: past the ways of L1, nearly every read misses it.
    "one-set-overflows": {"faster": "4160 B apart", "slower": "4096 B apart", "at": 64, "by_at_least": 2.5},
    "spread-stays-in-l1": {"variant": "4160 B apart", "faster_at": 8, "slower_at": 64, "by_at_most": 1.3},
    # No claim on the L2 overflow: those lines then come from L3, whose share moves between runs.
}


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
