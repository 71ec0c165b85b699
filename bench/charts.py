"""SVG charts of stored results, drawn by matplotlib, readable on light and dark pages.

Text, axes and markers are drawn in a sentinel colour that becomes `currentColor`, so the chart
takes the page's text colour in both palettes. Series colours are mid-tones legible on either.
"""

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.units import format_size

INK = "#010203"  # sentinel replaced by currentColor
SERIES = ["#e8710a", "#1e88e5", "#d81b60", "#43a047", "#8e24aa", "#00acc1", "#6d4c41", "#fdd835"]
STYLE = {
    "svg.fonttype": "none",  # text stays text: searchable, and styled by the page's font
    "font.family": "sans-serif",
    "font.size": 11,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "grid.color": INK,
    "grid.alpha": 0.15,
    "legend.frameon": False,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
}


def line_chart(entry: dict, *, salt: str, markers: dict[str, float], ylabel: str, convert=lambda ns: ns) -> str:
    """One line per variant: the median (converted for display) against size, log-log, with vertical
    size markers; the band is the interquartile range."""
    with plt.rc_context(STYLE | {"svg.hashsalt": salt}):
        fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
        variants = list(dict.fromkeys(p["variant"] for p in entry["points"]))
        for i, variant in enumerate(variants):
            colour = SERIES[i % len(SERIES)]
            points = sorted(
                (p["size"], convert(p["median_ns"]), convert(p["p25_ns"]), convert(p["p75_ns"]))
                for p in entry["points"]
                if p["variant"] == variant
            )
            sizes, medians, low, high = zip(*points, strict=True)
            ax.plot(sizes, medians, marker="o", markersize=4, color=colour, label=variant)
            ax.fill_between(sizes, low, high, color=colour, alpha=0.2, linewidth=0)
        sizes = [p["size"] for p in entry["points"]]
        for label, x in markers.items():
            if not min(sizes) <= x <= max(sizes):
                continue  # a cache the experiment's sizes do not reach: no marker, and no stretched axis
            ax.axvline(x, color=INK, linestyle=":", linewidth=1, alpha=0.6)
            ax.annotate(
                label,
                (x, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                fontsize=9,
                alpha=0.8,
            )
        ax.set(xscale="log", yscale="log", ylabel=ylabel, xlabel=f"size ({entry['size_unit']})")
        ax.grid(True, which="major")
        ax.legend(loc="best")
        out = io.StringIO()
        fig.savefig(out, format="svg")
        plt.close(fig)
    return _inline(out.getvalue())


def bar_chart(entry: dict, size: int, *, salt: str, xlabel: str, convert=lambda ns: ns) -> str:
    """Every variant at one size as a horizontal bar (the median, converted for display), with its
    interquartile range as an error bar: for experiments whose variants matter more than sizes.
    Values spanning more than 30× get a log axis, so the small bars stay readable."""
    points = [p for p in entry["points"] if p["size"] == size]
    with plt.rc_context(STYLE | {"svg.hashsalt": salt}):
        fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.32 * len(points)), layout="constrained")
        values = [convert(p["median_ns"]) for p in points]
        ends = [sorted((convert(p["p25_ns"]), convert(p["p75_ns"]))) for p in points]
        low = [v - lo for v, (lo, _) in zip(values, ends, strict=True)]
        high = [hi - v for v, (_, hi) in zip(values, ends, strict=True)]
        rows = range(len(points))
        ax.barh(rows, values, xerr=[low, high], color=[SERIES[i % len(SERIES)] for i in rows], ecolor=INK)
        ax.set_yticks(rows, [p["variant"] for p in points])
        ax.invert_yaxis()
        ax.set(xlabel=xlabel, xscale="log" if max(values) > 30 * min(values) else "linear")
        ax.grid(True, axis="x")
        out = io.StringIO()
        fig.savefig(out, format="svg")
        plt.close(fig)
    return _inline(out.getvalue())


def cache_markers(caches: dict, bytes_per_size) -> dict[str, float]:
    """Where each cache fills up, in the chart's size unit: {'L1d 48 KiB': 3072.0, ...}."""
    return {f"{level} {format_size(size, 'bytes')}": size / bytes_per_size for level, size in caches.items() if size}


def _inline(svg: str) -> str:
    """Strip the XML prologue, make it scale with the page, and let the page choose the ink."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', svg, count=1)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = svg.replace(INK, "currentColor")
    return "\n".join(line for line in svg.splitlines() if line.strip())
