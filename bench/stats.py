"""Summaries of timing samples. pyperf does the statistics; we only choose which to keep."""

import pyperf


def summarize(samples_ns: list[float]) -> dict:
    """Median, min, quartiles and relative spread (interquartile range / median) of one point."""
    run = pyperf.Run(samples_ns, metadata={"name": "point", "unit": "second"}, collect_metadata=False)
    bench = pyperf.Benchmark([run])
    median = bench.median()
    p25, p75 = bench.percentile(25), bench.percentile(75)
    return {
        "median_ns": median,
        "min_ns": min(samples_ns),
        "p25_ns": p25,
        "p75_ns": p75,
        "spread": (p75 - p25) / median,
    }
