"""The worker: measures one experiment inside a fresh interpreter and writes raw samples as JSON.

Run by `python -m bench run`, one subprocess per experiment, never imported by it:
    python -c "from bench.measure import main; main()" <experiment id> --out FILE [--quick | --large]
(or `python -m bench.measure ...` by hand; then every child a snippet spawns imports the harness too).
Where the snippet's unavailable() gives a reason (no GPU here), FILE holds only that reason.

A snippet run on its own calls standalone(), which measures with the same code in the same order,
so that its process meets the same allocator history, page faults and warm-up as the harness's.
Only the standard library: another interpreter (`make bench PYTHON=...`) needs just numpy and numexpr.
"""

import argparse
import gc
import json
import math
import statistics
import sys
import time
from pathlib import Path

from bench.contract import Live, live
from bench.discover import by_id
from bench.software import software
from bench.units import format_size

SAMPLE_S = {"full": 0.02, "quick": 0.002}  # each sample runs the variant for at least this long
REPEATS = {"full": 7, "quick": 3}


def measure(snippet: Live, sizes: list[int], mode: str) -> list[dict]:
    """Per size: build the inputs, measure every variant, then release what setup() acquired."""
    teardown = snippet.hook("teardown")
    points = []
    for n in sizes:
        data = snippet.module.setup(n)
        try:
            points += _measure_size(snippet, n, data, mode)
        finally:
            if teardown:
                teardown(data)
        del data
    return points


def _measure_size(snippet: Live, n: int, data, mode: str) -> list[dict]:
    """Warm up and cross-check every variant, then time them interleaved, rotating who goes first.

    With before_sample(variant, data) (e.g. dropping a file from the page cache), every sample is
    one call prepared by it, untimed. With counters(variant, data), each point also records what
    that function counts (page faults, peak bytes) for one call.
    """
    before = snippet.hook("before_sample") or (lambda variant, data: None)
    variants = {name: f for name, f in snippet.module.VARIANTS.items() if snippet.contract.runs_at(name, n)}
    outputs = {}
    for name, f in variants.items():  # warm-up, and the answers to compare
        before(name, data)
        outputs[name] = f(data)
    if not snippet.module.agree(outputs):
        raise SystemExit(f"variants disagree at size {n}: fix the snippet before measuring it")
    del outputs
    prepared = snippet.contract.prepared
    loops = {name: 1 if prepared else _loops_for(f, data, SAMPLE_S[mode]) for name, f in variants.items()}
    samples = {name: [] for name in variants}
    names = list(variants)
    for r in range(REPEATS[mode]):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            before(name, data)
            elapsed = _time(variants[name], data, loops[name])
            samples[name].append(elapsed / loops[name] / snippet.work(n, name))
    points = [{"variant": v, "size": n, "loops": loops[v], "samples_ns": samples[v]} for v in names]
    if counters := snippet.hook("counters"):
        for point in points:
            before(point["variant"], data)
            point["counters"] = counters(point["variant"], data)
    return points


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
    snippet = live(experiment, importable=True)
    contract = snippet.contract
    if reason := snippet.unavailable():  # asked here, in the interpreter that would measure
        with open(args.out, "w") as out:
            json.dump({"unavailable": reason}, out)
        return
    if args.quick:
        snippet.quick()
    started = time.perf_counter()
    sizes = contract.quick_sizes if args.quick else contract.sizes + contract.large_sizes * args.large
    points = measure(snippet, list(sizes), "quick" if args.quick else "full")
    with open(args.out, "w") as out:
        json.dump({"points": points, "duration_s": time.perf_counter() - started, "software": software()}, out)


def standalone(module) -> None:
    """What `python snippets/<chapter>/<topic>.py [--quick]` prints: the statistic the page shows,
    the median of the harness's samples, measured by the harness's own code."""
    from bench.contract import read
    from bench.discover import Experiment
    from bench.render import counters_table, display

    path = Path(module.__file__).resolve()
    snippet = Live(read(module, Experiment(f"{path.parent.name}/{path.stem}", path)), module)
    contract = snippet.contract
    if not contract.runs_here:
        sys.exit(f"{contract.title}: runs on {', '.join(contract.platforms)} only; this is {sys.platform}")
    if reason := snippet.unavailable():
        print(f"{contract.title}: not measured here: {reason}")
        sys.exit(0)
    quick = "--quick" in sys.argv
    mode = "quick" if quick else "full"
    if quick:
        snippet.quick()
    shown = display(contract)
    points = measure(snippet, list(contract.quick_sizes if quick else contract.sizes), mode)
    names = list(dict.fromkeys(p["variant"] for p in points))
    medians = {(p["variant"], p["size"]): statistics.median(p["samples_ns"]) for p in points}
    width = max(12, *(len(n) + 2 for n in names))
    page = "as on the page" if not quick else "the page takes 7 at the full sizes"
    print(f"{contract.title}\n{shown.label}, median of {REPEATS[mode]} samples ({page})")
    print(f"{contract.size_unit:>22}" + "".join(f"{n:>{width}}" for n in names))
    for size in dict.fromkeys(p["size"] for p in points):
        cells = [medians.get((n, size)) for n in names]
        row = "".join(f"{'-' if c is None else f'{shown.convert(c):.4g}':>{width}}" for c in cells)
        print(f"{format_size(size, contract.size_unit):>22}{row}")
    if any("counters" in p for p in points):
        print("\nOne call, besides its time:\n" + counters_table({"size_unit": contract.size_unit, "points": points}))


if __name__ == "__main__":
    main()
