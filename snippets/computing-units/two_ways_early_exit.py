"""Less overhead: is any of n floats above a threshold? Build the whole list first, or stop at the answer.

`any([x > THRESHOLD for x in xs])` builds a list of n bools, then any() reads it until the first
True. `any(x > THRESHOLD for x in xs)` hands any() one bool at a time, and any() stops asking at the
first True: the rest of the list is never compared. A plain loop with `return` stops there too,
without a generator between any() and the comparison. The only float above the threshold sits in the
middle of the list, so stopping early skips half the work.

Run it:  python two_ways_early_exit.py            (full sizes, a few seconds)
         python two_ways_early_exit.py --quick    (small sizes, a second)
"""

import numpy as np

TITLE = "Is any of n floats above a threshold? The whole list first, or stop at the answer"
UNIT = "element"  # of the list, whether or not a variant looks at it
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 10_000]
SIZES = [1_000, 10_000, 100_000, 1_000_000]
BUDGET_S = 10
THRESHOLD = 1.5


def setup(n):
    """n floats in [0, 1), with the one above THRESHOLD in the middle."""
    xs = np.random.default_rng(42).random(n).tolist()
    xs[n // 2] = 2.0
    return xs


def full_list(xs):
    return any([x > THRESHOLD for x in xs])


def generator(xs):
    return any(x > THRESHOLD for x in xs)


def loop_with_return(xs):
    for x in xs:  # noqa: SIM110 (this loop is the variant: the same test without a generator)
        if x > THRESHOLD:
            return True
    return False


VARIANTS = {
    "whole list, then any()": full_list,
    "generator into any()": generator,
    "loop, return at the answer": loop_with_return,
}


def agree(outputs):
    """Every variant finds the float above the threshold."""
    return all(found is True for found in outputs.values())


CLAIMS = {
    # Half the comparisons, and no list of n bools: stopping early pays even through a generator...
    "generator-beats-the-list": {
        "faster": "generator into any()",
        "slower": "whole list, then any()",
        "at": 100_000,
        "by_at_least": 1.15,
    },
    # ...and more without one: a generator costs more per element than the loop it replaces.
    "loop-beats-the-list": {
        "faster": "loop, return at the answer",
        "slower": "whole list, then any()",
        "at": 100_000,
        "by_at_least": 2,
    },
    "loop-beats-the-generator": {
        "faster": "loop, return at the answer",
        "slower": "generator into any()",
        "at": 100_000,
        "by_at_least": 1.5,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
