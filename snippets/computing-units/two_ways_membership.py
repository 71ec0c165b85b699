"""A better algorithm: the same membership test as a scan of a list and as a lookup in a set.

`key in a_list` compares the key with one element after another until one matches: n compares
when the key is absent, n/2 on average when it is present. `key in a_set` hashes the key and
looks in one slot of a table (a few more on a collision): the same work whatever n is. No
hardware makes the first catch up with the second; choosing the data structure does.

Both answer the same queries, half of them present, over the same n distinct ints.

Run it:  python two_ways_membership.py            (full sizes, about ten seconds)
         python two_ways_membership.py --quick    (small sizes, a second)
"""

import numpy as np

TITLE = "Membership tests: key in a list against key in a set, n ints"
UNIT = "lookup"
SIZE_UNIT = "elements"
QUICK_SIZES = [10, 1_000]
# From a handful of elements, where a scan is a few compares, to a million.
SIZES = [10, 100, 1_000, 10_000, 100_000, 1_000_000]
# A scan of a million ints per lookup takes milliseconds: the list stops at 100,000.
LIMITS = {"list scan": 100_000}
BUDGET_S = 10
QUERIES = 256  # lookups per call, half of them for keys that are present


def setup(n):
    """n distinct even ints in random order, as a list and as a set, and the keys to look up:
    even ones (present) and odd ones (absent), drawn from the same range."""
    rng = np.random.default_rng(42)
    values = (rng.permutation(n) * 2).tolist()
    present = rng.choice(values, QUERIES // 2).tolist()
    absent = (rng.integers(0, n, QUERIES - len(present)) * 2 + 1).tolist()
    keys = present + absent
    rng.shuffle(keys)
    return {"list": values, "set": set(values), "keys": keys}


def work(n):
    return QUERIES


def list_scan(data):
    values = data["list"]
    return sum(key in values for key in data["keys"])


def set_lookup(data):
    values = data["set"]
    return sum(key in values for key in data["keys"])


VARIANTS = {"list scan": list_scan, "set lookup": set_lookup}


def agree(outputs):
    """Both find the same number of keys: the present half."""
    return all(np.array_equal(found, QUERIES // 2) for found in outputs.values())


CLAIMS = {
    # O(n) against O(1): at ten thousand elements the set has long won...
    "set-beats-scan": {"faster": "set lookup", "slower": "list scan", "at": 10_000, "by_at_least": 500},
    # ...because a scan's cost grows with n (tenfold here, ideally)...
    "scan-grows-with-n": {"variant": "list scan", "faster_at": 10_000, "slower_at": 100_000, "by_at_least": 5},
    # ...and a lookup's does not, while the table is small enough to stay in the caches.
    "lookup-flat": {"variant": "set lookup", "faster_at": 10, "slower_at": 10_000, "by_at_most": 1.5},
    # The same keys every call: even among a million ints their slots stay in the caches.
    "repeated-keys-stay-cached": {"variant": "set lookup", "faster_at": 10, "slower_at": 1_000_000, "by_at_most": 1.5},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
