"""Allocation and page faults: the same work, with the allocator giving freed memory back or keeping it.

A freed array or object does not always stay with the process. glibc's malloc serves a large
block with an mmap of its own and unmaps it when it is freed; it hands the free top of its heap
back to the kernel once that passes a threshold (it "trims" the heap); and it raises both
thresholds as it sees large blocks freed, so what a call costs depends on what the process
allocated before. CPython's small-object allocator (pymalloc) carves floats out of arenas that it
maps itself, and unmaps an arena as soon as its last object dies. Memory given back costs again
on the next call: the kernel maps a page only when it is first written, one minor page fault
per page, and zeroes it first.

Each variant evaluates 3x² + 2x + 1 over n floats in a Python process of its own, started
afresh for each size, so that its allocator has no history but that variant's own calls, and so
that its settings, read by glibc and CPython at start-up, apply from the start:

    numpy                      the expression, as any NumPy program allocates: glibc's defaults
    numpy, kept                the same, with MALLOC_TRIM_THRESHOLD_=-1 (never trim the heap) and
                               MALLOC_MMAP_MAX_=0 (never mmap: every block comes from the heap)
    numpy, out=                the same five operations into two arrays allocated once
    python loop                a loop over a list, one float object per intermediate: pymalloc
    python loop, malloc, kept  the same loop, PYTHONMALLOC=malloc (the objects come from glibc)
                               and glibc's heap kept as above

One timed call asks the process for enough evaluations to last milliseconds, so that
the round trip through its pipe is a small part of it (work() counts the elements of all of
them). counters() has the process count its own minor page faults over one call's evaluations.
The environment variables are glibc's: elsewhere they would be silently ignored, so the
experiment runs on Linux and stops on any other C library.

Run it:  python allocation.py            (full sizes, about ten seconds)
         python allocation.py --quick    (small sizes, a second or two)
"""

import contextlib
import gc
import os
import pickle
import resource
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np

TITLE = "Evaluating 3x² + 2x + 1 over n floats, with the allocator giving memory back or keeping it"
UNIT = "element"  # results are reported per element
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 100_000]
# From arrays in L2 to arrays past L3 on most machines, across glibc's mmap and trim thresholds.
SIZES = [10_000, 100_000, 1_000_000, 10_000_000]
# A list of 10**7 floats and its objects take hundreds of megabytes and a second per call.
LIMITS = {"python loop": 1_000_000, "python loop, malloc, kept": 1_000_000}
BUDGET_S = 12
PLATFORMS = ("linux",)  # glibc's malloc and its environment variables
# Elements evaluated per timed call (at least one evaluation of n): milliseconds, not microseconds.
CALL_ELEMENTS = {"numpy": 4_000_000, "numpy out=": 4_000_000, "python loop": 200_000}
QUICK_OVERRIDES = {"CALL_ELEMENTS": {"numpy": 100_000, "numpy out=": 100_000, "python loop": 10_000}}

KEEP = {"MALLOC_TRIM_THRESHOLD_": "-1", "MALLOC_MMAP_MAX_": "0"}
RUNS = {  # variant: (what it computes, the environment its process starts with)
    "numpy": ("numpy", {}),
    "numpy, kept": ("numpy", KEEP),
    "numpy, out=": ("numpy out=", {}),
    "python loop": ("python loop", {}),
    "python loop, malloc, kept": ("python loop", {"PYTHONMALLOC": "malloc", **KEEP}),
}
# Set in this process's environment, they would reach the "default" processes too.
ALLOCATOR_SETTINGS = ("PYTHONMALLOC", "GLIBC_TUNABLES", "MALLOC_")


def working_set(n):
    """Bytes NumPy streams: the float64 input and the float64 result."""
    return 16 * n


def numpy_expression(data):
    x = data["array"]
    return 3.0 * x * x + 2.0 * x + 1.0


def numpy_out(data):
    """The expression's operations, in its order, into arrays allocated once: the same rounding."""
    x, r, t = data["array"], data["result"], data["temporary"]
    np.multiply(x, 3.0, out=r)
    np.multiply(r, x, out=r)
    np.multiply(x, 2.0, out=t)
    np.add(r, t, out=r)
    return np.add(r, 1.0, out=r)


def python_loop(data):
    xs = data["list"]
    out = [0.0] * len(xs)
    for i in range(len(xs)):
        v = xs[i]
        out[i] = 3.0 * v * v + 2.0 * v + 1.0
    return out


KERNELS = {"numpy": numpy_expression, "numpy out=": numpy_out, "python loop": python_loop}


def evaluations(n, variant):
    """Evaluations of all n elements in one timed call."""
    return max(1, CALL_ELEMENTS[RUNS[variant][0]] // n)


def work(n, variant):
    return n * evaluations(n, variant)


def serve():
    """The child's side: build the inputs, then evaluate on request until the pipe closes.

    Requests and replies are pickles on stdin and stdout; anything else printed goes to stderr.
    "run" evaluates and returns a sample of the last result (for agree()); "count" does the same
    and returns the minor page faults per evaluation, counted by getrusage in this process.
    """
    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    kernel, n, repeat = pickle.load(requests)
    x = np.random.default_rng(42).random(n)
    data = {"array": x, "list": x.tolist() if kernel == "python loop" else None}
    if kernel == "numpy out=":
        data |= {"result": np.full(n, np.nan), "temporary": np.full(n, np.nan)}  # written: pages mapped
    f = KERNELS[kernel]
    sample = np.zeros(len(range(0, n, max(1, n // 64))))  # allocated once: nothing of a result outlives it
    pickle.dump("ready", replies)
    replies.flush()
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        gc.disable()  # as the harness times: the collector paused
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(repeat - 1):
            f(data)  # as the harness calls: each result freed as soon as it is returned
        result = f(data)
        sample[:] = result[:: max(1, n // 64)]
        del result
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        gc.enable()
        pickle.dump(faults / repeat if request == "count" else sample, replies)
        replies.flush()


def _send(worker, message):
    try:
        pickle.dump(message, worker.stdin)
        worker.stdin.flush()
    except BrokenPipeError:
        _exited(worker)


def _receive(worker):
    try:
        return pickle.load(worker.stdout)
    except EOFError:
        _exited(worker)


def _exited(worker):
    raise RuntimeError(f"a worker process exited with status {worker.wait()}: its error is printed above") from None


def setup(n):
    """One process per variant that runs at size n, each started with its own environment."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    if not libc or not libc.startswith("glibc"):
        raise RuntimeError("this experiment sets glibc's malloc through its environment variables: it needs glibc")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ALLOCATOR_SETTINGS)}
    here = Path(__file__).resolve()
    code = f"import sys; sys.path.insert(0, {str(here.parent)!r}); import {here.stem}; {here.stem}.serve()"
    workers = {}
    try:
        for variant, (kernel, env) in RUNS.items():
            if n <= LIMITS.get(variant, n):
                pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
                workers[variant] = subprocess.Popen([sys.executable, "-c", code], env=base | env, **pipes)
                _send(workers[variant], (kernel, n, evaluations(n, variant)))
        for worker in workers.values():
            _receive(worker)  # "ready": its inputs are built
    except BaseException:
        teardown({"workers": workers})
        raise
    return {"workers": workers}


def teardown(data):
    stop(data["workers"])


def stop(workers):
    """Close each process's pipe, which ends it; kill any that does not end (writes_non_temporal uses it too)."""
    for worker in workers.values():
        with contextlib.suppress(BrokenPipeError):  # it has already exited
            worker.stdin.close()
    for worker in workers.values():
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        worker.stdout.close()


def run(variant, data):
    worker = data["workers"][variant]
    _send(worker, "run")
    return _receive(worker)


VARIANTS = {variant: partial(run, variant) for variant in RUNS}


def agree(results):
    """Every variant returns the same sampled values: the same operations in the same order."""
    reference = next(iter(results.values()))
    return all(np.array_equal(r, reference) for r in results.values())


def counters(variant, data):
    """Minor page faults per evaluation, counted by the variant's process over one timed call."""
    worker = data["workers"][variant]
    _send(worker, "count")
    return {"minor page faults": _receive(worker)}


CLAIMS = {
    # Trimming: the freed temporaries go back to the kernel after every call, and come back as faults.
    "kept-heap-beats-trimming": {"faster": "numpy, kept", "slower": "numpy", "at": 100_000, "by_at_least": 2},
    # With nothing given back, allocating the result and temporaries costs little more than not allocating.
    "kept-heap-costs-what-out-costs": {
        "faster": "numpy, out=",
        "slower": "numpy, kept",
        "at": 100_000,
        "by_at_most": 1.5,
    },
    # Per object, pymalloc's pools are cheaper than glibc's malloc.
    "pymalloc-beats-malloc-per-object": {
        "faster": "python loop",
        "slower": "python loop, malloc, kept",
        "at": 10_000,
        "by_at_least": 1.1,
    },
    # With nothing given back, the loop costs the same per element from L2 to a list past L3.
    "kept-malloc-loop-flat": {
        "variant": "python loop, malloc, kept",
        "faster_at": 10_000,
        "slower_at": 1_000_000,
        "by_at_most": 1.6,
    },
}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
