"""Non-temporal stores: the same memcpy of n bytes, with non-temporal stores and with ordinary ones.

A non-temporal store goes around the caches, straight towards memory, without reading the target
line first: no write-allocate, but the copied data is not in the cache afterwards either. glibc's
memcpy (which NumPy calls for a contiguous copy such as np.copyto(b, a)) chooses its loop by
size: `rep movsb` for mid-sized copies, a vector loop with ordinary stores, and the same loop
with non-temporal stores above a threshold that glibc derives from the cache sizes it detects,
so that it differs between machines. `ld.so --list-tunables` shows it as
glibc.cpu.x86_non_temporal_threshold; the GLIBC_TUNABLES environment variable sets it (and
glibc.cpu.x86_rep_movsb_threshold) when a process starts, never later.

Each variant is a Python process of its own, started once per size. Both take `rep movsb` out of
the choice (its threshold set to the largest value glibc accepts), so that every copy runs the
vector loop; one sets the non-temporal threshold low (every copy here uses non-temporal stores),
the other as high as glibc allows (none does). Both hold the same two arrays of n bytes and, on
request, copy one into the other as many times as it takes to move COPIED_PER_CALL bytes, so
that the round trip through their pipes is a small part of a call. The tunables exist only in
glibc on x86-64: on ARM, or with musl, both processes would run the same copy, and the
experiment stops and says so.

Run it:  python writes_non_temporal.py            (full sizes, five to ten seconds)
         python writes_non_temporal.py --quick    (small sizes, a second)
"""

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
from allocation import stop  # child processes have one home: the allocation page

TITLE = "One memcpy of n bytes, with non-temporal stores and with ordinary stores"
UNIT = "byte"  # bytes asked for: each copy reads n bytes and writes n
SHOW_AS = "GB/s"
SIZE_UNIT = "bytes"  # copied per memcpy; source and target together are twice that
QUICK_SIZES = [256 * 2**10, 4 * 2**20]
# Source and target in L2, in L3, past L3 on some machines, and past L3 on most.
SIZES = [256 * 2**10, 4 * 2**20, 32 * 2**20, 512 * 2**20]
BUDGET_S = 10
PLATFORMS = ("linux",)
COPIED_PER_CALL = 2**30  # bytes each call copies (at least one copy): tens of ms
QUICK_OVERRIDES = {"COPIED_PER_CALL": 32 * 2**20}
TUNABLE = "glibc.cpu.x86_non_temporal_threshold"
NO_REP_MOVSB = "glibc.cpu.x86_rep_movsb_threshold=0xffffffffffffffff"  # no copy is that large
THRESHOLDS = {  # variant: the non-temporal threshold its process starts with
    "non-temporal stores": 0x10000,  # 64 KiB: every copy measured here is larger
    "ordinary stores": 0x0FFFFFFFFFFFFFFF,  # the largest value glibc accepts: no copy is larger
}
SAMPLES = 256  # elements of the target each call returns, spread over it, for agree()


def working_set(n):
    """The source and the target."""
    return 2 * n


def copies(n):
    return max(1, COPIED_PER_CALL // n)


def work(n):
    """Bytes asked for per call: every copy reads n bytes and writes n."""
    return 2 * n * copies(n)


def serve(n, count):
    """The child's side: build both arrays, then copy `count` times on each request, until its input closes."""
    source = np.arange(n // 8, dtype=np.float64)
    target = np.zeros_like(source)  # written once here, so its pages are mapped before any timing
    step = max(1, source.size // SAMPLES)
    print("ready", flush=True)
    for _ in sys.stdin:
        for _ in range(count):
            np.copyto(target, source)  # contiguous float64 into contiguous float64: one memcpy of n bytes
        print(" ".join(repr(float(x)) for x in target[::step]), flush=True)


def tunable_missing():
    """Why GLIBC_TUNABLES cannot switch the threshold here, or None where it can."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    if not libc or not libc.startswith("glibc"):
        return f"{TUNABLE} is glibc's; this C library is {libc or 'not glibc'}"
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"{TUNABLE} exists only on x86-64; this is {platform.machine()}"
    return None


def setup(n):
    """One process per variant, each started with its threshold and holding its own two arrays."""
    if why := tunable_missing():
        raise RuntimeError(f"both variants would run the same memcpy: {why}")
    here = Path(__file__).resolve()
    code = f"import sys; sys.path.insert(0, {str(here.parent)!r}); import {here.stem} as s; s.serve({n}, {copies(n)})"
    inherited = os.environ.get("GLIBC_TUNABLES")
    workers = {}
    try:
        for variant, threshold in THRESHOLDS.items():
            ours = f"{TUNABLE}={threshold:#x}:{NO_REP_MOVSB}"
            tunables = f"{inherited}:{ours}" if inherited else ours  # the last setting of a tunable wins
            env = os.environ | {"GLIBC_TUNABLES": tunables}
            pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
            workers[variant] = subprocess.Popen([sys.executable, "-c", code], env=env, **pipes)
        for worker in workers.values():
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a copying process exited with status {worker.wait()}: its error is above")
    except BaseException:
        teardown({"workers": workers})
        raise
    return {"workers": workers, "n": n}


def teardown(data):
    stop(data["workers"])


def run(variant, data):
    worker = data["workers"][variant]
    worker.stdin.write("copy\n")
    worker.stdin.flush()
    reply = worker.stdout.readline()
    if not reply:
        raise RuntimeError(f"a copying process exited with status {worker.wait()}: its error is above")
    found = np.array([float(x) for x in reply.split()])
    expected = np.arange(0, data["n"] // 8, max(1, data["n"] // 8 // SAMPLES), dtype=np.float64)
    return np.array([found, expected])


def copy_with(variant):
    return lambda data: run(variant, data)


VARIANTS = {variant: copy_with(variant) for variant in THRESHOLDS}


def agree(outputs):
    """Each target holds its source, 0, 1, 2, ... (sampled): what was found is what was copied."""
    return all(np.array_equal(found, expected) for found, expected in outputs.values())


CLAIMS = {
    # In L2, ordinary stores stay in the cache; non-temporal ones go out to memory, every time.
    "non-temporal-loses-in-l2": {
        "faster": "ordinary stores",
        "slower": "non-temporal stores",
        "at": "L2/2",
        "by_at_least": 1.6,
    },
    # Past L3, skipping the write-allocate never costs: how much it gains depends on the machine.
    "non-temporal-never-loses-past-l3": {
        "faster": "ordinary stores",
        "slower": "non-temporal stores",
        "at": "L3*2",
        "by_at_most": 1.25,
    },
}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
