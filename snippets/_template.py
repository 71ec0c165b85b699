"""Template: copy me to snippets/<chapter>/<topic>.py, and make it the one experiment your page is about.

Say here what the experiment isolates and why the variants differ; the page shows this file. The
harness reads the names below (CONTRIBUTING.md lists every one), and measures each variant at
each size; run on its own, the file prints what the harness would measure.

Run it:  python snippets/<chapter>/<topic>.py            (full sizes)
         python snippets/<chapter>/<topic>.py --quick    (small sizes, a second)
"""

import numpy as np

TITLE = "Summing n float64 values: a Python loop against NumPy"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 10_000]
SIZES = [1_000, 100_000, 10_000_000]
BUDGET_S = 10


def setup(n):
    """The same n values as an ndarray and as a list, built once per size, outside the timing."""
    values = np.random.default_rng(42).random(n)
    return {"array": values, "list": values.tolist()}


def python_loop(data):
    total = 0.0
    for value in data["list"]:
        total += value
    return total


def numpy_sum(data):
    return float(np.add.reduce(data["array"]))


VARIANTS = {"python loop": python_loop, "numpy": numpy_sum}


def agree(results):
    """Both sums agree to rounding (they add in different orders)."""
    return bool(np.isclose(results["python loop"], results["numpy"], rtol=1e-9))


CLAIMS = {
    "numpy-beats-the-loop": {"faster": "numpy", "slower": "python loop", "at": 100_000, "by_at_least": 10},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    checkout = next(p for p in Path(__file__).resolve().parents if (p / "bench" / "measure.py").is_file())
    sys.path.insert(0, str(checkout))  # its harness measures, from here or from snippets/<chapter>/
    from bench.measure import standalone

    standalone(sys.modules[__name__])
