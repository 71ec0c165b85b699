"""The worker: measures one experiment inside a fresh interpreter and writes raw samples as JSON.

Run by `python -m bench run`, one subprocess per experiment, never imported by it:
    python -m bench.measure <experiment id> --out FILE [--quick | --large]

A snippet run on its own calls standalone(), which measures with the same code in the same order,
so that its process meets the same allocator history, page faults and warm-up as the harness's.
Only the standard library: another interpreter (`make bench PYTHON=...`) needs just numpy and numexpr.
"""

import argparse
import gc
import inspect
import json
import math
import statistics
import sys
import time

from bench.discover import by_id, load
from bench.software import software
from bench.units import format_size

SAMPLE_S = {"full": 0.02, "quick": 0.002}  # each sample runs the variant for at least this long
REPEATS = {"full": 7, "quick": 3}


def measure(module, sizes: list[int], mode: str) -> list[dict]:
    """Per size: build the inputs, measure every variant, then release what setup() acquired."""
    teardown = getattr(module, "teardown", None)
    points = []
    for n in sizes:
        data = module.setup(n)
        try:
            points += _measure_size(module, n, data, mode)
        finally:
            if teardown:
                teardown(data)
        del data
    return points


def _measure_size(module, n: int, data, mode: str) -> list[dict]:
    """Warm up and cross-check every variant, then time them interleaved, rotating who goes first.

    With before_sample(variant, data) (e.g. dropping a file from the page cache), every sample is
    one call prepared by it, untimed. With counters(variant, data), each point also records what
    that function counts (page faults, peak bytes) for one call.
    """
    limits = getattr(module, "LIMITS", {})
    work = _work_function(module)
    before = getattr(module, "before_sample", lambda variant, data: None)
    variants = {name: f for name, f in module.VARIANTS.items() if n <= limits.get(name, n)}
    outputs = {}
    for name, f in variants.items():  # warm-up, and the answers to compare
        before(name, data)
        outputs[name] = f(data)
    if not module.agree(outputs):
        raise SystemExit(f"variants disagree at size {n}: fix the snippet before measuring it")
    del outputs
    prepared = hasattr(module, "before_sample")
    loops = {name: 1 if prepared else _loops_for(f, data, SAMPLE_S[mode]) for name, f in variants.items()}
    samples = {name: [] for name in variants}
    names = list(variants)
    for r in range(REPEATS[mode]):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            before(name, data)
            elapsed = _time(variants[name], data, loops[name])
            samples[name].append(elapsed / loops[name] / work(n, name))
    points = [{"variant": v, "size": n, "loops": loops[v], "samples_ns": samples[v]} for v in names]
    if hasattr(module, "counters"):
        for point in points:
            before(point["variant"], data)
            point["counters"] = module.counters(point["variant"], data)
    return points


def _work_function(module):
    """work(n) or work(n, variant) from the snippet (units of work in one call), else n."""
    work = getattr(module, "work", None)
    if work is None:
        return lambda n, variant: n
    if len(inspect.signature(work).parameters) == 2:
        return work
    return lambda n, variant: work(n)


def _loops_for(f, data, sample_s: float) -> int:
    """Calls per sample so that a sample lasts sample_s: grow tenfold until a tenth of that is
    reached, then scale (one cold call alone overestimates a fast function's cost)."""
    loops = 1
    while (elapsed := _time(f, data, loops) / 1e9) < sample_s / 10:
        loops *= 10
    return max(1, math.ceil(loops * sample_s / elapsed))


def _time(f, data, loops: int) -> float:
    """Nanoseconds for `loops` calls, with the collector run before and paused during (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(loops):
            f(data)
        return time.perf_counter_ns() - start
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("id")
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--large", action="store_true")
    args = parser.parse_args()
    (experiment,) = by_id([args.id])
    module = load(experiment, importable=True)
    mode = "quick" if args.quick else "full"
    started = time.perf_counter()
    sizes = module.QUICK_SIZES if args.quick else module.SIZES + getattr(module, "LARGE_SIZES", []) * args.large
    points = measure(module, sizes, mode)
    with open(args.out, "w") as out:
        json.dump({"points": points, "duration_s": time.perf_counter() - started, "software": software()}, out)


def standalone(module) -> None:
    """What `python snippets/<chapter>/<topic>.py [--quick]` prints: the statistic the page shows,
    the median of the harness's samples, measured by the harness's own code."""
    from bench.discover import runs_here
    from bench.render import counters_table, display

    if not runs_here(module):
        sys.exit(f"{module.TITLE}: runs on {', '.join(module.PLATFORMS)} only; this is {sys.platform}")
    quick = "--quick" in sys.argv
    mode = "quick" if quick else "full"
    shown = display(module, module.UNIT)
    points = measure(module, module.QUICK_SIZES if quick else module.SIZES, mode)
    names = list(dict.fromkeys(p["variant"] for p in points))
    medians = {(p["variant"], p["size"]): statistics.median(p["samples_ns"]) for p in points}
    width = max(12, *(len(n) + 2 for n in names))
    page = "as on the page" if not quick else "the page takes 7 at the full sizes"
    print(f"{module.TITLE}\n{shown.label}, median of {REPEATS[mode]} samples ({page})")
    print(f"{module.SIZE_UNIT:>22}" + "".join(f"{n:>{width}}" for n in names))
    for size in dict.fromkeys(p["size"] for p in points):
        cells = [medians.get((n, size)) for n in names]
        row = "".join(f"{'-' if c is None else f'{shown.convert(c):.4g}':>{width}}" for c in cells)
        print(f"{format_size(size, module.SIZE_UNIT):>22}{row}")
    if any("counters" in p for p in points):
        print("\nOne call, besides its time:\n" + counters_table({"size_unit": module.SIZE_UNIT, "points": points}))


if __name__ == "__main__":
    main()
