"""Storage: reading a file sequentially or in random 4 KiB blocks, from the disk or from the page cache.

The kernel keeps the file pages it has read in the page cache. A "cold" read finds the page
missing and waits for the device; a "cached" read is a system call and a copy from memory.
Before every cold sample the file's pages are dropped from the cache (posix_fadvise DONTNEED;
the file was written and fsync'ed in setup, so its pages are clean and can be dropped); before
every cached sample the whole file is in the cache. read() variants copy into one preallocated,
page-aligned buffer (os.preadv), so no call allocates. mmap variants copy the same bytes out of
a mapping: made and unmade in every call (its page faults are timed), or made once beforehand
(nothing but the copy is timed). O_DIRECT bypasses the page cache altogether.

Linux only (posix_fadvise, O_DIRECT). The file goes where tempfile puts it (set TMPDIR to choose):
it must be on a disk, not on a memory filesystem such as tmpfs, where nothing is ever cold.
Files are 16 MiB to 512 MiB; BIM_STORAGE_MAX_BYTES=<bytes> leaves out the larger ones.

Run it:  python storage.py            (full sizes, about twenty seconds)
         python storage.py --quick    (small sizes, a second)
"""

import atexit
import mmap
import os
import resource
import shutil
import tempfile

import numpy as np

TITLE = "Reading a file sequentially and in random 4 KiB blocks, cold and cached"
UNIT = "byte"  # results are ns per byte read, shown as GB/s
SHOW_AS = "GB/s"
PLATFORMS = ("linux",)  # posix_fadvise to drop the page cache, O_DIRECT to bypass it
SIZE_UNIT = "bytes"
MiB, GiB = 2**20, 2**30
BLOCK = 4 * 1024  # one random read: a page
CHUNK = MiB  # one sequential read() call
RANDOM_READS = 1024  # random blocks per call, spread over the whole file
QUICK_SIZES = [1 * MiB, 4 * MiB]
# The cached pages of a 16 MiB file fit in most L3 caches, of 128 MiB in a large one, of 512 MiB
# in none. The largest file is read from the device about twenty times (every cold sequential
# sample, and again after every cold random one): a 1 GiB file would not fit the budget, and the
# cap is for slow disks.
_MAX_BYTES = int(os.environ.get("BIM_STORAGE_MAX_BYTES", 512 * MiB))
SIZES = [n for n in (16 * MiB, 128 * MiB, 512 * MiB) if n <= _MAX_BYTES] or QUICK_SIZES[-1:]
LARGEST = SIZES[-1]
BUDGET_S = 30

MEMORY_FILESYSTEMS = {"tmpfs", "ramfs"}


def random_reads(n):
    """Random blocks read per call: RANDOM_READS, or every block of a smaller file."""
    return min(RANDOM_READS, n // BLOCK)


def work(n, variant):
    """Bytes one call reads: the whole file sequentially, or its random blocks."""
    return random_reads(n) * BLOCK if "random" in variant else n


def setup(n):
    """Write n random bytes to a new file, fsync it, and open it three ways."""
    folder = tempfile.mkdtemp(prefix="bim-storage-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # in case teardown() is never called
    try:
        filesystem = filesystem_of(folder)
        if filesystem in MEMORY_FILESYSTEMS:
            raise RuntimeError(f"{folder} is on {filesystem}, in memory: set TMPDIR to a folder on a disk")
        path = os.path.join(folder, "data.bin")
        write_random_file(path, n)
        data = {"folder": folder, "n": n, "filesystem": filesystem, "page cache": "as written", "mapping": None}
        data["sequential fd"] = open_with_advice(path, os.O_RDONLY, os.POSIX_FADV_SEQUENTIAL)
        # No readahead: a cold random read brings in its 4 KiB block and nothing around it.
        data["random fd"] = open_with_advice(path, os.O_RDONLY, os.POSIX_FADV_RANDOM)
        # EINVAL here means the filesystem has no direct I/O.
        data["direct fd"] = os.open(path, os.O_RDONLY | os.O_DIRECT)
        # Anonymous maps are page-aligned, as O_DIRECT requires of its buffers.
        data["chunk"], data["block"] = memoryview(mmap.mmap(-1, CHUNK)), memoryview(mmap.mmap(-1, BLOCK))
        blocks = np.random.default_rng(7).choice(n // BLOCK, random_reads(n), replace=False)
        data["offsets"] = (blocks * BLOCK).tolist()
        return data
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def filesystem_of(folder):
    """The type of the filesystem holding folder (its longest mount point in /proc/self/mounts)."""
    best, kind = "", "unknown"
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            _, point, fstype = line.split()[:3]
            if os.path.join(folder, "").startswith(os.path.join(point, "")) and len(point) > len(best):
                best, kind = point, fstype
    return kind


def write_random_file(path, n):
    """n bytes of random data, in 16 MiB pieces, flushed to the device so the cached pages are clean."""
    rng = np.random.default_rng(42)
    with open(path, "wb") as f:
        for start in range(0, n, 16 * MiB):
            f.write(rng.random(min(16 * MiB, n - start) // 8))
        f.flush()
        os.fsync(f.fileno())


def open_with_advice(path, flags, advice):
    fd = os.open(path, flags)
    os.posix_fadvise(fd, 0, 0, advice)
    return fd


def teardown(data):
    unmap(data)
    for name in ("sequential fd", "random fd", "direct fd"):
        os.close(data[name])
    for name in ("chunk", "block"):
        buffer = data[name].obj
        data[name].release()
        buffer.close()
    shutil.rmtree(data["folder"], ignore_errors=True)


def before_sample(variant, data):
    """Cold: drop the file's pages from the page cache. Cached: have the whole file in it, as one
    sequential read from the device leaves it.

    How pages came in decides how large the kernel's cached folios are, and so how many page
    faults an mmap takes: every cached sample starts from the same state.
    """
    if variant.endswith("O_DIRECT"):
        return  # it never goes through the page cache
    if variant.endswith("cold"):
        unmap(data)  # the kernel does not drop pages that are mapped
        drop_from_page_cache(data)
        # A cold sequential sample reads the whole file back in, leaving the state cached samples use.
        data["page cache"] = "read sequentially" if variant.startswith("sequential") else "dropped"
        return
    if data["page cache"] != "read sequentially":
        drop_from_page_cache(data)
        read_sequentially(data)
        data["page cache"] = "read sequentially"
    if variant.endswith("already mapped") and data["mapping"] is None:
        map_and_touch(data)


def map_and_touch(data):
    """A mapping whose random blocks have been read once, so their page-table entries exist."""
    mapping = mmap.mmap(data["random fd"], data["n"], prot=mmap.PROT_READ)
    view = memoryview(mapping)
    for offset in data["offsets"]:
        view[offset]  # reading one byte faults its page in
    data["mapping"], data["mapped view"] = mapping, view


def unmap(data):
    if data["mapping"] is not None:
        data["mapped view"].release()
        data["mapping"].close()
        data["mapping"] = None


def drop_from_page_cache(data):
    """The file is clean (fsync'ed in setup), so the kernel can simply forget its cached pages."""
    os.posix_fadvise(data["sequential fd"], 0, 0, os.POSIX_FADV_DONTNEED)


def counters(variant, data):
    """Minor page faults in one call: none for read() into a buffer that is already mapped."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    VARIANTS[variant](data)
    return {"minor page faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}


def pread_exactly(fd, buffer, offset):
    if os.preadv(fd, [buffer], offset) != len(buffer):
        raise EOFError(f"short read at offset {offset}")


def read_sequentially(data):
    """The whole file, one CHUNK per read() call; the last byte of every chunk, as a check."""
    fd, chunk = data["sequential fd"], data["chunk"]
    last = []
    for offset in range(0, data["n"], CHUNK):
        pread_exactly(fd, chunk, offset)
        last.append(chunk[-1])
    return np.array(last)


def read_random_blocks(data, fd):
    """The random blocks, one read() call each; the last byte of every block, as a check."""
    block = data["block"]
    last = []
    for offset in data["offsets"]:
        pread_exactly(fd, block, offset)
        last.append(block[-1])
    return np.array(last)


def read_random_buffered(data):
    return read_random_blocks(data, data["random fd"])


def read_random_direct(data):
    return read_random_blocks(data, data["direct fd"])


def mmap_sequentially(data):
    """Map the file, copy it out CHUNK by CHUNK into the same buffer as read() uses, unmap it."""
    chunk, n = data["chunk"], data["n"]
    last = []
    with mmap.mmap(data["sequential fd"], n, prot=mmap.PROT_READ) as mapped, memoryview(mapped) as view:
        for offset in range(0, n, CHUNK):
            chunk[:] = view[offset : offset + CHUNK]
            last.append(chunk[-1])
    return np.array(last)


def mmap_random_blocks(data):
    """Map the file, copy the random blocks out of it, unmap it."""
    block = data["block"]
    last = []
    with mmap.mmap(data["random fd"], data["n"], prot=mmap.PROT_READ) as mapped, memoryview(mapped) as view:
        for offset in data["offsets"]:
            block[:] = view[offset : offset + BLOCK]
            last.append(block[-1])
    return np.array(last)


def copy_mapped_blocks(data):
    """Copy the random blocks out of a mapping made earlier, as a program that maps a file once does."""
    if data["mapping"] is None:  # before_sample maps it, untimed; a plain call maps it here
        map_and_touch(data)
    block, view = data["block"], data["mapped view"]
    last = []
    for offset in data["offsets"]:
        block[:] = view[offset : offset + BLOCK]
        last.append(block[-1])
    return np.array(last)


VARIANTS = {
    "sequential read, cold": read_sequentially,
    "sequential read, cached": read_sequentially,
    "mmap sequential, cached": mmap_sequentially,
    "random 4 KiB read, cold": read_random_buffered,
    "random 4 KiB read, O_DIRECT": read_random_direct,
    "random 4 KiB read, cached": read_random_buffered,
    "mmap random 4 KiB, cached": mmap_random_blocks,
    "mmap random 4 KiB, already mapped": copy_mapped_blocks,
}


def agree(results):
    """Sequential variants must read the same bytes as each other, random variants likewise."""
    groups = {}
    for name, answer in results.items():
        groups.setdefault("random" in name, []).append(np.asarray(answer))
    return all(all(np.array_equal(a, group[0]) for a in group) for group in groups.values())


CLAIMS = {
    # The page cache answers from memory what the device answers in tens of microseconds.
    "page-cache-answers-from-memory": {
        "faster": "random 4 KiB read, cached",
        "slower": "random 4 KiB read, cold",
        "at": LARGEST,
        "by_at_least": 10,
    },
    # The device delivers large sequential requests far faster than scattered small ones.
    "sequential-beats-random-cold": {
        "faster": "sequential read, cold",
        "slower": "random 4 KiB read, cold",
        "at": LARGEST,
        "by_at_least": 5,
    },
    "cached-beats-cold": {
        "faster": "sequential read, cached",
        "slower": "sequential read, cold",
        "at": LARGEST,
        "by_at_least": 2,
    },
    # Bypassing the page cache does not make the device itself faster.
    "o-direct-no-faster": {
        "faster": "random 4 KiB read, O_DIRECT",
        "slower": "random 4 KiB read, cold",
        "at": LARGEST,
        "by_at_most": 2,
    },
    # For one pass over a cached file, a fresh mapping's faults cost about what read()'s calls do.
    "mmap-like-read": {
        "faster": "mmap sequential, cached",
        "slower": "sequential read, cached",
        "at": LARGEST,
        "by_at_most": 2,
    },
    # Once the pages are mapped, reading them is a copy from memory: no system call, no fault.
    "mapped-is-a-copy": {
        "faster": "mmap random 4 KiB, already mapped",
        "slower": "random 4 KiB read, cached",
        "at": LARGEST,
        "by_at_least": 2,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
