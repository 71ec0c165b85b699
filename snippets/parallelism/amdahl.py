"""Amdahl's law: the same work, a fixed fraction of it serial, over 1 to 8 worker processes.

Every call sums the same integer series, (i * i) % 7 for i below ITERATIONS: pure-Python
arithmetic, with no memory traffic to speak of. A fraction of the iterations, the serial part,
runs in this process alone; the rest is cut into k equal slices, one per worker of a pool of k
processes started beforehand, and summed at the same time. The variants differ only in that
fraction, so with one worker they all do the same work, in about the same time.

If s is the serial fraction, k workers at best take s + (1 - s) / k of the time one takes:
the speedup is 1 / (s + (1 - s) / k), and however many workers you add it stays below 1 / s.
Workers past the cores this process may use take turns on them and add nothing.

Run it:  python amdahl.py            (1 to 8 processes, about ten seconds)
         python amdahl.py --quick    (1 and 2 processes, a second)
"""

import itertools
import multiprocessing

TITLE = "One series summed with a fixed serial fraction, over k worker processes"
UNIT = "call"
SIZE_UNIT = "processes"
QUICK_SIZES = [1, 2]
SIZES = [1, 2, 3, 4, 6, 8]
BUDGET_S = 15
ITERATIONS = 1_200_000  # enough arithmetic that a pool's messages are small beside it
QUICK_OVERRIDES = {"ITERATIONS": 60_000}
# The share of the iterations that runs in this process only; the page draws Amdahl's curve for each.
SERIAL_FRACTIONS = {"serial fraction 0": 0.0, "serial fraction 0.1": 0.1, "serial fraction 0.5": 0.5}


def partial_sum(start, stop):
    """The series from start to stop: the unit of work, in the calling process or a worker."""
    return sum(i * i % 7 for i in range(start, stop))


def setup(n):
    """A pool of n worker processes, started and warmed up outside the timing."""
    pool = multiprocessing.Pool(n)
    pool.map(abs, range(n))  # every worker has started and answered once
    return {"pool": pool, "workers": n}


def work(n):
    """One call is the whole series, whatever the number of workers."""
    return 1


def teardown(data):
    data["pool"].terminate()
    data["pool"].join()


def amdahl(fraction):
    """A variant: the serial part here, then the rest in equal slices over the pool's workers."""

    def run(data):
        serial_end = round(ITERATIONS * fraction)
        k = data["workers"]
        bounds = [serial_end + (ITERATIONS - serial_end) * i // k for i in range(k + 1)]
        total = partial_sum(0, serial_end)
        return total + sum(data["pool"].starmap(partial_sum, itertools.pairwise(bounds)))

    return run


VARIANTS = {name: amdahl(fraction) for name, fraction in SERIAL_FRACTIONS.items()}


def agree(outputs):
    """Every split sums the same series."""
    return len({float(total) for total in outputs.values()}) == 1


CLAIMS = {
    # Nothing serial: two workers, each on a core of its own, take half the time (Amdahl: 2x).
    "parallel-scales": {"variant": "serial fraction 0", "faster_at": 2, "slower_at": 1, "by_at_least": 1.4},
    # Half serial: two workers can only halve the other half (Amdahl: 1.33x, never 2x).
    "half-serial-bounded": {"variant": "serial fraction 0.5", "faster_at": 2, "slower_at": 1, "by_at_most": 1.65},
    # On two workers, the half-serial run takes 0.75 of one worker's time, the parallel one 0.5 (1.5x).
    "serial-half-costs": {"faster": "serial fraction 0", "slower": "serial fraction 0.5", "at": 2, "by_at_least": 1.1},
    # On one worker the fraction changes where the work runs, not how much there is.
    "same-work-on-one": {"faster": "serial fraction 0", "slower": "serial fraction 0.5", "at": 1, "by_at_most": 1.15},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
