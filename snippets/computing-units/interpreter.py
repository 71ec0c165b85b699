"""Interpreter overhead: one addition per element, in bytecode and in a NumPy ufunc.

`out[i] = a[i] + b[i]` is one Python-level operation, and the interpreter runs around ten
bytecodes for it: load, index, add (checking both types, allocating a float object), store,
advance the loop. A ufunc does the same addition in a compiled loop, a few machine instructions
per element. Calling the ufunc once per element pays its fixed cost per element instead.

Where `perf stat` can read the CPU's counters, counters() records the instructions and cycles
of one call, per element; under most hypervisors it cannot, and then records none.

Run it:  python interpreter.py            (full sizes, a few seconds)
         python interpreter.py --quick    (small sizes, a second)
"""

import functools
import os
import shutil
import signal
import subprocess
import time

import numpy as np

TITLE = "out[i] = a[i] + b[i] over n floats"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [100, 1_000]
# From lists and arrays in L1 to lists whose float objects spill L2 on any mainstream machine.
SIZES = [1_000, 10_000, 100_000]
BUDGET_S = 15

PERF_EVENTS = "instructions:u,cycles:u"  # user-space only: what the loop itself executes
PERF_ATTACH_S = 0.2  # perf stat -p needs a moment before it counts
PERF_CALLS = 20  # calls counted at once, so that attaching and detaching are a small part


def working_set(n):
    """Bytes of the three float64 arrays; the lists hold pointers to float objects besides."""
    return 24 * n


def setup(n):
    rng = np.random.default_rng(42)
    a, b = rng.random(n), rng.random(n)
    lists = {"la": a.tolist(), "lb": b.tolist(), "lout": [0.0] * n}
    return {"a": a, "b": b, "out": np.empty(n), "out_each": np.empty(n)} | lists


def python_loop(data):
    a, b, out = data["la"], data["lb"], data["lout"]
    for i in range(len(a)):
        out[i] = a[i] + b[i]
    return out


def numpy_ufunc(data):
    return np.add(data["a"], data["b"], out=data["out"])


def ufunc_per_element(data):
    a, b, out = data["a"], data["b"], data["out_each"]
    for i in range(len(a)):
        out[i] = np.add(a[i], b[i])
    return out


VARIANTS = {
    "python loop": python_loop,
    "numpy ufunc": numpy_ufunc,
    "ufunc per element": ufunc_per_element,
}


def agree(results):
    """Every variant wrote the same sums."""
    reference = np.asarray(results["numpy ufunc"])
    return all(np.array_equal(np.asarray(r), reference) for r in results.values())


def counters(variant, data):
    """Instructions and cycles per element of PERF_CALLS calls, from `perf stat` attached to this
    process; none where perf is missing or the CPU's counters are hidden (most virtual machines)."""
    perf = readable_perf()
    if not perf:
        return {}
    n = len(data["a"])
    watch = subprocess.Popen(
        [perf, "stat", "-x,", "-e", PERF_EVENTS, "-p", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(PERF_ATTACH_S)
        for _ in range(PERF_CALLS):
            VARIANTS[variant](data)
    finally:
        watch.send_signal(signal.SIGINT)
        report = watch.communicate(timeout=10)[1]
    counts = perf_counts(report)
    if "instructions" not in counts or "cycles" not in counts:
        return {}
    per = PERF_CALLS * n
    return {
        "instructions per element": counts["instructions"] / per,
        "cycles per element": counts["cycles"] / per,
        "instructions per cycle": counts["instructions"] / counts["cycles"],
    }


@functools.cache
def readable_perf():
    """perf's path where it can count this CPU's instructions and cycles, asked once per process:
    under most hypervisors `perf stat` reports them <not supported>, and attaching would be wasted."""
    perf = shutil.which("perf")
    if not perf:
        return None
    probe = subprocess.run([perf, "stat", "-x,", "-e", PERF_EVENTS, "true"], capture_output=True, text=True)
    return perf if {"instructions", "cycles"} <= perf_counts(probe.stderr).keys() else None


def perf_counts(report):
    """{event: count} from `perf stat -x,` output; events perf could not count are left out."""
    counts = {}
    for line in report.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[0].replace(".", "", 1).isdigit():
            counts[fields[2].split(":")[0]] = float(fields[0])
    return counts


CLAIMS = {
    # In L1, neither memory nor page faults blur the comparison: the interpreter against compiled code.
    "ufunc-beats-the-loop": {"faster": "numpy ufunc", "slower": "python loop", "at": 10_000, "by_at_least": 40},
    # A ufunc call's fixed cost (argument parsing, type resolution, a result object) dwarfs one addition.
    "ufunc-call-per-element-costs-more": {
        "faster": "python loop",
        "slower": "ufunc per element",
        "at": 10_000,
        "by_at_least": 8,
    },
    # The interpreter's cost per element does not depend on n while the data stays in cache.
    "loop-flat-in-cache": {"variant": "python loop", "faster_at": 1_000, "slower_at": 10_000, "by_at_most": 1.25},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
