"""Markdown for pages, from results: tables, knees, stamps, per machine. Pure functions; bench.macros
wires them to mkdocs-macros. Every string that came from a results file or a snippet is escaped."""

import html
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from bench.results import resolve_ref
from bench.units import format_ns, format_size

PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.,;/@()")
RATES = {"GB/s": 1.0}  # bytes per ns is GB/s


def plain(text: str) -> str:
    """Text from a results file as it reads: every character Markdown, its extensions or HTML could
    take for markup ('_', '*', '#', '|', '<', ':' of an emoji shortcode, ...) becomes a character
    reference, so a contributed machine's CPU string cannot turn a page bold."""
    return "".join(c if c in PLAIN else f"&#{ord(c)};" for c in text)


@dataclass(frozen=True)
class Display:
    """How an experiment's numbers are shown: ns per unit, or a rate such as GB/s."""

    label: str
    convert: Callable[[float], float]
    fmt: Callable[[float], str]


def display(contract) -> Display:
    """Time per unit by default; SHOW_AS = "GB/s" (with UNIT = "byte") shows bandwidth instead."""
    rate, unit = contract.show_as, contract.unit
    if rate is None:
        return Display(f"ns per {unit}", lambda ns: ns, lambda ns: f"{format_ns(ns)} per {html.escape(unit)}")
    scale = RATES[rate]
    return Display(rate, lambda ns: scale / ns, lambda ns: f"{scale / ns:.3g} {rate}")


def variants_table(entry: dict, shown: Display) -> str:
    """Sizes down, variants across: the median, ± half the interquartile range."""
    variants = list(dict.fromkeys(p["variant"] for p in entry["points"]))
    cells = {(p["variant"], p["size"]): p for p in entry["points"]}
    rows = [f"| size | {' | '.join(html.escape(v) for v in variants)} |", "|---:" * (len(variants) + 1) + "|"]
    for size in sorted({p["size"] for p in entry["points"]}):
        row = [_cell(cells.get((v, size)), shown) for v in variants]
        rows.append(f"| {format_size(size, entry['size_unit'])} | {' | '.join(row)} |")
    samples = len(entry["points"][0]["samples_ns"])
    caption = f"Median {html.escape(shown.label)} of {samples} samples; ± is half the interquartile range."
    return "\n".join(rows) + f"\n\n<small>{caption}</small>\n"


def _cell(p: dict | None, shown: Display) -> str:
    if p is None:
        return "–"
    return f"{shown.convert(p['median_ns']):.3g} ±{50 * p['spread']:.0f}%"


def knees(entry: dict, variant: str, caches: dict, bytes_per_size: float, threshold: float) -> list[dict]:
    """Steps between neighbouring sizes where the time per unit rose by at least `threshold`,
    each with the caches that overflow on that step."""
    points = sorted((p["size"], p["median_ns"]) for p in entry["points"] if p["variant"] == variant)
    found = []
    for (a, ta), (b, tb) in itertools.pairwise(points):
        if tb / ta >= threshold:
            # A cache of capacity c overflows on a step that spans c, starts at c, or ends at c: a working
            # set the size of the cache already competes with everything else that lives there.
            inside = [
                level for level, size in caches.items() if size and bytes_per_size and a <= size / bytes_per_size <= b
            ]
            found.append({"from": a, "to": b, "factor": tb / ta, "caches": inside})
    return found


def knees_sentence(found: list[dict], entry: dict, caches: dict) -> str:
    """'between 32 KiB and 64 KiB (×1.8; L1d, 48 KiB, fills there); ...' or a plain 'no step'."""
    if not found:
        return "no step between neighbouring sizes"
    parts = []
    for knee in found:
        where = (
            f"between {format_size(knee['from'], entry['size_unit'])} and {format_size(knee['to'], entry['size_unit'])}"
        )
        filled = ", ".join(f"{level} ({format_size(caches[level], 'bytes')})" for level in knee["caches"])
        parts.append(f"{where} (×{knee['factor']:.2g}{'; ' + filled + ' fills there' if filled else ''})")
    return "; ".join(parts)


def counters_table(entry: dict) -> str:
    """Variants and sizes down, each counter across: what one call cost besides time."""
    points = [p for p in entry["points"] if "counters" in p]
    names = list(dict.fromkeys(k for p in points for k in p["counters"]))
    if not names:
        return "No counter was recorded on this machine: the snippet's `counters()` found none it could read."
    rows = [
        f"| variant | size | {' | '.join(html.escape(n) for n in names)} |",
        "|---|---:" + "|---:" * len(names) + "|",
    ]
    for p in sorted(points, key=lambda p: (p["size"], p["variant"])):
        values = [_count(p["counters"].get(n)) for n in names]
        rows.append(
            f"| {html.escape(p['variant'])} | {format_size(p['size'], entry['size_unit'])} | {' | '.join(values)} |"
        )
    return "\n".join(rows)


def _count(value: float | None) -> str:
    """Counts as whole numbers with separators; small fractional values to three digits."""
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:.3g}"


def tabs(panels: list[tuple[str, str]]) -> str:
    """Material's linked content tabs, one per machine: the reader picks a machine once and every
    page follows (content.tabs.link)."""
    out = []
    for label, body in panels:
        out.append(f'=== "{html.escape(label)}"\n')
        out += [f"    {line}" if line.strip() else "" for line in body.splitlines()]
        out.append("")
    return "\n".join(out) + "\n"


def crossing(entry: dict, a: str, b: str) -> str:
    """Where variant a goes from slower to faster than variant b, by median, over the sizes both
    ran at: 'between 16,384 and 65,536 elements', or at which end it never does."""
    medians = {(p["variant"], p["size"]): p["median_ns"] for p in entry["points"]}
    sizes = sorted(n for (v, n) in medians if v == a and (b, n) in medians)
    if not sizes:
        raise ValueError(f"{a!r} and {b!r} share no size")
    faster = [medians[a, n] < medians[b, n] for n in sizes]
    unit = entry["size_unit"]
    if all(faster):
        return f"faster at every size measured, from {format_size(sizes[0], unit)}"
    if not faster[-1]:
        return f"not faster at the largest size measured, {format_size(sizes[-1], unit)}"
    low, high = sizes[max(i for i, f in enumerate(faster) if not f) :][:2]
    if unit == "bytes":
        return f"between {format_size(low, unit)} and {format_size(high, unit)}"
    return f"between {low:,} and {high:,} {unit}"


def by_machine(values: list[tuple[str, str]], alone: bool = False) -> str:
    """Inline numbers for prose, each with its machine: '45.4 ns (amd-epyc-2c), 67.4 ns (intel-...)';
    alone, one machine's value without its name (a table in that machine's tab). A machine with no
    fresh value shows as 'not yet re-measured'."""
    if alone:
        return values[0][1] if values else "not yet re-measured"
    return ", ".join(f"{value} ({html.escape(label)})" for label, value in values)


def machine_table(machines: list[dict]) -> str:
    """The machines field by field, one column each."""
    rows = {
        "CPU": lambda m: m["cpu"],
        "Cores": lambda m: f"{m['logical_cores']} logical, {m['physical_cores'] or 'unknown'} physical",
        **{level: (lambda m, level=level: _bytes(m["caches"][level])) for level in ("L1d", "L2", "L3")},
        "Memory": lambda m: format_size(m["memory_bytes"], "bytes"),
        "Disk": lambda m: _bytes(m.get("disk_bytes")),
        "OS": lambda m: f"{m['os']} {m['kernel']}",
        "Virtualized": lambda m: {True: "yes: clock frequency and SMT siblings are hidden", False: "no"}.get(
            m["virtualized"], "unknown"
        ),
        "Transparent huge pages": lambda m: (
            m["transparent_huge_pages"] or "none" if "transparent_huge_pages" in m else "not recorded"
        ),
    }
    lines = [
        "| | " + " | ".join(html.escape(m["name"]) for m in machines) + " |",
        "|---" * (len(machines) + 1) + "|",
    ]
    lines += [f"| {name} | " + " | ".join(plain(str(f(m))) for m in machines) + " |" for name, f in rows.items()]
    return "\n".join(lines)


def _bytes(n: int | None) -> str:
    return format_size(n, "bytes") if n else "unknown"


def stamp(measured: list[tuple[str, dict, dict[str, dict]]], stale: dict[str, list[str]], method_link: str) -> str:
    """Per machine: what it is, and per experiment the date, commit and software it was measured
    with; then each reference machine an experiment has not yet been re-measured on.

    measured: (label, machine record, {experiment id: entry}); stale: experiment id -> labels."""
    lines = ['!!! info "Measured on ' + ", ".join(html.escape(label) for label, _, _ in measured) + '"', ""]
    for label, m, entries in measured:
        lines.append(
            f"    **{html.escape(label)}**: {plain(m['cpu'])}, {m['logical_cores']} logical cores, "
            f"{format_size(m['memory_bytes'], 'bytes')}, {plain(m['os'])} {plain(m['kernel'])}"
            f"{' (virtual machine)' if m['virtualized'] else ''}"
            f"{', GPU: ' + plain(', '.join(m['gpus'])) if m.get('gpus') else ''}."
        )
        lines.append("")
        for eid, entry in sorted(entries.items()):
            s = entry["software"]
            build = "free-threaded" if s["free_threaded"] else "with GIL"
            lines.append(
                f"    - `{eid}`: {s['date'][:10]}, commit `{s['commit']}`, {plain(s['implementation'])} "
                f"{s['python']} ({build}), numpy {s['numpy']}, numexpr {s['numexpr']}"
            )
        lines.append("")
    for eid, labels in sorted(stale.items()):
        lines.append(f"    `{eid}` is not yet re-measured on {', '.join(html.escape(x) for x in labels)}.")
        lines.append("")
    lines.append(f"    [How the numbers are made]({method_link})")
    return "\n".join(lines) + "\n"


def history(figures: list[tuple[str, str, int]]) -> str:
    """A folded block under the stamp: per experiment (id, chart, measurements), its claims over
    time. Raw HTML at the top level, the way Material draws a folded note, so Markdown leaves the
    charts alone."""
    if not figures:
        return ""
    lines = [
        '<details class="note bim-history">',
        "<summary>How these ratios moved over time</summary>",
        "<p>Each claim's ratio at every stored measurement, a panel per machine. A dotted line marks a change of "
        "Python, NumPy or CPU. The published site charts the history its workflow keeps; a local build has the "
        "committed results only, one point per machine.</p>",
    ]
    for eid, svg, count in figures:
        caption = f"{eid}: {count} measurement{'s' if count != 1 else ''}"
        figure = '<figure class="bim-chart bim-history-chart">'
        lines += [figure, svg, f"<figcaption>{html.escape(caption)}</figcaption>", "</figure>"]
    return "\n".join(["", *lines, "</details>", ""])


def claims_table(rows: list[tuple[str, list[str]]], labels: list[str]) -> str:
    """A row per claim, a column per machine: the measured ratio and whether it holds there."""
    head = "| claim | " + " | ".join(html.escape(label) for label in labels) + " |"
    lines = [head, "|---" + "|---:" * len(labels) + "|"]
    lines += [f"| {html.escape(text)} | " + " | ".join(cells) + " |" for text, cells in rows]
    return "\n".join(lines)


def schema_fields(schema: dict) -> str:
    """Every field of the results schema with its description."""
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for name, prop in _walk(schema, schema):
        kind = prop.get("type", "const" if "const" in prop else "object")
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        rows.append(f"| `{name}` | {kind} | {html.escape(prop.get('description', ''))} |")
    return "\n".join(rows)


def _walk(node: dict, schema: dict, prefix: str = ""):
    """(dotted field name, property) for every property, following $refs; '*' is any key, [] any item."""
    node = resolve_ref(node, schema)
    if prefix:
        yield prefix, node
    for name, prop in node.get("properties", {}).items():
        yield from _walk(prop, schema, f"{prefix}.{name}" if prefix else name)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], schema, f"{prefix}.*")
    items = resolve_ref(node.get("items", {}), schema)
    if "properties" in items:
        yield from _walk(items, schema, f"{prefix}[]")
