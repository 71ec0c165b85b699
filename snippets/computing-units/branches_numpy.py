"""Branch prediction in NumPy: which ways of writing a condition branch on the data, and which do not.

The same sum as branches.py, the values >= 128 among n random bytes, sorted and shuffled, in
three more ways NumPy offers. Each first computes the mask `x >= 128` (branch-free: one compare
per byte, SIMD). What happens next decides whether the order of the data matters:

- np.where(mask, x, 0) picks, element by element, from x or from 0: NumPy's loop for it tests
  each mask byte with an if, a branch that follows the data.
- x * mask multiplies every element by 0 or 1: no branch, both outcomes cost the same.
- np.compress(mask, x) copies the selected elements, as x[mask] does, but by way of their
  indices: it finds them without a branch on the data, and copies them in a loop over indices.

Run it:  python branches_numpy.py            (full sizes, a few seconds)
         python branches_numpy.py --quick    (small sizes, a second)
"""

import numpy as np

TITLE = "Summing the values >= 128 of n random bytes in NumPy, sorted and shuffled"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 10_000]
# From arrays in L1 to arrays that, with their mask and result, stay inside half of L2 (and
# below the size where glibc starts to map each temporary afresh, with page faults in every call).
SIZES = [1_000, 10_000, 100_000]
BUDGET_S = 8
THRESHOLD = 128  # half of the values 0..255 are at or above it


def working_set(n):
    """Bytes the variants touch: the uint8 input, the bool mask and a uint8 result."""
    return 3 * n


def setup(n):
    """n random bytes as uint8, in ascending order and shuffled (a permutation of the same values)."""
    shuffled = np.random.default_rng(42).integers(0, 256, n, dtype=np.uint8)
    return {"sorted": np.sort(shuffled), "shuffled": shuffled}


def where(x):
    return int(np.where(x >= THRESHOLD, x, 0).sum())


def multiply(x):
    return int((x * (x >= THRESHOLD)).sum())


def compress(x):
    return int(np.compress(x >= THRESHOLD, x).sum())


VARIANTS = {
    "np.where, sorted": lambda data: where(data["sorted"]),
    "np.where, shuffled": lambda data: where(data["shuffled"]),
    "multiply by mask, sorted": lambda data: multiply(data["sorted"]),
    "multiply by mask, shuffled": lambda data: multiply(data["shuffled"]),
    "np.compress, sorted": lambda data: compress(data["sorted"]),
    "np.compress, shuffled": lambda data: compress(data["shuffled"]),
}


def agree(outputs):
    """Every variant adds the same values: the sums are equal exactly."""
    reference = outputs["np.where, sorted"]
    return all(np.array_equal(total, reference) for total in outputs.values())


CLAIMS = {
    # np.where's loop branches on every mask byte: shuffled, half its guesses are wrong.
    "where-pays-for-shuffled": {
        "faster": "np.where, sorted",
        "slower": "np.where, shuffled",
        "at": 100_000,
        "by_at_least": 2.5,
    },
    # Multiplying by the mask does the same work whatever the order.
    "multiply-is-flat": {
        "faster": "multiply by mask, sorted",
        "slower": "multiply by mask, shuffled",
        "at": 100_000,
        "by_at_most": 1.3,
    },
    # So does selecting by index.
    "compress-is-flat": {
        "faster": "np.compress, sorted",
        "slower": "np.compress, shuffled",
        "at": 100_000,
        "by_at_most": 1.3,
    },
    # On shuffled data, the branch-free way wins.
    "multiply-beats-where-shuffled": {
        "faster": "multiply by mask, shuffled",
        "slower": "np.where, shuffled",
        "at": 100_000,
        "by_at_least": 3,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
