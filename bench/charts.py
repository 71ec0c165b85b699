"""SVG charts of stored results, drawn by matplotlib, readable on light and dark pages.

Text, axes and markers are drawn in a sentinel colour that becomes `currentColor`, so the chart
takes the page's text colour in both palettes. Series colours are mid-tones legible on either.
"""

import functools
import hashlib
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib
import matplotlib.dates

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from bench import amdahl, cache
from bench.units import format_size

INK = "#010203"  # sentinel replaced by currentColor
AMDAHL = {"linestyle": "-.", "linewidth": 1}  # the formula's curve, beside the measured line
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
# Drawing is most of a build's time: a chart is drawn once, and read back by every later build
# (the tests' copies, each save in `make serve`), keyed by its arguments, this code and matplotlib.
_DRAWN_BY = [Path(__file__).read_bytes(), Path(amdahl.__file__).read_bytes(), matplotlib.__version__.encode()]
_VERSION = hashlib.sha256(b"\n".join(_DRAWN_BY)).hexdigest()


def _cached(draw):
    """draw(...) -> SVG, kept under the hash of its arguments. A `convert` argument is left out
    of the key: the axis label passed beside it names the display it belongs to."""

    @functools.wraps(draw)
    def cached(*args, **kwargs):
        shown = {k: v for k, v in kwargs.items() if not callable(v)}
        digest = cache.key(_VERSION, draw.__name__, args, shown)
        if (svg := cache.read("charts", digest)) is None:
            svg = draw(*args, **kwargs)
            cache.write("charts", digest, svg)
        return svg

    return cached


@_cached
def line_chart(panels: list[tuple[str, dict, dict]], *, salt: str, ylabel: str, convert=lambda ns: ns) -> str:
    """One panel per machine (title, entry, cache markers), sharing the y axis so that machines
    compare at a glance: one line per variant, the median (converted for display) against size,
    log-log, with that machine's caches marked; the band is the interquartile range."""
    with plt.rc_context(STYLE | {"svg.hashsalt": salt}):
        fig, axes = _panels(len(panels), width=4.4, height=3.8, sharex=True, sharey=True)
        variants = list(dict.fromkeys(p["variant"] for _, entry, _ in panels for p in entry["points"]))
        for ax, (title, entry, markers) in zip(axes, panels, strict=False):
            for i, variant in enumerate(variants):
                _median_line(ax, entry, variant, SERIES[i % len(SERIES)], variant, convert, alpha=0.2)
            sizes = sorted({p["size"] for p in entry["points"]})
            _mark(ax, markers, sizes)
            ax.set(xscale="log", yscale="log", title=title, xlabel=f"size ({entry['size_unit']})")
            if sizes[-1] <= 100 * sizes[0]:  # under two decades (1 to 8 processes): label each size
                ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.title.set_fontsize(10)
            ax.grid(True, which="major")
        axes[0].set_ylabel(ylabel)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=_legend_columns(fig, labels, 4))
        return _svg(fig)


@_cached
def bar_chart(panels: list[tuple[str, dict]], size: int, *, salt: str, xlabel: str, convert=lambda ns: ns) -> str:
    """Every variant at one size as a horizontal bar (the median, converted for display), one
    panel per machine on a shared axis, with the interquartile range as an error bar: for
    experiments whose variants matter more than sizes. Values spanning more than 30x get a log
    axis, so the small bars stay readable."""
    with plt.rc_context(STYLE | {"svg.hashsalt": salt}):
        variants = list(dict.fromkeys(p["variant"] for _, e in panels for p in e["points"] if p["size"] == size))
        fig, axes = _panels(len(panels), width=4.4, height=0.9 + 0.3 * len(variants), sharex=True, sharey=True)
        values_all = []
        for ax, (title, entry) in zip(axes, panels, strict=False):
            points = {p["variant"]: p for p in entry["points"] if p["size"] == size}
            rows = [i for i, v in enumerate(variants) if v in points]
            shown = [points[variants[i]] for i in rows]
            values = [convert(p["median_ns"]) for p in shown]
            ends = [sorted((convert(p["p25_ns"]), convert(p["p75_ns"]))) for p in shown]
            low = [v - lo for v, (lo, _) in zip(values, ends, strict=True)]
            high = [hi - v for v, (_, hi) in zip(values, ends, strict=True)]
            ax.barh(rows, values, xerr=[low, high], color=[SERIES[i % len(SERIES)] for i in rows], ecolor=INK)
            ax.set(xlabel=xlabel, title=title)
            ax.title.set_fontsize(10)
            ax.grid(True, axis="x")
            values_all += values
        axes[0].set_yticks(range(len(variants)), variants)
        axes[0].invert_yaxis()
        axes[0].set_xscale("log" if max(values_all) > 30 * min(values_all) else "linear")
        return _svg(fig)


def speedups(entry: dict, variant: str) -> list[tuple[int, float, float, float]]:
    """(threads, speedup, low, high) for one variant: its median time at one thread over its time
    at each size, the band from that size's interquartile range."""
    points = {p["size"]: p for p in entry["points"] if p["variant"] == variant}
    one = points[1]["median_ns"]
    return [(n, one / p["median_ns"], one / p["p75_ns"], one / p["p25_ns"]) for n, p in sorted(points.items())]


@_cached
def speedup_chart(
    panels: list[tuple[str, dict, int]], variants: list[str], *, salt: str, serial: dict | None = None
) -> str:
    """One panel per machine (title, entry, its cores): each variant's speedup over one thread
    against the number of threads, on a shared axis, beside the ideal (dashed): as many times
    faster as there are threads, up to the machine's cores, and no faster past them. With
    serial = {variant: serial fraction}, each of those variants also gets Amdahl's curve
    (dash-dotted, in its colour)."""
    with plt.rc_context(STYLE | {"svg.hashsalt": salt}):
        fig, axes = _panels(len(panels), width=4.4, height=3.8, sharex=True, sharey=True)
        top = 1.0
        for ax, (title, entry, cores) in zip(axes, panels, strict=False):
            sizes = sorted({p["size"] for p in entry["points"]})
            ideal = sorted({*sizes, min(cores, sizes[-1])})
            ax.plot(ideal, [min(n, cores) for n in ideal], color=INK, linestyle="--", linewidth=1, label="ideal")
            for i, variant in enumerate(variants):
                shown = speedups(entry, variant)
                threads, speedup, low, high = zip(*shown, strict=True)
                colour = SERIES[i % len(SERIES)]
                ax.plot(threads, speedup, marker="o", markersize=3, color=colour, label=variant)
                ax.fill_between(threads, low, high, color=colour, alpha=0.2, linewidth=0)
                top = max(top, *high)
                if serial and variant in serial:
                    ks = range(1, sizes[-1] + 1)
                    ax.plot(ks, [amdahl.speedup(serial[variant], k, cores) for k in ks], color=colour, **AMDAHL)
            top = max(top, min(cores, sizes[-1]))
            _mark(ax, {f"{cores} cores": cores}, sizes)
            ax.set(title=title, xlabel=entry["size_unit"], xticks=sizes)
            ax.title.set_fontsize(10)
            ax.grid(True, which="major")
        one = format_size(1, panels[0][1]["size_unit"]).split(" ", 1)[1]
        axes[0].set(ylabel=f"speedup over one {one}", ylim=(0, 1.1 * top))  # shared: room for every panel
        handles, labels = axes[0].get_legend_handles_labels()
        if serial:
            handles.append(Line2D([], [], color=INK, **AMDAHL))
            labels.append("Amdahl's law")
        fig.legend(handles, labels, loc="outside lower center", ncols=_legend_columns(fig, labels, 4))
        return _svg(fig)


def _legend_columns(fig, labels: list[str], most: int) -> int:
    """As many legend columns as fit the figure's width, for its longest label (about ten characters
    an inch at this font size, with the marker beside each): long variant names take more rows."""
    per_entry_in = (max(map(len, labels)) + 6) / 10
    return max(1, min(most, len(labels), int(fig.get_figwidth() // per_entry_in)))


def _panels(count: int, *, width: float, height: float, **share):
    """Up to two panels a row; a single machine gets the full width."""
    cols = 1 if count == 1 else 2
    rows = -(-count // cols)
    size = (7.5 if cols == 1 else 2 * width, height * rows)
    fig, axes = plt.subplots(rows, cols, figsize=size, layout="constrained", squeeze=False, **share)
    axes = list(axes.flat)
    for ax in axes[count:]:
        ax.set_visible(False)
    for ax in axes:
        ax.xaxis.set_tick_params(labelbottom=True)  # a shared x axis hides them above the last row
    return fig, axes[:count]


def _mark(ax, markers: dict[str, float], sizes: list[int]) -> None:
    for label, x in markers.items():
        if not min(sizes) <= x <= max(sizes):
            continue  # a cache the experiment's sizes do not reach: no marker, and no stretched axis
        ax.axvline(x, color=INK, linestyle=":", linewidth=1, alpha=0.6)
        ax.annotate(
            label,
            (x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(2, -3),
            textcoords="offset points",
            va="top",
            fontsize=8,
            alpha=0.8,
        )


def _svg(fig) -> str:
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


@_cached
def history_chart(panels: list[tuple[str, dict[str, list[tuple[str, float]]], list[tuple[str, str]]]], *, salt: str):
    """One panel per series (title, claim -> [(date, ratio)], [(date, what changed)]): each claim's
    ratio over time, log scale, one line per claim, a dotted line where Python, NumPy or the CPU changed."""

    def when(date: str) -> datetime:
        return datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ")

    with plt.rc_context(STYLE | {"svg.hashsalt": salt}):
        fig, axes = _panels(len(panels), width=4.4, height=3.0, sharey=True)
        claims = list(dict.fromkeys(name for _, lines, _ in panels for name in lines))
        for ax, (title, lines, marks) in zip(axes, panels, strict=False):
            for i, name in enumerate(claims):
                if name in lines:
                    dates, ratios = zip(*lines[name], strict=True)
                    ax.plot([when(d) for d in dates], ratios, marker="o", markersize=4, color=SERIES[i % len(SERIES)])
            for date, what in marks:
                ax.axvline(when(date), color=INK, linestyle=":", linewidth=1, alpha=0.6)
                ax.annotate(
                    what,
                    (when(date), 1),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, -3),
                    textcoords="offset points",
                    va="top",
                    fontsize=8,
                    alpha=0.8,
                )
            ax.set(yscale="log", title=title)
            ax.title.set_fontsize(10)
            ax.grid(True, which="major")
            dates = sorted({when(d) for points in lines.values() for d, _ in points})
            if len(dates) <= 3:  # a short history: its own dates, a week either side of a lone one
                ax.set_xticks(dates)
                ax.set_xlim(dates[0] - timedelta(days=7), dates[-1] + timedelta(days=7))
            else:
                ax.xaxis.set_major_locator(matplotlib.dates.AutoDateLocator(maxticks=4))
            ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y-%m-%d"))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        axes[0].set_ylabel("ratio")
        handles = [Line2D([], [], color=SERIES[i % len(SERIES)], marker="o") for i in range(len(claims))]
        fig.legend(handles, claims, loc="outside lower center", ncols=_legend_columns(fig, claims, 3))
        return _svg(fig)


def _median_line(ax, entry: dict, variant: str, colour: str, label: str, convert, alpha: float) -> list[int]:
    """One variant's medians against size with the interquartile band; its sizes, none if absent."""
    points = sorted(
        (p["size"], convert(p["median_ns"]), convert(p["p25_ns"]), convert(p["p75_ns"]))
        for p in entry["points"]
        if p["variant"] == variant
    )
    if not points:
        return []
    sizes, medians, low, high = zip(*points, strict=True)
    ax.plot(sizes, medians, marker="o", markersize=3, color=colour, label=label)
    ax.fill_between(sizes, low, high, color=colour, alpha=alpha, linewidth=0)
    return list(sizes)


@_cached
def overlay_chart(lines: list[tuple[str, dict, dict]], variants: list[str], *, salt: str, ylabel: str, convert) -> str:
    """A panel per variant, a line per machine (label, entry, cache markers) with its caches marked
    in its colour: log-log, medians with the interquartile band, byte sizes in KiB, MiB and GiB."""
    with plt.rc_context(STYLE | {"svg.hashsalt": salt}):
        fig, axes = _panels(len(variants), width=4.4, height=3.8, sharex=True, sharey=True)
        for ax, variant in zip(axes, variants, strict=True):
            every = set()
            for i, (label, entry, markers) in enumerate(lines):
                colour = SERIES[i % len(SERIES)]
                sizes = _median_line(ax, entry, variant, colour, label, convert, alpha=0.15)
                if not sizes:
                    continue
                every.update(sizes)
                for level, x in markers.items():
                    if sizes[0] <= x <= sizes[-1]:
                        ax.axvline(x, color=colour, linestyle=":", linewidth=1, alpha=0.7)
                        ax.annotate(
                            level.split()[0],
                            (x, 1),
                            xycoords=("data", "axes fraction"),
                            xytext=(2, -3 - 9 * i),
                            textcoords="offset points",
                            va="top",
                            fontsize=8,
                            color=colour,
                        )
            unit = lines[0][1]["size_unit"] if lines else ""
            ax.set(xscale="log", yscale="log", title=variant, xlabel=f"working set ({unit})")
            if unit == "bytes" and every:
                ticks = [n for n in sorted(every) if n.bit_length() % 4 == 3]  # 16 KiB, 256 KiB, 4 MiB, ...
                ax.set_xticks(ticks, [format_size(n, unit) for n in ticks])
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.title.set_fontsize(10)
            ax.grid(True, which="major")
        axes[0].set_ylabel(ylabel)
        handles = {label: h for ax in axes for h, label in zip(*ax.get_legend_handles_labels(), strict=True)}
        labels = list(handles)
        fig.legend(list(handles.values()), labels, loc="outside lower center", ncols=_legend_columns(fig, labels, 4))
        return _svg(fig)
