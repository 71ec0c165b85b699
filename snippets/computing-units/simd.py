"""SIMD: the same NumPy ufuncs with NumPy's SIMD dispatch on, and restricted to its baseline.

NumPy compiles its hot loops more than once: for the baseline every CPU it supports has, and
again for wider instruction sets (AVX2, AVX-512; NumPy 2.4 names them by group: X86_V3, X86_V4,
...). At import it picks, loop by loop, the widest version this CPU runs. The environment
variable NPY_DISABLE_CPU_FEATURES, read only at import, takes dispatch targets away; NumPy
refuses to take away the baseline (an error) and ignores a name it does not dispatch to (a
warning that Python hides by default).

A process cannot switch, so both sides run in a child process of their own, started in setup():
one with NumPy's default dispatch, one with every dispatch target that is not baseline disabled,
the names read from the running NumPy. Each child checks that its targets really are off, builds
its arrays once, then answers requests: call one ufunc repeats() times into a preallocated
output (no allocation, no page faults), reply with a sample of the result. Both sides pay the
same pipe round trip, small against the calls it carries.

A vector instruction works on a whole register: 128 bits hold 2 float64 or 4 float32, 256 bits
4 or 8, 512 bits 8 or 16. exp and sin are compute-bound: more lanes per instruction, fewer
instructions per element. Where NumPy has no wider loop for a ufunc (on x86 it runs sqrt in
128-bit vectors whatever the CPU), both sides run the same code. add on arrays far larger than
the caches waits for memory, whatever the width.

Run it:  python simd.py            (full sizes, about ten seconds)
         python simd.py --quick    (small sizes, a few seconds)
"""

import contextlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

TITLE = "NumPy ufuncs over n elements, SIMD dispatched against the baseline only"
UNIT = "element"
SIZE_UNIT = "elements"
QUICK_SIZES = [1_000, 20_000]
# Arrays in half of L2, where exp, sin and sqrt are bound by arithmetic; then add alone, past L2
# and with its three float64 arrays past twice the L3 of any mainstream machine: in DRAM.
SIZES = [20_000, 1_000_000, 32_000_000]
BUDGET_S = 25

# The ufuncs compared, and the dtypes each runs in. Only add goes past the caches.
UFUNCS = {"exp": np.exp, "sin": np.sin, "sqrt": np.sqrt, "add": np.add}
# (ufunc, dtype): the elements one request covers, in this / n calls (at least one):
# milliseconds of work on either side, against a pipe round trip of tens of microseconds.
REQUEST_ELEMENTS = {
    ("exp", "float64"): 2**22,
    ("exp", "float32"): 2**23,
    ("sin", "float64"): 2**21,
    ("sin", "float32"): 2**23,
    ("sqrt", "float64"): 2**23,
    ("sqrt", "float32"): 2**23,
    ("add", "float64"): 2**24,
}
DISPATCHED, BASELINE = "dispatched", "baseline only"
DISABLE = "NPY_DISABLE_CPU_FEATURES"


def working_set(n):
    """Bytes the largest variant touches: add's two float64 inputs and its output."""
    return 24 * n


def repeats(op, dtype, n):
    return max(1, math.ceil(REQUEST_ELEMENTS[op, dtype] / n))


def work(n, variant):
    """Elements one call of a variant processes: n per ufunc call, REPEATS calls."""
    op, dtype, _ = variant.split(" ", 2)
    return n * repeats(op, dtype, n)


def umath():
    """NumPy's compiled core, where it says what it was built for and what it found."""
    try:
        from numpy._core import _multiarray_umath
    except ImportError:  # NumPy 1.x
        from numpy.core import _multiarray_umath
    return _multiarray_umath


def beyond_baseline():
    """Every target this NumPy may dispatch to that is not its baseline, by the names this NumPy
    uses: X86_V3, X86_V4, AVX512_ICL, ... from 2.4; AVX2, FMA3, AVX512F, ... before; ASIMDHP,
    ASIMDDP, ... on ARM64. Disabling a baseline name is an error, so none is listed."""
    core = umath()
    return [name for name in core.__cpu_dispatch__ if name not in core.__cpu_baseline__]


class Child:
    """One process running the ufuncs, with NumPy's dispatch as its environment set it at import;
    ready once NumPy is imported and checked and the arrays are built."""

    def __init__(self, n, loops, disabled):
        env = {k: v for k, v in os.environ.items() if k not in (DISABLE, "NPY_ENABLE_CPU_FEATURES")}
        if disabled:
            env[DISABLE] = ",".join(disabled)
        code = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='simd_child')['serve'](*sys.argv[2:])"
        spec = ",".join(f"{op}:{dtype}" for op, dtype in loops)
        command = [sys.executable, "-c", code, str(Path(__file__).resolve()), str(n), spec]
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            self.targets = self.reply()  # the dispatch targets its NumPy has on
        except BaseException:
            self.close()
            raise

    def reply(self):
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            error = self.process.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"a SIMD child exited with {self.process.returncode}: {error}")
        return json.loads(line)

    def ask(self, op, dtype, n):
        self.process.stdin.write(f"{op} {dtype} {repeats(op, dtype, n)}\n".encode())
        self.process.stdin.flush()
        return np.array(self.reply(), dtype=float)

    def close(self):
        """Closing its stdin ends the child; one that does not end in time is killed."""
        process = self.process
        for pipe in (process.stdin, process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def setup(n):
    """Both children, each with the arrays of every loop that runs at size n, checked and ready."""
    loops = [(op, dtype) for op, dtype in REQUEST_ELEMENTS if n <= LIMITS.get(f"{op} {dtype} {DISPATCHED}", n)]
    children = {}
    try:
        # One after the other: two processes faulting in large arrays at once slow each other.
        for side, disabled in ((DISPATCHED, []), (BASELINE, beyond_baseline())):
            children[side] = Child(n, loops, disabled)
    except BaseException:
        teardown({"children": children})
        raise
    return {"n": n, "children": children}


def teardown(inputs):
    for child in inputs["children"].values():
        child.close()


def serve(n, spec):
    """The child: check the dispatch, build the arrays once, then run requests until stdin closes."""
    disabled = [name for name in os.environ.get(DISABLE, "").split(",") if name]
    features = umath().__cpu_features__
    still_on = [name for name in disabled if features.get(name, True)]
    if still_on:
        sys.exit(f"{DISABLE}={','.join(disabled)} left {', '.join(still_on)} enabled")
    n = int(n)
    rng = np.random.default_rng(42)
    x, y = rng.random(n), rng.random(n)
    arrays = {}
    for loop in spec.split(","):
        op, dtype = loop.split(":")
        inputs = (x, y) if op == "add" else (x,)
        out = np.empty(n, dtype=dtype)
        out[:] = 0  # touch every page now, not in the first timed call
        arrays[op, dtype] = ([a.astype(dtype, copy=False) for a in inputs], out)
    sample = np.unique(np.r_[0:16, n - 16 : n, np.linspace(0, n - 1, 32).astype(int)].clip(0, n - 1))
    print(json.dumps([name for name in umath().__cpu_dispatch__ if features.get(name)]), flush=True)
    for request in sys.stdin:
        op, dtype, count = request.split()
        (args, out), ufunc = arrays[op, dtype], UFUNCS[op]
        for _ in range(int(count)):
            ufunc(*args, out=out)
        print(json.dumps(out[sample].tolist()), flush=True)


def counters(variant, inputs):
    """How many of NumPy's dispatch targets were on in the child that ran the variant, as that
    child's NumPy reported them: none in the baseline-only child, and none in either child on a
    CPU that has no target beyond the baseline."""
    side = variant.split(" ", 2)[2]
    return {"dispatch targets on": len(inputs["children"][side].targets)}


def request(op, dtype, side):
    def run(inputs):
        return inputs["children"][side].ask(op, dtype, inputs["n"])

    return run


BOTH = (DISPATCHED, BASELINE)
VARIANTS = {f"{op} {dtype} {side}": request(op, dtype, side) for op, dtype in REQUEST_ELEMENTS for side in BOTH}
# exp, sin and sqrt stay in the caches, where they are bound by arithmetic, not by memory.
LIMITS = {name: 20_000 for name in VARIANTS if not name.startswith("add")}
QUICK_OVERRIDES = {"REQUEST_ELEMENTS": {loop: 2**20 for loop in REQUEST_ELEMENTS}}


def agree(outputs):
    """Both sides of each loop return the same sampled values: to rounding for exp and sin (the
    vector and the scalar versions may differ in the last bits), exactly for sqrt and add."""
    by_loop = {}
    for name, answer in outputs.items():
        op, dtype, _ = name.split(" ", 2)
        by_loop.setdefault((op, dtype), []).append(np.asarray(answer, dtype=float))
    for (op, dtype), answers in by_loop.items():
        rtol = 0.0 if op in ("sqrt", "add") else (1e-5 if dtype == "float32" else 1e-12)
        first = answers[0]
        if not all(a.shape == first.shape and np.allclose(a, first, rtol=rtol, atol=0) for a in answers):
            return False
    return True


CLAIMS = {
    # float32 exp and sin have vector loops from AVX2 on: a wider register, more lanes per instruction.
    "exp-float32-gains": {
        "faster": "exp float32 dispatched",
        "slower": "exp float32 baseline only",
        "at": "L2/2",
        "by_at_least": 2,
    },
    "sin-float32-gains": {
        "faster": "sin float32 dispatched",
        "slower": "sin float32 baseline only",
        "at": "L2/2",
        "by_at_least": 2,
    },
    # This NumPy has no wider float64 sin than the baseline's: both sides run the same loop.
    "sin-float64-same-loop": {
        "faster": "sin float64 dispatched",
        "slower": "sin float64 baseline only",
        "at": "L2/2",
        "by_at_most": 1.3,
    },
    # NumPy runs sqrt in 128-bit vectors on x86 whatever the CPU: both sides run the same loop.
    "sqrt-same-loop": {
        "faster": "sqrt float64 dispatched",
        "slower": "sqrt float64 baseline only",
        "at": "L2/2",
        "by_at_most": 1.3,
    },
    # Twice the lanes in the same register (and a cheaper square root per lane).
    "float32-sqrt-beats-float64": {
        "faster": "sqrt float32 dispatched",
        "slower": "sqrt float64 dispatched",
        "at": "L2/2",
        "by_at_least": 2,
    },
    # Far past the caches, add waits for memory: its time per element grows...
    "dram-costs-add": {"variant": "add float64 dispatched", "faster_at": "L2/2", "slower_at": "L3*2", "by_at_least": 2},
    # ...and wider instructions wait just as long.
    "add-waits-for-memory": {
        "faster": "add float64 dispatched",
        "slower": "add float64 baseline only",
        "at": "L3*2",
        "by_at_most": 1.3,
    },
}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: its harness measures
    from bench.measure import standalone

    standalone(sys.modules[__name__])
