"""Disk writes: the same bytes written in records of n bytes, buffered or not, made durable or not.

The size here is the record: how many bytes one write() in your program hands over. Every call
empties the file (seek to 0, truncate) and writes it again, record after record, from one bytes
object built in setup; no call allocates what it writes.

- buffered: a file opened with open(..., "wb") and Python's default buffer. Each record is
  copied into the buffer; the buffer goes to the kernel in one write() system call when it is
  full, and a record larger than the buffer goes straight through.
- unbuffered: open(..., "wb", buffering=0): one write() system call per record.
- buffered + fsync: as buffered, then one os.fsync() at the end: the call returns only when the
  device holds the data.
- fsync per record: an unbuffered write() and an os.fsync() for every record, as a log that
  must not lose a single record does. An fsync waits for the device, so this variant writes at
  most SYNCED_RECORDS records per call (its time is still divided by the bytes it wrote).

write() alone only copies the bytes into the kernel's page cache and marks those pages dirty;
the kernel writes them to the device later (write-back), or when fsync() asks. counters() reads
/proc/self/io and the device's own statistics to show how many system calls one call made and
how many bytes reached the device.

Linux only (/proc/self/io). The file is a nameless temporary file (O_TMPFILE where the
filesystem has it, else created and unlinked at once) in the folder tempfile uses (set TMPDIR
to choose): a killed run leaves nothing behind. It must be on a disk, not on a memory filesystem
such as tmpfs, where fsync() has nothing to wait for.

Run it:  python disk_writes.py            (full sizes, about ten seconds)
         python disk_writes.py --quick    (small sizes, a second)
"""

import os
import tempfile

import numpy as np

TITLE = "Writing a file in records of n bytes: buffered, unbuffered, and with fsync"
UNIT = "byte"  # results are ns per byte written, shown as GB/s
SHOW_AS = "GB/s"
PLATFORMS = ("linux",)  # /proc/self/io counts the write() calls; /sys/dev/block the device's writes
SIZE_UNIT = "bytes"  # the size of one record, not a working set
KiB, MiB = 2**10, 2**20
QUICK_SIZES = [256, 64 * KiB]
SIZES = [16, 256, 4 * KiB, 64 * KiB, 1 * MiB]
BUDGET_S = 15
TOTAL = 8 * MiB  # bytes one call writes, at most
MAX_RECORDS = 32_768  # records one call writes, at most: one system call each when unbuffered
SYNCED_RECORDS = 32  # records one fsync-per-record call writes, at most: each waits for the device
QUICK_OVERRIDES = {"TOTAL": 256 * KiB, "MAX_RECORDS": 1024, "SYNCED_RECORDS": 4}

MEMORY_FILESYSTEMS = {"tmpfs", "ramfs"}


def records(n, variant):
    """Records one call writes: TOTAL bytes, bounded by MAX_RECORDS, or SYNCED_RECORDS with an fsync each."""
    most = SYNCED_RECORDS if variant == "fsync per record" else MAX_RECORDS
    return max(1, min(TOTAL // n, most))


def work(n, variant):
    """Bytes one call writes."""
    return records(n, variant) * n


def setup(n):
    """A nameless file per variant on the disk tempfile uses (so that no variant truncates blocks
    another one just synced), each open twice: through Python's buffer and without."""
    folder = tempfile.gettempdir()
    filesystem = filesystem_of(folder)
    if filesystem in MEMORY_FILESYSTEMS:
        raise RuntimeError(f"{folder} is on {filesystem}, in memory: set TMPDIR to a folder on a disk")
    pattern = (np.arange(n) * 37 + 11).astype(np.uint8)  # any bytes, the same for every variant
    data = {"record": pattern.tobytes(), "n": n, "raw": {}, "buffered": {}}
    try:
        for variant in VARIANTS:
            # No name in the folder (O_TMPFILE, or unlinked at once): nothing survives a kill. The buffered
            # view of it has Python's default buffer size.
            raw = data["raw"][variant] = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 (closed in teardown)
            data["buffered"][variant] = open(raw.fileno(), "wb", closefd=False)  # noqa: SIM115 (closed in teardown)
        data["device stat"] = device_stat_path(raw.fileno())
        return data
    except BaseException:
        teardown(data)
        raise


def teardown(data):
    for f in (*data["buffered"].values(), *data["raw"].values()):
        f.close()


def filesystem_of(folder):
    """The type of the filesystem holding folder (its longest mount point in /proc/self/mounts)."""
    best, kind = "", "unknown"
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            _, point, fstype = line.split()[:3]
            if os.path.join(folder, "").startswith(os.path.join(point, "")) and len(point) > len(best):
                best, kind = point, fstype
    return kind


def device_stat_path(fd):
    """The block device statistics of the file's filesystem, or None (an overlay, a network disk)."""
    dev = os.fstat(fd).st_dev
    path = f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}/stat"
    return path if os.path.exists(path) else None


def answer(data, variant):
    """What the file holds after a call: its size over what the variant meant to write, and its last bytes."""
    fd = data["raw"][variant].fileno()
    size = os.fstat(fd).st_size
    tail = os.pread(fd, 8, max(0, size - 8))
    return np.array([size / work(data["n"], variant), *tail], dtype=float)


def write_buffered(data):
    f, record = data["buffered"]["buffered"], data["record"]
    f.seek(0)
    f.truncate()
    for _ in range(records(data["n"], "buffered")):
        f.write(record)
    f.flush()  # the last partial buffer goes to the kernel too
    return answer(data, "buffered")


def write_unbuffered(data):
    f, record = data["raw"]["unbuffered"], data["record"]
    f.seek(0)
    f.truncate()
    for _ in range(records(data["n"], "unbuffered")):
        f.write(record)  # FileIO.write: one write() system call (a short write would return less)
    return answer(data, "unbuffered")


def write_buffered_fsync(data):
    f, record = data["buffered"]["buffered + fsync"], data["record"]
    f.seek(0)
    f.truncate()
    for _ in range(records(data["n"], "buffered + fsync")):
        f.write(record)
    f.flush()  # from Python's buffer to the page cache
    os.fsync(f.fileno())  # from the page cache to the device
    return answer(data, "buffered + fsync")


def write_fsync_per_record(data):
    f, record = data["raw"]["fsync per record"], data["record"]
    fd = f.fileno()
    f.seek(0)
    f.truncate()
    for _ in range(records(data["n"], "fsync per record")):
        f.write(record)
        os.fsync(fd)
    return answer(data, "fsync per record")


VARIANTS = {
    "buffered": write_buffered,
    "unbuffered": write_unbuffered,
    "buffered + fsync": write_buffered_fsync,
    "fsync per record": write_fsync_per_record,
}


def agree(results):
    """Every variant wrote exactly what it meant to, and its file ends in the same record bytes."""
    answers = [np.asarray(a, dtype=float) for a in results.values()]
    return all(a[0] == 1.0 and np.array_equal(a[1:], answers[0][1:]) for a in answers)


def read_io():
    """This process's I/O accounting: write() calls, bytes passed to write(), bytes dirtied for the device."""
    with open("/proc/self/io") as io:
        return {key: int(value) for key, value in (line.split(": ") for line in io)}


def device_bytes_written(path):
    """Bytes the whole device has written since boot (field 7 counts 512-byte sectors), every process's."""
    with open(path) as stat:
        return int(stat.read().split()[6]) * 512


def counters(variant, data):
    """For one call: write() system calls, fsync() calls, and bytes written to the device.

    The device's count is the whole device's, so another process writing at the same time adds to it.
    """
    path = data["device stat"]
    before, device = read_io(), path and device_bytes_written(path)
    VARIANTS[variant](data)
    after = read_io()
    found = {
        "write calls": after["syscw"] - before["syscw"],
        "fsync calls": {"buffered + fsync": 1, "fsync per record": records(data["n"], variant)}.get(variant, 0),
        "bytes passed to write": after["wchar"] - before["wchar"],
    }
    if path:
        found["bytes the device wrote"] = device_bytes_written(path) - device
    return found


CLAIMS = {
    # A 16-byte record: Python's buffer copies it for a fraction of what a system call costs.
    "buffering-batches-small-writes": {"faster": "buffered", "slower": "unbuffered", "at": 16, "by_at_least": 4},
    # A 1 MiB record is larger than the buffer: it goes straight to write(), one call either way.
    "buffering-moot-for-large-records": {
        "faster": "buffered",
        "slower": "unbuffered",
        "at": 1 * MiB,
        "by_at_most": 1.5,
    },
    # Nor does buffering cost much there: the same few large write() calls either way.
    "no-buffer-no-gain-for-large-records": {
        "faster": "unbuffered",
        "slower": "buffered",
        "at": 1 * MiB,
        "by_at_most": 1.5,
    },
    # write() returns once the bytes are in the page cache; fsync() waits until the device has them.
    "fsync-waits-for-the-device": {
        "faster": "buffered",
        "slower": "buffered + fsync",
        "at": 1 * MiB,
        "by_at_least": 2,
    },
    # Fewer, larger write() calls: each call's fixed cost is shared by more bytes.
    "large-records-spread-the-call": {
        "variant": "unbuffered",
        "faster_at": 1 * MiB,
        "slower_at": 16,
        "by_at_least": 20,
    },
    # An fsync waits for the device; one per record turns every record into a round trip to it.
    "fsync-per-record-costs": {
        "faster": "buffered + fsync",
        "slower": "fsync per record",
        "at": 4 * KiB,
        "by_at_least": 10,
    },
    "fsync-per-small-record-costs-more": {
        "faster": "buffered + fsync",
        "slower": "fsync per record",
        "at": 16,
        "by_at_least": 100,
    },
    # Large records share each round trip among many bytes: the two fsync variants come close.
    "fsync-per-large-record-close": {
        "faster": "buffered + fsync",
        "slower": "fsync per record",
        "at": 1 * MiB,
        "by_at_most": 2,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
