"""Processes: handing a large NumPy array to a worker, by pickling it or in shared memory.

A worker process has memory of its own: an argument reaches it as bytes. Passed as an argument
(pool.apply_async(total, (array,))), the array is pickled into a bytes object (one copy), written
through a pipe in pieces (the kernel copies it in and out), read back into bytes in the worker
(another copy) and unpickled into a new array (another). Every byte is copied several times, and
the pipe moves it in small pieces, waking the two processes in turn.

multiprocessing.shared_memory instead puts the array in a block of memory that both processes
map: the worker is sent only the block's name and the array's length; it attaches by name,
views the block as an array (np.ndarray(buffer=block.buf)), sums it and detaches. Nothing is
copied. What it pays is mapping: the worker's page tables get an entry for every page of the
block when it first touches it (a page fault for each few pages), removed when it detaches.

The third variant sums the array in this process: the floor, with no worker at all. The block
is created and filled in setup(), with the pool (one worker); teardown() closes both and
unlinks the block, once. The sizes go from inside L2 to past L3; pickling is measured up to
PICKLED_UP_TO, so that the run fits its budget.

Run it:  python processes_shared_memory.py            (1 MiB to 1 GiB, about ten seconds)
         python processes_shared_memory.py --quick    (1 and 4 MiB, a second)
"""

import multiprocessing
import sys
from multiprocessing import resource_tracker, shared_memory

import numpy as np

TITLE = "Summing a float64 array in a worker: pickled to it, or in shared memory; and in this process"
UNIT = "byte"
SIZE_UNIT = "bytes"
SHOW_AS = "GB/s"
QUICK_SIZES = [2**20, 2**22]
SIZES = [2**20, 2**22, 2**24, 2**26, 2**30]  # 1 GiB: in DRAM on most machines (the claim at "L3*2" needs it)
PICKLED_UP_TO = 2**26  # pickled calls past it would take the run past its budget
LIMITS = {"pickled": PICKLED_UP_TO}
BUDGET_S = 10
TIMEOUT_S = 60  # a worker that has not answered by then fails the call


def total(array):
    """The reduction the worker runs: the sum, as a Python float."""
    return float(np.add.reduce(array))


def attach(name):
    """The block named `name`, attached in this process, without registering it with the resource
    tracker: the process that created it unlinks it, once. From Python 3.13 that is track=False.
    Before, SharedMemory(name) registers the block again (gh-82300, bpo-39959): under fork, a worker
    started before the parent's tracker has a tracker of its own, which then unlinks the block when
    the worker exits and warns of a "leaked shared_memory" object. So register nothing meanwhile."""
    if sys.version_info >= (3, 13):
        return shared_memory.SharedMemory(name=name, track=False)
    register = resource_tracker.register
    resource_tracker.register = lambda name, rtype: None
    try:
        return shared_memory.SharedMemory(name=name)
    finally:
        resource_tracker.register = register


def total_shared(name, length):
    """The worker's side: attach, view the block as `length` float64 values, sum, detach."""
    block = attach(name)
    try:
        array = np.ndarray((length,), dtype=np.float64, buffer=block.buf)
        answer = total(array)
        del array  # a view still open would keep close() from releasing the buffer
    finally:
        block.close()
    return answer


def setup(n):
    """A shared block of n bytes holding n / 8 float64 values, and a pool of one worker."""
    block = shared_memory.SharedMemory(create=True, size=n)
    try:
        array = np.ndarray((n // 8,), dtype=np.float64, buffer=block.buf)
        array.reshape(-1, 8)[:] = np.arange(8.0)  # small integers: every order of summing gives the same sum
        return {"block": block, "array": array, "pool": multiprocessing.Pool(1)}
    except BaseException:
        block.close()
        block.unlink()
        raise


def teardown(data):
    data["pool"].terminate()
    data["pool"].join()
    del data["array"]
    try:
        data["block"].close()
    finally:
        data["block"].unlink()  # the one unlink; the parent's resource tracker forgets the block here


def pickled(data):
    return data["pool"].apply_async(total, (data["array"],)).get(TIMEOUT_S)


def in_shared_memory(data):
    block, array = data["block"], data["array"]
    return data["pool"].apply_async(total_shared, (block.name, len(array))).get(TIMEOUT_S)


def in_this_process(data):
    return total(data["array"])


VARIANTS = {"pickled": pickled, "shared memory": in_shared_memory, "in this process": in_this_process}


def agree(outputs):
    """The same exact sum from every variant."""
    first, *others = (float(np.asarray(answer).flat[0]) for answer in outputs.values())
    return all(other == first for other in others)


CLAIMS = {
    # Several copies and a pipe against one mapping; claimed at the largest size pickled, where the
    # fixed costs of a call weigh least.
    "shared-beats-pickled": {"faster": "shared memory", "slower": "pickled", "at": PICKLED_UP_TO, "by_at_least": 4},
    # Past L3 both sum from DRAM; the worker also maps every page of the block, and pays a round trip.
    "mapping-costs": {"faster": "in this process", "slower": "shared memory", "at": "L3*2", "by_at_least": 1.5},
}


if __name__ == "__main__":
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
