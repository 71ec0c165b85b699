"""GPU, matrix product: two n×n matrices multiplied, with NumPy on the CPU and with CuPy on a GPU.

A matrix product does n multiply-adds for every element it reads: the more arithmetic per byte,
the more a GPU's thousands of cores count, and the less the trip over the bus between host and
device weighs. NumPy hands the product to its BLAS library, which uses every core of the CPU;
CuPy hands it to cuBLAS. float32, the precision GPUs are built for. Four variants take the costs
apart:

    numpy                the CPU, every core, through BLAS
    cupy                 the GPU, both matrices already in its memory: the kernel alone
    cupy with transfers  both matrices to the device, the kernel, the product back to the host
    transfers only       the same three copies, no arithmetic (the product was computed in setup)

A kernel launch returns before the GPU has done the work: every GPU variant waits for it
(synchronize) inside the timed call, or the timing would measure the launch alone.

It needs an NVIDIA GPU and CuPy: pip install cupy-cuda12x (CUDA 12) or cupy-cuda13x (CUDA 13).
Without them it says why and exits.

Run it:  python gpu_matmul.py            (full sizes, under a minute)
         python gpu_matmul.py --quick    (small sizes, seconds)
"""

import numpy as np
from gpu_elementwise import teardown, unavailable  # noqa: F401 (contract hooks: the same CuPy check and release)

TITLE = "Multiplying two n×n float32 matrices, on the CPU and on a GPU"
UNIT = "multiply-add"  # n³ of them per product
SIZE_UNIT = "rows"
QUICK_SIZES = [16, 64]
# From a product that is a microsecond of arithmetic to one of 69 billion multiply-adds.
SIZES = [16, 64, 256, 1_024, 4_096]
BUDGET_S = 20
NEEDS = "a CUDA GPU"


def work(n):
    """Multiply-adds in one n×n product."""
    return n**3


def setup(n):
    """Two random n×n matrices on the host, copies in the GPU's memory, and their product there."""
    import cupy as cp

    rng = np.random.default_rng(42)
    a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
    a_device, b_device = cp.asarray(a), cp.asarray(b)
    product_on_device = a_device @ b_device
    cp.cuda.get_current_stream().synchronize()
    return {"host": (a, b), "device": (a_device, b_device), "product on device": product_on_device}


def numpy_matmul(data):
    a, b = data["host"]
    return a @ b


def cupy_matmul(data):
    import cupy as cp

    a, b = data["device"]
    c = a @ b
    cp.cuda.get_current_stream().synchronize()  # wait for the kernel, not just its launch
    return c


def cupy_with_transfers(data):
    import cupy as cp

    a, b = data["host"]
    c = cp.asnumpy(cp.asarray(a) @ cp.asarray(b))  # two matrices in, one out
    cp.cuda.get_current_stream().synchronize()
    return c


def transfers_only(data):
    import cupy as cp

    a, b = data["host"]
    cp.asarray(a), cp.asarray(b)  # both matrices go over, as above, and are not used
    c = cp.asnumpy(data["product on device"])  # a product's worth comes back
    cp.cuda.get_current_stream().synchronize()
    return c


VARIANTS = {
    "numpy": numpy_matmul,
    "cupy": cupy_matmul,
    "cupy with transfers": cupy_with_transfers,
    "transfers only": transfers_only,
}


def agree(results):
    """Every product, brought to the host, is NumPy's up to float32 rounding (BLAS libraries add
    in their own order; every term is positive, so nothing cancels)."""
    import cupy as cp

    reference = results["numpy"]
    return all(np.allclose(cp.asnumpy(r), reference, rtol=1e-3) for r in results.values())


# Judged on machines with a GPU only: no reference machine has one.
CLAIMS = {
    # A 16×16 product is a few thousand multiply-adds: the CPU is done before a kernel has started.
    "gpu-loses-when-tiny": {"faster": "numpy", "slower": "cupy", "at": 16, "by_at_least": 2},
    # At 4,096 rows the arithmetic dominates, and the GPU has far more of it than the CPU's cores.
    "gpu-wins-when-large": {"faster": "cupy", "slower": "numpy", "at": 4_096, "by_at_least": 5},
    # n³ work on n² data: here the GPU wins even after the trip over the bus.
    "gpu-wins-with-transfers": {"faster": "cupy with transfers", "slower": "numpy", "at": 4_096, "by_at_least": 1.5},
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
