"""Branch prediction: the same data-dependent branch over sorted and over shuffled bytes.

Sum the values >= 128 among n random ints from 0 to 255, once with the values in ascending
order and once with the same values shuffled: the same additions, the same answer, in another
order. `if v >= 128` is a conditional branch, and a CPU does not wait for the comparison: it
guesses the outcome from the branch's history and runs ahead. Sorted, the outcome changes once,
and the guesses are right; shuffled, it is a coin toss, half the guesses are wrong, and every
wrong guess throws away the work started after it.

The Python loop runs the branch in bytecode: the interpreter's own compare-and-jump follows the
data. `x[x >= 128].sum()` compiles it: NumPy scans the mask for runs of selected elements and copies
each run into a new array; where a run ends is a branch that follows the data too.

A predictor learns more than "mostly taken": it also remembers long runs of outcomes. Called
again and again on the same shuffled array, as here, it can learn part of the sequence. The
reshuffled variant takes a different permutation of the same values on every call, from enough
of them that a cycle holds a million outcomes, too many to learn.

Run it:  python branches.py            (full sizes, a few seconds)
         python branches.py --quick    (small sizes, a second)
"""

import itertools

import numpy as np

TITLE = "Summing the values >= 128 of n random bytes, sorted and shuffled"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 10_000]
# A list of 100,000 ints is 800 KB of pointers (the ints themselves are CPython's cached small
# ints), the array a tenth of that: sequential reads from the caches, never from memory.
SIZES = [1_000, 10_000, 100_000]
BUDGET_S = 7
THRESHOLD = 128  # half of the values 0..255 are at or above it
OUTCOMES = 1_000_000  # branch outcomes before the reshuffled variant sees an array again


def setup(n):
    """n random bytes, in ascending order and shuffled (a permutation of the same values), each as
    an ndarray of uint8 and as a list of ints; and more permutations of them, taken in turn."""
    rng = np.random.default_rng(42)
    shuffled = rng.integers(0, 256, n, dtype=np.uint8)
    ascending = np.sort(shuffled)
    permutations = [rng.permutation(shuffled) for _ in range(-(-OUTCOMES // n))]
    return {
        "sorted": ascending,
        "shuffled": shuffled,
        "reshuffled": itertools.cycle(permutations),
        "sorted list": ascending.tolist(),
        "shuffled list": shuffled.tolist(),
    }


def python_loop(xs):
    total = 0
    for v in xs:
        if v >= THRESHOLD:
            total += v
    return total


def numpy_mask(x):
    return int(x[x >= THRESHOLD].sum())


VARIANTS = {
    "python loop, sorted": lambda data: python_loop(data["sorted list"]),
    "python loop, shuffled": lambda data: python_loop(data["shuffled list"]),
    "numpy mask, sorted": lambda data: numpy_mask(data["sorted"]),
    "numpy mask, shuffled": lambda data: numpy_mask(data["shuffled"]),
    "numpy mask, reshuffled": lambda data: numpy_mask(next(data["reshuffled"])),
}


def agree(outputs):
    """Every variant adds the same values: the sums are equal exactly."""
    reference = outputs["python loop, sorted"]
    return all(np.array_equal(total, reference) for total in outputs.values())


CLAIMS = {
    # Compiled, the branch is most of the work: every misprediction shows.
    "mask-pays-for-shuffled": {
        "faster": "numpy mask, sorted",
        "slower": "numpy mask, shuffled",
        "at": 100_000,
        "by_at_least": 4,
    },
    # ...at a size where the predictor cannot learn the shuffled array: a fresh one costs no more.
    "too-long-to-learn": {
        "faster": "numpy mask, shuffled",
        "slower": "numpy mask, reshuffled",
        "at": 100_000,
        "by_at_most": 1.5,
    },
    # In bytecode the misprediction still costs...
    "loop-pays-for-shuffled": {
        "faster": "python loop, sorted",
        "slower": "python loop, shuffled",
        "at": 100_000,
        "by_at_least": 1.1,
    },
    # ...but the interpreter's own work per element hides most of the ratio.
    "loop-hides-most-of-it": {
        "faster": "python loop, sorted",
        "slower": "python loop, shuffled",
        "at": 100_000,
        "by_at_most": 2,
    },
    # Even at its worst, the compiled loop is well ahead of the interpreted one at its best.
    "mask-shuffled-beats-the-loop-sorted": {
        "faster": "numpy mask, shuffled",
        "slower": "python loop, sorted",
        "at": 100_000,
        "by_at_least": 2,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
