"""Memoization: functools.lru_cache in front of a costly pure function, on a skewed stream of keys.

A program asks a pure function (same key, same answer; no side effects) for LOOKUPS keys drawn
from KEYS distinct ones. Like requests to a web site or words in a text, the keys follow Zipf's
law: the k-th most popular key comes up with probability proportional to 1/k, so a few keys come
up again and again and most come up once or never. The keys are drawn once, in setup, with a
seeded generator: every call sees the same stream.

"no cache" computes every lookup. "lru_cache" puts functools.lru_cache(maxsize=n) in front of
the function: a hit returns the stored answer, a miss computes it and stores it, evicting the
least recently used key once n are stored. Every call makes a new, empty cache, so its hit ratio
is the stream's, not one left over from the previous call. Sizes are the cache's maxsize.

Run it:  python caching_memo.py            (full sizes, about ten seconds)
         python caching_memo.py --quick    (fewer lookups, a second)
"""

import functools
import tracemalloc

import numpy as np

TITLE = "Looking up a costly pure function through functools.lru_cache of n entries"
UNIT = "lookup"
SIZE_UNIT = "entries"
SIZES = [16, 64, 256, 1_024, 4_096, 16_384]  # the largest holds every distinct key: nothing is evicted
QUICK_SIZES = [16, 1_024]
BUDGET_S = 15
KEYS = 10_000  # distinct keys the stream draws from
LOOKUPS = 20_000  # lookups per call
ZIPF_EXPONENT = 1.0  # probability of the k-th most popular key proportional to 1 / k**ZIPF_EXPONENT
ROUNDS = 40  # the costly function's loop: a few microseconds of Python arithmetic per call
QUICK_OVERRIDES = {"LOOKUPS": 2_000}


def costly(key):
    """A pure function that takes a few microseconds: ROUNDS steps of a linear congruential generator."""
    x = key
    for _ in range(ROUNDS):
        x = (x * 1103515245 + 12345) % 2147483648
    return x % 1000


def zipf_keys(keys, lookups, exponent, seed=42):
    """lookups keys drawn from keys distinct ones by Zipf's law; popularity does not follow the key's value."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, keys + 1) ** exponent
    names = rng.permutation(keys)  # the most popular key is not key 0
    return names[rng.choice(keys, size=lookups, p=weights / weights.sum())].tolist()


def setup(n):
    """The same stream of keys at every size; n is the cache's maxsize."""
    return {"keys": zipf_keys(KEYS, LOOKUPS, ZIPF_EXPONENT), "maxsize": n}


def work(n, variant):
    return LOOKUPS


def no_cache(data):
    f = costly
    return sum(f(key) for key in data["keys"])


def lookups_through_cache(data):
    """The sum of every lookup through a new lru_cache, and that cache's statistics."""
    f = functools.lru_cache(maxsize=data["maxsize"])(costly)
    total = sum(f(key) for key in data["keys"])
    return total, f.cache_info()


def with_lru_cache(data):
    return lookups_through_cache(data)[0]


VARIANTS = {"no cache": no_cache, "lru_cache": with_lru_cache}


def agree(outputs):
    """A cache changes when an answer is computed, never what it is."""
    return bool(np.asarray(outputs["no cache"], dtype=float) == np.asarray(outputs["lru_cache"], dtype=float))


def counters(variant, data):
    """For one call: the share of lookups the cache answered, the entries it held at the end, and
    the memory the cache took: tracemalloc's peak over the same lookups, repeated with the
    function's answers read from a table made beforehand, so that only the cache allocates (its
    entries and its list of links; the answers themselves, a few bytes each, are not counted)."""
    if variant == "no cache":
        hit_ratio, entries, f = 0.0, 0, None
    else:
        _, info = lookups_through_cache(data)
        hit_ratio, entries = info.hits / (info.hits + info.misses), info.currsize
        f = functools.lru_cache(maxsize=data["maxsize"])
    answers = {key: costly(key) for key in set(data["keys"])}
    lookup = answers.__getitem__ if f is None else f(answers.__getitem__)
    tracemalloc.start()
    try:
        for key in data["keys"]:
            lookup(key)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"hit ratio": round(hit_ratio, 3), "entries held": entries, "cache KiB": round(peak / 1024, 1)}


CLAIMS = {
    # Holding every key, the cache computes each distinct key once: the repeats cost a dict lookup.
    "cache-pays": {"faster": "lru_cache", "slower": "no cache", "at": 16_384, "by_at_least": 2.5},
    # On a skewed stream a cache of a fortieth of the distinct keys already answers half the lookups.
    "small-cache-close": {"variant": "lru_cache", "faster_at": 16_384, "slower_at": 256, "by_at_most": 3},
    # Once the cache holds about every key the stream uses, a larger one buys nothing.
    "flat-past-the-keys": {"variant": "lru_cache", "faster_at": 16_384, "slower_at": 4_096, "by_at_most": 1.3},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
