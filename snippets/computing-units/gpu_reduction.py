"""GPU, reduction: the sum of n floats, with NumPy on the CPU and with CuPy on a GPU.

A sum reads every element once and writes one number: the least work per byte there is. On the
GPU it is one reduction kernel over the array; to get there, the array must cross the bus between
host and device, and only one number comes back. Four variants take the costs apart:

    numpy                the CPU, one core
    cupy                 the GPU, the array already in its memory: the kernel alone
    cupy with transfers  host to device, the kernel, the sum back to the host
    transfers only       the same two copies, no arithmetic (the sum was computed in setup)

A kernel launch returns before the GPU has done the work: every GPU variant waits for it
(synchronize) inside the timed call, or the timing would measure the launch alone.

It needs an NVIDIA GPU and CuPy: pip install cupy-cuda12x (CUDA 12) or cupy-cuda13x (CUDA 13).
Without them it says why and exits.

Run it:  python gpu_reduction.py            (full sizes, under a minute)
         python gpu_reduction.py --quick    (small sizes, seconds)
"""

import numpy as np
from gpu_elementwise import teardown, unavailable  # noqa: F401 (contract hooks: the same CuPy check and release)

TITLE = "Summing n float64 values, on the CPU and on a GPU"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 10_000]
# From a few microseconds of work, less than a launch, to 800 MB, where only bandwidth counts.
SIZES = [1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]
BUDGET_S = 20
NEEDS = "a CUDA GPU"


def setup(n):
    """n random floats on the host, a copy in the GPU's memory, and their sum computed there."""
    import cupy as cp

    x = np.random.default_rng(42).random(n)
    on_device = cp.asarray(x)
    sum_on_device = on_device.sum()
    cp.cuda.get_current_stream().synchronize()
    return {"host": x, "device": on_device, "sum on device": sum_on_device}


def numpy_sum(data):
    return data["host"].sum()


def cupy_sum(data):
    import cupy as cp

    total = data["device"].sum()  # stays on the GPU: a zero-dimensional array
    cp.cuda.get_current_stream().synchronize()  # wait for the kernel, not just its launch
    return total


def cupy_with_transfers(data):
    import cupy as cp

    total = cp.asnumpy(cp.asarray(data["host"]).sum())  # the array in, one number out
    cp.cuda.get_current_stream().synchronize()
    return total


def transfers_only(data):
    import cupy as cp

    cp.asarray(data["host"])  # the array goes over, as above, and is not used
    total = cp.asnumpy(data["sum on device"])  # one number comes back
    cp.cuda.get_current_stream().synchronize()
    return total


VARIANTS = {
    "numpy": numpy_sum,
    "cupy": cupy_sum,
    "cupy with transfers": cupy_with_transfers,
    "transfers only": transfers_only,
}


def agree(results):
    """Every sum, brought to the host, is NumPy's up to rounding (each adds in its own order)."""
    import cupy as cp

    reference = results["numpy"]
    return all(np.allclose(cp.asnumpy(r), reference, rtol=1e-9) for r in results.values())


# Judged on machines with a GPU only: no reference machine has one.
CLAIMS = {
    # A thousand elements are a microsecond or two of adding: a launch and a wait cost more.
    "gpu-loses-when-tiny": {"faster": "numpy", "slower": "cupy", "at": 1_000, "by_at_least": 2},
    "transfers-lose-when-tiny": {"faster": "numpy", "slower": "cupy with transfers", "at": 1_000, "by_at_least": 4},
    # At a hundred million elements the sum only reads memory, and the GPU's reads far faster.
    "gpu-wins-when-large": {"faster": "cupy", "slower": "numpy", "at": 100_000_000, "by_at_least": 10},
    # ... but the array has to cross the bus first, which is slower still than the host's memory.
    "transfers-dominate": {"faster": "cupy", "slower": "cupy with transfers", "at": 100_000_000, "by_at_least": 10},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
