"""Reads, writes and write-allocate: what a store costs when its line is not in the cache.

A store changes a few bytes of a 64-byte cache line, and the cache keeps whole lines, so before
a core writes into a line it does not hold it reads the line in (a read for ownership), and later
writes the whole line back. Streaming stores into memory that is not cached therefore move twice
the bytes they ask for, unless the store is non-temporal (it goes around the cache) or the CPU
recognises that whole lines are being overwritten and skips the read. Five kernels stream over the
same working set; each is charged only the bytes it asks for (reads plus writes), so a read that
the hardware adds on its own shows up as a lower rate:

    read (max)          np.maximum.reduce(a)     reads the working set
    write (fill)        a.fill(x)                writes it (NumPy's own loop, not memset)
    a += 1 (in place)   np.add(a, 1, out=a)      reads every line, then writes the line it holds
    b = a + 1           np.add(a, 1, out=b)      the same loop, writing into the other half
    copy (memcpy)       b[...] = a               one memcpy from one half into the other

A NumPy call has a fixed cost before it touches any data, longer than a pass over a working set
in L1 takes. So a working set smaller than SPAN is mapped repeatedly: the same n bytes of memory
(a memfd, in small pages) appear SPAN // n times in a row in the address space, as one long
array, and one NumPy call streams over all of it. The caches work on physical memory: they see
the same n bytes again and again. From SPAN up, the working set is an ordinary NumPy array.

Run it:  python writes_kernels.py            (full sizes, about ten seconds)
         python writes_kernels.py --quick    (two small sizes, a second)
"""

import ctypes
import mmap
import os

import numpy as np

TITLE = "Reads, writes and read-writes over a working set: bytes asked for per second"
UNIT = "byte"  # bytes a kernel asks for: what it reads plus what it writes, write-allocate not counted
SHOW_AS = "GB/s"
SIZE_UNIT = "bytes"  # the working set: every byte a call touches
QUICK_SIZES = [16 * 2**10, 2**20]
# In L1, in L2, in L3 (past L2), around L3 on some machines, and 1 GiB: past the L3 of most machines.
SIZES = [16 * 2**10, 512 * 2**10, 8 * 2**20, 32 * 2**20, 128 * 2**20, 2**30]
PLATFORMS = ("linux",)  # memfd_create and mmap(MAP_FIXED) build the repeated working sets
BUDGET_S = 12
SPAN = 4 * 2**20  # bytes of address space every call streams over, at least: its fixed cost vanishes
FILL = 1.5
PAGE = mmap.PAGESIZE
PROT_NONE, MAP_FIXED = 0, 0x10  # Linux's values; the mmap module does not export them

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)


def copies(n):
    """How many times the working set appears in a row in the array one call streams over."""
    return max(1, SPAN // n)


def work(n, variant):
    """Bytes asked for per call: a += 1 reads and writes every byte of the working set; the
    others read it, write it, or read one half and write the other."""
    return copies(n) * n * (2 if variant == "a += 1 (in place)" else 1)


def _mmap(address, length, prot, flags, fd=-1, offset=0):
    at = _libc.mmap(address, length, prot, flags, fd, offset)
    if at in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return at


def repeated(fd, offset, length, times, regions):
    """`length` bytes of the file at `offset`, mapped `times` times back to back, as one float64 array."""
    size = length * times
    base = _mmap(None, size, PROT_NONE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # reserve the range
    regions.append((base, size))
    for k in range(times):
        _mmap(base + k * length, length, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED | MAP_FIXED, fd, offset)
    return np.frombuffer((ctypes.c_char * size).from_address(base), dtype=np.float64)


def setup(n):
    """The working set, n bytes filled with FILL: `whole`, and its halves `a` (read) and `b` (written).

    Under SPAN, each is the same memory mapped copies(n) times in a row (n must be a multiple of
    two pages); from SPAN up, an ordinary array.
    """
    data = {"regions": [], "copies": copies(n)}
    if copies(n) == 1:
        whole = np.full(n // 8, FILL)
        data |= {"whole": whole, "a": whole[: whole.size // 2], "b": whole[whole.size // 2 :]}
        return data
    if n % (2 * PAGE):
        raise ValueError(f"a working set under {SPAN} bytes must be a multiple of {2 * PAGE} bytes")
    fd = os.memfd_create("working-set")
    try:
        os.ftruncate(fd, n)
        data["whole"] = repeated(fd, 0, n, copies(n), data["regions"])
        data["a"] = repeated(fd, 0, n // 2, copies(n), data["regions"])
        data["b"] = repeated(fd, n // 2, n // 2, copies(n), data["regions"])
    except BaseException:
        teardown(data)
        raise
    finally:
        os.close(fd)  # the mappings keep the memory
    data["whole"].fill(FILL)
    return data


def teardown(data):
    """Unmap the repeated working sets (nothing to do for an ordinary array)."""
    for array in ("whole", "a", "b"):
        data.pop(array, None)
    for base, size in data.pop("regions", []):
        _libc.munmap(base, size)


# Each kernel returns what it found beside what it should have found, read from a few elements:
# each half of the working set always holds one value, whatever ran before.


def ends(x):
    return [x[0], x[-1]]


def read_max(data):
    whole = data["whole"]
    return np.array([[np.maximum.reduce(whole)], [max(ends(whole))]])


def write_fill(data):
    whole = data["whole"]
    whole.fill(FILL)
    return np.array([ends(whole), [FILL, FILL]])


def add_in_place(data):
    """Every element of the working set is read and written copies(n) times."""
    whole = data["whole"]
    expected = [x + data["copies"] for x in ends(whole)]
    np.add(whole, 1.0, out=whole)
    return np.array([ends(whole), expected])


def add_elsewhere(data):
    a, b = data["a"], data["b"]
    np.add(a, 1.0, out=b)
    return np.array([ends(b), [x + 1 for x in ends(a)]])


def copy(data):
    a, b = data["a"], data["b"]
    np.copyto(b, a)  # contiguous float64 into contiguous float64: one memcpy of the whole span
    return np.array([ends(b), ends(a)])


VARIANTS = {
    "read (max)": read_max,
    "write (fill)": write_fill,
    "a += 1 (in place)": add_in_place,
    "b = a + 1": add_elsewhere,
    "copy (memcpy)": copy,
}


def agree(outputs):
    """Each kernel left the values it should have: what it found equals what it expected."""
    return all(np.array_equal(found, expected) for found, expected in outputs.values())


CLAIMS = {
    # The same loop, the same bytes asked for: past L3, writing lines it did not read costs b = a + 1 a read each.
    "write-allocate-past-l3": {"faster": "a += 1 (in place)", "slower": "b = a + 1", "at": "L3*2", "by_at_least": 1.2},
    # A fill runs at its loop's pace in cache, at memory's past L3.
    "fill-pays-past-l3": {"variant": "write (fill)", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 1.6},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
