"""Prefetching: reading the next block of a cold file while computing on the current one.

A program processes a file block by block: it reads a block, then computes on it (ROUNDS rounds
of integer mixing with NumPy, then a checksum: a CPU step that takes about as long as reading the
block from the disk). Served one after the other, the reads and the computing add up. Fetched
ahead, the next block arrives while the current one is computed on, and the time tends to the
longer of the two.

Who fetches ahead:
- the kernel, by itself: when it sees a file read in order it reads ahead of the program
  (read-ahead). posix_fadvise(POSIX_FADV_RANDOM) turns that off: each read() then waits for the
  device.
- a thread: the next block is read in a background thread while the main thread computes.
  Both run at once: os.preadv and NumPy's loops release the GIL.
- the kernel, when asked: posix_fadvise(POSIX_FADV_WILLNEED) on the next block starts its read
  and returns at once (here with read-ahead off, so only the asked-for reads happen).

Before every sample the file's pages are dropped from the page cache (posix_fadvise DONTNEED;
the file was fsync'ed when written, so its pages are clean), except for "warm page cache", where
the whole file is in the cache: no disk at all, the floor. Every read lands in one of two
preallocated buffers, so no call allocates. Sizes are the block size; the file is FILE_BYTES.

Linux only (posix_fadvise). The file goes where tempfile puts it (set TMPDIR to choose): it must
be on a disk, not on a memory filesystem such as tmpfs, where nothing is ever cold. It is unlinked
as soon as it is opened, so nothing is left behind if the run is killed.

Run it:  python caching_prefetch.py            (full sizes, about fifteen seconds)
         python caching_prefetch.py --quick    (a small file, a second)
"""

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from disk_writes import MEMORY_FILESYSTEMS, filesystem_of  # the disk-writes page's check: no tmpfs

TITLE = "Reading a cold file block by block and computing on each block, with and without prefetching"
UNIT = "byte"  # results are ns per byte of the file, shown as GB/s
SHOW_AS = "GB/s"
PLATFORMS = ("linux",)  # posix_fadvise
SIZE_UNIT = "bytes"
KiB, MiB = 2**10, 2**20
SIZES = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB]  # the block size
QUICK_SIZES = [256 * KiB, 1 * MiB]
BUDGET_S = 20
FILE_BYTES = 48 * MiB  # read whole by every call, from the disk (every variant but the warm one)
ROUNDS = 10  # rounds of mixing per block: a CPU step of the same order as reading it from a fast disk
QUICK_OVERRIDES = {"FILE_BYTES": 4 * MiB}
MULTIPLIER = np.uint32(2654435761)


def work(n, variant):
    """Bytes per call: the whole file, whatever the block size."""
    return FILE_BYTES


def setup(n):
    """Make the file, open it twice (read-ahead on, and off) and unlink it at once, so that not
    even a killed run leaves it behind; then fill and fsync it. Two buffers of n bytes, a scratch
    array, and the one background thread that prefetches."""
    fd, path = tempfile.mkstemp(prefix="bim-prefetch-")
    try:
        other = os.open(path, os.O_RDONLY)
    finally:
        os.unlink(path)  # the open files keep it until teardown closes them
    data = {"n": n, "warm": False, "read-ahead fd": fd, "no read-ahead fd": other}  # the kernel's default, and off
    try:
        filesystem = filesystem_of(os.path.dirname(path))
        if filesystem in MEMORY_FILESYSTEMS:
            raise RuntimeError(f"{path} is on {filesystem}, in memory: set TMPDIR to a folder on a disk")
        write_random_file(fd, FILE_BYTES)
        os.posix_fadvise(other, 0, 0, os.POSIX_FADV_RANDOM)
        data["buffers"] = [np.empty(n, dtype=np.uint8) for _ in range(2)]
        data["scratch"] = [np.empty(n // 4, dtype=np.uint32) for _ in range(2)]
        data["pool"] = ThreadPoolExecutor(max_workers=1)
        return data
    except BaseException:
        os.close(fd)
        os.close(other)
        raise


def write_random_file(fd, size):
    """size random bytes, flushed to the device so that their cached pages are clean and can be dropped."""
    rng = np.random.default_rng(42)
    for start in range(0, size, 16 * MiB):
        chunk = rng.integers(0, 256, min(16 * MiB, size - start), dtype=np.uint8).tobytes()
        written = 0
        while written < len(chunk):
            written += os.pwrite(fd, chunk[written:], start + written)
    os.fsync(fd)


def teardown(data):
    data["pool"].shutdown()
    for name in ("read-ahead fd", "no read-ahead fd"):
        os.close(data[name])


def before_sample(variant, data):
    """Drop the file from the page cache, or, for the warm variant, have all of it there."""
    os.posix_fadvise(data["read-ahead fd"], 0, 0, os.POSIX_FADV_DONTNEED)
    data["warm"] = False
    if variant == "warm page cache":
        for offset in range(0, FILE_BYTES, data["n"]):
            read_block(data["read-ahead fd"], data["buffers"][0], offset)
        data["warm"] = True


def read_block(fd, buffer, offset):
    if os.preadv(fd, [buffer], offset) != len(buffer):
        raise EOFError(f"short read at offset {offset}")


def compute(block, scratch):
    """The CPU step: ROUNDS rounds of multiply, shift and xor over the block's 32-bit words, then
    their xor. NumPy releases the GIL inside each of these loops."""
    x, shifted = scratch
    np.copyto(x, block.view(np.uint32))
    for _ in range(ROUNDS):
        np.multiply(x, MULTIPLIER, out=x)
        np.right_shift(x, 15, out=shifted)
        np.bitwise_xor(x, shifted, out=x)
    return int(np.bitwise_xor.reduce(x))


def serial(data, fd):
    """Read a block, compute on it, read the next one: the reads and the computing add up."""
    buffer, scratch = data["buffers"][0], data["scratch"]
    checks = []
    for offset in range(0, FILE_BYTES, data["n"]):
        read_block(fd, buffer, offset)
        checks.append(compute(buffer, scratch))
    return np.array(checks)


def prefetch_thread(data, fd):
    """Two buffers: while the main thread computes on one, the background thread reads the next block into the other."""
    n, buffers, scratch, pool = data["n"], data["buffers"], data["scratch"], data["pool"]
    offsets = range(0, FILE_BYTES, n)
    pending = pool.submit(read_block, fd, buffers[0], 0)
    checks = []
    for i, offset in enumerate(offsets):
        pending.result()
        if offset + n < FILE_BYTES:
            pending = pool.submit(read_block, fd, buffers[(i + 1) % 2], offset + n)
        checks.append(compute(buffers[i % 2], scratch))
    return np.array(checks)


def fadvise_next(data):
    """Ask the kernel for the next block (WILLNEED starts its read and returns), then read and compute on this one."""
    fd, n = data["no read-ahead fd"], data["n"]
    buffer, scratch = data["buffers"][0], data["scratch"]
    os.posix_fadvise(fd, 0, n, os.POSIX_FADV_WILLNEED)
    checks = []
    for offset in range(0, FILE_BYTES, n):
        if offset + n < FILE_BYTES:
            os.posix_fadvise(fd, offset + n, n, os.POSIX_FADV_WILLNEED)
        read_block(fd, buffer, offset)
        checks.append(compute(buffer, scratch))
    return np.array(checks)


def warm(data):
    if not data["warm"]:  # before_sample fills the cache; a plain call reads the file in first
        before_sample("warm page cache", data)
    return serial(data, data["read-ahead fd"])


def serial_read_ahead(data):
    return serial(data, data["read-ahead fd"])


def serial_no_read_ahead(data):
    return serial(data, data["no read-ahead fd"])


def thread_read_ahead(data):
    return prefetch_thread(data, data["read-ahead fd"])


def thread_no_read_ahead(data):
    return prefetch_thread(data, data["no read-ahead fd"])


VARIANTS = {
    "serial": serial_read_ahead,
    "serial, read-ahead off": serial_no_read_ahead,
    "prefetch thread": thread_read_ahead,
    "prefetch thread, read-ahead off": thread_no_read_ahead,
    "fadvise WILLNEED next, read-ahead off": fadvise_next,
    "warm page cache": warm,
}


def agree(outputs):
    """Every variant computes the same checksum of every block."""
    answers = [np.asarray(a) for a in outputs.values()]
    return all(np.array_equal(a, answers[0]) for a in answers)


CLAIMS = {
    # Without read-ahead every small read waits for the device; with it the next blocks are on their way.
    "read-ahead-hides-the-disk": {
        "faster": "serial",
        "slower": "serial, read-ahead off",
        "at": 64 * KiB,
        "by_at_least": 2,
    },
    # On top of the kernel's read-ahead, a prefetching thread has nothing left to hide.
    "thread-adds-nothing-to-read-ahead": {
        "faster": "prefetch thread",
        "slower": "serial",
        "at": 4 * MiB,
        "by_at_most": 1.35,
    },
    # A small block costs the thread a handoff (submit, wake, result) that its read does not repay.
    "handoff-costs-small-blocks": {
        "faster": "serial",
        "slower": "prefetch thread",
        "at": 64 * KiB,
        "by_at_least": 1.2,
    },
    # Asking for the next block before reading this one overlaps its read with the computing.
    "willneed-overlaps": {
        "faster": "fadvise WILLNEED next, read-ahead off",
        "slower": "serial, read-ahead off",
        "at": 1 * MiB,
        "by_at_least": 1.2,
    },
    # The floor: with the file in the page cache only the copies and the computing are left.
    "cache-is-the-floor": {
        "faster": "warm page cache",
        "slower": "serial, read-ahead off",
        "at": 1 * MiB,
        "by_at_least": 1.5,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
