"""Sharing a cache and the memory bus: a dependent random walk alone, and beside a streaming neighbour.

The walk (i = next[i], as on the latency staircase) runs on one core. On another core, a second
process streams a copy over arrays far larger than L3, as fast as that core can: every line it
reads and writes passes through the caches the two cores share, and over the memory bus they
share. Before each sample, untimed, the neighbour is stopped (SIGSTOP), the walk's array is read
once, so that every sample starts with as much of it in the caches as fits, and for "beside a
streaming neighbour" the neighbour is resumed (SIGCONT). Both variants walk the same cycle in the
same process, with the neighbour's memory in place, and differ only in whether the neighbour runs.

    in L2        the walk's lines stay in its own core's L2; the neighbour has its own
    inside L3    past L2, every step is an L3 hit, unless the neighbour's stream evicted the line
    past L3      every step is a DRAM access, queued behind the neighbour's stream

Both processes are pinned (sched_setaffinity) to different cores, never two hardware threads of
one core where Linux shows them. A virtual machine may not show them: its two vCPUs can be two
hardware threads of one physical core, which share L1 and L2 as well.

Run it:  python sharing.py            (full sizes, about ten seconds)
         python sharing.py --quick    (two small sizes, a second or two)
"""

import contextlib
import ctypes
import mmap
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from latency import chase, random_cycle, slot_at  # the walk has one home: the latency staircase

TITLE = "A dependent random walk, alone and beside a core streaming through memory"
UNIT = "access"
SIZE_UNIT = "bytes"  # the walk's working set
QUICK_SIZES = [512 * 2**10, 4 * 2**20]
# In L2, inside L3 (past L2) on most machines, and past L3 of most machines (DRAM).
SIZES = [512 * 2**10, 4 * 2**20, 8 * 2**20, 16 * 2**20, 2**30]
BUDGET_S = 12
PLATFORMS = ("linux",)  # sched_setaffinity, /sys topology, SIGSTOP/SIGCONT
STEPS = 1_000_000  # per call: every sample is one call (see before_sample), tens of ms even in L2
DRAM_FROM = 256 * 2**20  # from this working set up every step is a DRAM access: a quarter of STEPS is tens of ms
QUICK_OVERRIDES = {"STEPS": 50_000, "NEIGHBOUR_L3_TIMES": 0, "NEIGHBOUR_MIN_BYTES": 64 * 2**20}
NEIGHBOUR_L3_TIMES, NEIGHBOUR_MIN_BYTES = 4, 256 * 2**20  # the neighbour streams four times L3, and at least this
CHUNK = 2**20  # bytes the neighbour copies between two heartbeats
SYS_CPU = Path("/sys/devices/system/cpu")
PR_SET_PDEATHSIG = 1  # prctl(): the kernel kills the neighbour if this process dies


def steps(n):
    return STEPS // 4 if n >= DRAM_FROM else STEPS


def work(n):
    return steps(n)


def _cpu_list(text):
    """'0-3,8' -> {0, 1, 2, 3, 8}"""
    cpus = set()
    for part in text.strip().split(","):
        if part:
            low, _, high = part.partition("-")
            cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def _read(path):
    try:
        return path.read_text()
    except OSError:
        return None


def last_level(cpu):
    """(bytes, cpus sharing it) of the highest-level cache Linux describes for `cpu`, or (None, None)."""
    best = (0, None, None)
    for index in (SYS_CPU / f"cpu{cpu}" / "cache").glob("index*"):
        level, size, shared = (_read(index / f) for f in ("level", "size", "shared_cpu_list"))
        if level and size and shared and int(level) > best[0]:
            units = {"K": 2**10, "M": 2**20, "G": 2**30}
            number = size.strip()
            scale = units.get(number[-1], 1)
            best = (int(level), int(number.rstrip("KMG")) * scale, _cpu_list(shared))
    return best[1], best[2]


def pick_cores():
    """(walker, neighbour): two usable cores, not hardware threads of one core where Linux says so,
    sharing the last-level cache where Linux says which do."""
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        raise RuntimeError(
            f"this experiment needs two usable cores, one for the walk and one for its neighbour; "
            f"this process may use {len(usable)}"
        )
    walker = usable[0]
    siblings = _cpu_list(_read(SYS_CPU / f"cpu{walker}" / "topology" / "thread_siblings_list") or str(walker))
    _, sharing = last_level(walker)
    others = [c for c in usable if c not in siblings] or [c for c in usable if c != walker]
    neighbour = next((c for c in others if sharing and c in sharing), others[0])
    return walker, neighbour


def neighbour_bytes(cpu):
    l3, _ = last_level(cpu)
    return max(NEIGHBOUR_MIN_BYTES, NEIGHBOUR_L3_TIMES * (l3 or 0))


def stream(core, n_bytes, beat_fd, parent):
    """The neighbour's side: copy one array into another, chunk by chunk, forever; count chunks."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        return
    os.sched_setaffinity(0, {core})
    beat = np.frombuffer(mmap.mmap(beat_fd, 8), dtype=np.uint64)
    source = np.ones(n_bytes // 16)
    target = np.zeros_like(source)
    chunk = CHUNK // 8
    print("ready", flush=True)
    while True:
        for i in range(0, source.size, chunk):
            np.positive(source[i : i + chunk], out=target[i : i + chunk])  # a copy with ordinary stores
            beat[0] += 1


def setup(n):
    """The cycle for the walk, this process pinned to one core, the neighbour started (stopped) on another."""
    walker, core = pick_cores()
    nxt, cycle = random_cycle(n // 8, np.random.default_rng(42))
    slots = len(cycle[0]) * len(cycle[1])
    data = {"next": nxt, "view": memoryview(nxt), "cycle": cycle, "slots": slots, "steps": steps(n)}
    data |= {"step": 0, "at": slot_at(cycle, 0)}
    data["affinity"] = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {walker})
    beat_fd = os.memfd_create("heartbeat")
    try:
        os.ftruncate(beat_fd, 8)
        data["beat"] = np.frombuffer(mmap.mmap(beat_fd, 8), dtype=np.uint64)
        here = Path(__file__).resolve()
        code = (
            f"import sys; sys.path.insert(0, {str(here.parent)!r}); import {here.stem}; "
            f"{here.stem}.stream({core}, {neighbour_bytes(walker)}, {beat_fd}, {os.getpid()})"
        )
        data["neighbour"] = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, pass_fds=(beat_fd,)
        )
        data["running"] = True
        if data["neighbour"].stdout.readline().strip() != "ready":
            raise RuntimeError(f"the neighbour process exited with status {data['neighbour'].wait()}")
        pause(data)
    except BaseException:
        teardown(data)
        raise
    finally:
        os.close(beat_fd)
    return data


def pause(data):
    """Stop the neighbour and wait until the kernel reports it stopped."""
    if data["running"]:
        os.kill(data["neighbour"].pid, signal.SIGSTOP)
        _, status = os.waitpid(data["neighbour"].pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            raise RuntimeError(f"the neighbour process ended ({status:#x}) instead of stopping")
        data["running"] = False


def resume(data):
    """Let the neighbour run, and wait until it has copied a whole chunk since."""
    if not data["running"]:
        os.kill(data["neighbour"].pid, signal.SIGCONT)
        data["running"] = True
    start, deadline = int(data["beat"][0]), time.monotonic() + 5
    while int(data["beat"][0]) < start + 2:
        if time.monotonic() > deadline:
            raise RuntimeError("the neighbour process does not stream")


def before_sample(variant, data):
    """Untimed: the neighbour is stopped, the walk's array read once (whatever the neighbour evicted
    comes back into the caches), then the neighbour runs again for "beside a streaming neighbour"."""
    pause(data)
    np.bitwise_or.reduce(data["next"])
    if variant == BESIDE:
        resume(data)


def counters(variant, data):
    """How fast the neighbour streamed during one call of the walk (bytes read plus written)."""
    start, beats = time.perf_counter(), int(data["beat"][0])
    walk(data)
    elapsed, beats = time.perf_counter() - start, int(data["beat"][0]) - beats
    return {"neighbour GB per s": round(beats * 2 * CHUNK / elapsed / 1e9, 1)}


def teardown(data):
    """Kill the neighbour (stopped or not) and give this process back every core it had."""
    neighbour = data.get("neighbour")
    if neighbour is not None:
        with contextlib.suppress(ProcessLookupError):
            neighbour.kill()
        neighbour.wait()
        neighbour.stdout.close()
    if "affinity" in data:
        os.sched_setaffinity(0, data["affinity"])


def walk(data):
    """steps(n) dependent loads through the cycle, from where the last call stopped (as on the latency page)."""
    nxt, i = data["view"], data["at"]
    i = chase(nxt, i, data["steps"])
    data["step"] = (data["step"] + data["steps"]) % data["slots"]
    data["at"] = i
    return np.array([i, slot_at(data["cycle"], data["step"])])


BESIDE = "beside a streaming neighbour"
VARIANTS = {"alone": walk, BESIDE: walk}


def agree(outputs):
    """Each walk stands on the slot the cycle's formula gives for the steps taken so far."""
    return all(len(out) == 2 and out[0] == out[1] for out in outputs.values())


CLAIMS = {
    # A core's own L2 keeps the walk's lines whatever the other core streams. Nothing is claimed
    # in L3 or DRAM: whether two vCPUs share the host's L3, and how busy its memory bus is, change
    # from run to run.
    "own-l2-is-untouched": {"faster": "alone", "slower": BESIDE, "at": "L2/2", "by_at_most": 1.4},
}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
