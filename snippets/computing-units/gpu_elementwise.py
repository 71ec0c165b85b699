"""GPU, elementwise: one polynomial over n floats, with NumPy on the CPU and with CuPy on a GPU.

A GPU streams its own memory many times faster than a CPU core can, but every operation costs a
kernel launch, and the data must cross the bus between host and device to get there and back.
Four variants take the costs apart:

    numpy                the CPU, one core: the expression of the vectorization page
    cupy                 the GPU, the array already in its memory: the kernels alone
    cupy with transfers  host to device, the kernels, device to host: one line switched to CuPy
    transfers only       the same two copies, no arithmetic (the answer was computed in setup)

A kernel launch returns before the GPU has done the work: every GPU variant waits for it
(synchronize) inside the timed call, or the timing would measure the launch alone.

It needs an NVIDIA GPU and CuPy: pip install cupy-cuda12x (CUDA 12) or cupy-cuda13x (CUDA 13).
Without them it says why and exits.

Run it:  python gpu_elementwise.py            (full sizes, under a minute)
         python gpu_elementwise.py --quick    (small sizes, seconds)
"""

import numpy as np

TITLE = "Evaluating 3x² + 2x + 1 over n float64 values, on the CPU and on a GPU"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 10_000]
# From arrays whose work is a few microseconds, where launching and waiting for kernels costs more
# than the arithmetic, to arrays of 800 MB, where only memory bandwidth counts.
SIZES = [1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]
BUDGET_S = 30
NEEDS = "a CUDA GPU"


def unavailable():
    """None where CuPy finds a CUDA GPU; otherwise why this machine cannot run the experiment."""
    try:
        import cupy
    except ImportError:
        return "needs a CUDA GPU and CuPy: CuPy is not installed (pip install cupy-cuda12x; cupy-cuda13x for CUDA 13)"
    except Exception as error:  # installed, but broken: say how
        return f"needs a CUDA GPU and CuPy: importing CuPy failed ({type(error).__name__}: {error})"
    if not cupy.is_available():
        return "needs a CUDA GPU: CuPy finds none (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides it)"
    return None


def polynomial(x):
    """The same expression for a NumPy or a CuPy array: five operations, each a pass over x."""
    return 3.0 * x * x + 2.0 * x + 1.0


def setup(n):
    """n random floats on the host, a copy in the GPU's memory, and the answer computed there."""
    import cupy as cp

    x = np.random.default_rng(42).random(n)
    on_device = cp.asarray(x)
    answer_on_device = polynomial(on_device)
    cp.cuda.get_current_stream().synchronize()
    return {"host": x, "device": on_device, "answer on device": answer_on_device}


def numpy_polynomial(data):
    return polynomial(data["host"])


def cupy_polynomial(data):
    import cupy as cp

    y = polynomial(data["device"])
    cp.cuda.get_current_stream().synchronize()  # wait for the kernels, not just their launch
    return y


def cupy_with_transfers(data):
    import cupy as cp

    y = cp.asnumpy(polynomial(cp.asarray(data["host"])))  # in, compute, out
    cp.cuda.get_current_stream().synchronize()
    return y


def transfers_only(data):
    import cupy as cp

    cp.asarray(data["host"])  # the input goes over, as above, and is not used
    y = cp.asnumpy(data["answer on device"])  # an answer of the same size comes back
    cp.cuda.get_current_stream().synchronize()
    return y


VARIANTS = {
    "numpy": numpy_polynomial,
    "cupy": cupy_polynomial,
    "cupy with transfers": cupy_with_transfers,
    "transfers only": transfers_only,
}


def agree(results):
    """Every answer, brought to the host, is NumPy's (the same IEEE operations in the same order)."""
    import cupy as cp

    reference = results["numpy"]
    return all(np.allclose(cp.asnumpy(r), reference, rtol=1e-12) for r in results.values())


def teardown(data):
    """Hand the GPU's memory back between sizes (CuPy's pool keeps freed blocks for reuse)."""
    import cupy as cp

    data.clear()
    cp.get_default_memory_pool().free_all_blocks()


# Judged on machines with a GPU only: no reference machine has one.
CLAIMS = {
    # A thousand elements are a few microseconds of work: launching five kernels and waiting costs more.
    "gpu-loses-when-tiny": {"faster": "numpy", "slower": "cupy", "at": 1_000, "by_at_least": 3},
    "transfers-lose-when-tiny": {"faster": "numpy", "slower": "cupy with transfers", "at": 1_000, "by_at_least": 5},
    # At a hundred million elements only bandwidth counts, and the GPU's memory has far more of it.
    "gpu-wins-when-large": {"faster": "cupy", "slower": "numpy", "at": 100_000_000, "by_at_least": 10},
    # ... but the bus between host and device has far less: copying costs more than computing.
    "transfers-dominate": {"faster": "cupy", "slower": "cupy with transfers", "at": 100_000_000, "by_at_least": 3},
    "transfers-are-the-cost": {
        "faster": "transfers only",
        "slower": "cupy with transfers",
        "at": 100_000_000,
        "by_at_most": 1.5,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
