"""The Machines page: every machine side by side, its latency staircase overlaid on the others'
in one chart, and each experiment's headline claim (its first) with the ratio measured on each.

A contributed results file has passed the schema's safe-text pattern, and its text is still shown
through plain(): as text, never as Markdown or HTML."""

import html
import posixpath
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter

from bench import cache, charts, render
from bench.discover import ROOT
from bench.experiment_page import ExperimentPage, PageError
from bench.units import format_ratio, format_size

DOCS = ROOT / "docs"
# Drawn once and kept like the other charts, keyed by this module's code as well as charts.py's.
_VERSION = cache.key(charts._VERSION, Path(__file__).read_text(encoding="utf-8"))


def staircase(site, eid: str, variants: list[str], caption: str) -> str:
    """One panel per variant, a line per machine with a fresh result, its caches marked in its colour."""
    page = ExperimentPage(site, eid)
    if unknown := [v for v in variants if v not in page.contract.variants]:
        raise PageError(f"{site.page}: {eid} has no variant {', '.join(map(repr, unknown))}")
    site.shown.setdefault(site.page, set()).add(eid)
    per_size = page.contract.bytes_per_size
    lines = [
        (m.label, e, charts.cache_markers(m.caches, per_size) if per_size else {})
        for m, e in site.suite.fresh(page.experiment)
    ]
    shown = render.display(page.contract)
    svg = overlay_chart(lines, variants, salt=f"{eid}:machines", ylabel=shown.label, convert=shown.convert)
    return f'<figure class="bim-chart">\n{svg}\n<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n'


def overlay_chart(lines: list[tuple[str, dict, dict]], variants: list[str], *, salt: str, ylabel: str, convert) -> str:
    """The SVG, from the chart cache where these very lines were drawn before."""
    digest = cache.key(_VERSION, "overlay", lines, variants, salt, ylabel)
    if (svg := cache.read("charts", digest)) is None:
        svg = _draw(lines, variants, salt=salt, ylabel=ylabel, convert=convert)
        cache.write("charts", digest, svg)
    return svg


def _draw(lines: list[tuple[str, dict, dict]], variants: list[str], *, salt: str, ylabel: str, convert) -> str:
    """lines: (machine label, entry, cache markers). Log-log, medians with the interquartile band;
    byte sizes are labelled in KiB, MiB and GiB."""
    with plt.rc_context(charts.STYLE | {"svg.hashsalt": salt}):
        fig, axes = charts._panels(len(variants), width=4.4, height=3.8, sharex=True, sharey=True)
        for ax, variant in zip(axes, variants, strict=True):
            every = set()
            for i, (label, entry, markers) in enumerate(lines):
                points = sorted(
                    (p["size"], convert(p["median_ns"]), convert(p["p25_ns"]), convert(p["p75_ns"]))
                    for p in entry["points"]
                    if p["variant"] == variant
                )
                if not points:
                    continue
                sizes, medians, low, high = zip(*points, strict=True)
                every.update(sizes)
                colour = charts.SERIES[i % len(charts.SERIES)]
                ax.plot(sizes, medians, marker="o", markersize=3, color=colour, label=label)
                ax.fill_between(sizes, low, high, color=colour, alpha=0.15, linewidth=0)
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
        fig.legend(
            list(handles.values()), labels, loc="outside lower center", ncols=charts._legend_columns(fig, labels, 4)
        )
        return charts._svg(fig)


def headline_claims(site) -> str:
    """A row per experiment with its first claim, a column per shown machine: the ratio measured
    there and whether it holds, or 'not measured' where the machine has no fresh result."""
    machines = site.suite.shown
    lines = [
        "| experiment | headline claim | " + " | ".join(_head(m) for m in machines) + " |",
        "|---|---" + "|---:" * len(machines) + "|",
    ]
    for eid, contract in site.contracts.items():
        if not contract.claims:
            continue
        name, claim = next(iter(contract.claims.items()))
        judged = site.judged[eid]
        if judged.verdicts:
            site.shown.setdefault(site.page, set()).add(eid)  # its numbers are on this page: the stamp names them
        cells = " | ".join(_cell(judged, m, name) for m in machines)
        lines.append(f"| {_link(site.page, eid)} | {html.escape(claim.sentence(contract.size_unit))} | {cells} |")
    note = (
        "✓ holds, ✗ false (allowed only on a machine that is not a reference machine); *unstable*: holds on "
        "medians, not on the unfavourable quartiles; not measured: no full result of the snippet as it is now; "
        "cannot be judged: the machine lacks what the claim needs, such as a cache size its OS does not report."
    )
    return "\n".join(lines) + f"\n\n<small>{note}</small>\n"


def _head(machine) -> str:
    m = machine.data["machine"]
    kind = "reference machine" if machine.reference else "a reader's machine"
    return f"{render.plain(machine.label)}<br><small>{render.plain(m['cpu'])}, {kind}</small>"


def _cell(judged, machine, claim: str) -> str:
    if machine in judged.verdicts:
        verdict = judged.verdicts[machine][claim]
        unstable = " *unstable*" if verdict.holds and not verdict.stable else ""
        return f"{format_ratio(verdict.ratio)} {'✓' if verdict.holds else '✗'}{unstable}"
    return "cannot be judged" if machine in judged.errors else "not measured"


def _link(page: str, eid: str) -> str:
    """The experiment's id, linked to the page that shows it: docs/<chapter>/<page>.md is named after
    its snippet, or after the first part of several (layout.md: layout_traversal, layout_aos_soa)."""
    chapter, stem = eid.split("/")
    names = [p.stem for p in (DOCS / chapter).glob("*.md")]
    found = [n for n in names if stem == n.replace("-", "_") or stem.startswith(n.replace("-", "_") + "_")]
    if not found:
        return f"`{eid}`"
    target = f"{chapter}/{max(found, key=len)}.md"  # latency_numbers: latency-numbers.md, not latency.md
    return f"[`{eid}`]({posixpath.relpath(target, posixpath.dirname(page) or '.')})"
