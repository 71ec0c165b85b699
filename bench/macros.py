"""mkdocs-macros entry point: the only way a measured number reaches a page.

Pages call value(), ratio(), variants_table(), chart(), knees(), counters_table(), claims(),
latency_table() and stamp(); the method page also machine_table(), schema_fields() and
budgets_table(). Any stale, missing or false result stops the build.
"""

import html
import json
import posixpath
import sys
from pathlib import Path

# mkdocs-macros loads this file by path, not as part of the package: make `bench` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mkdocs.exceptions import PluginError

from bench import charts, render
from bench.check import StaleError, fresh_entry, verdicts
from bench.claims import ClaimError
from bench.discover import ContractError, experiments, load
from bench.results import PUBLISHED, SCHEMA_PATH, ResultsError
from bench.results import load as load_results
from bench.units import format_ns, format_size

STAMP_TOKEN = "<!-- bim:stamp -->"
_PUBLISHED: dict = {}  # the results file the site renders, loaded once by define_env
_SHOWN: dict[str, set[str]] = {}  # page -> experiments whose numbers it shows


def define_env(env):
    """Load and check the published results once; every problem in one message, or none."""
    try:
        data = load_results(PUBLISHED)
        known = {e.id: e for e in experiments()}
        modules = {eid: load(e) for eid, e in known.items()}
        problems, judged = [], {}
        for eid, experiment in known.items():
            try:
                judged[eid] = verdicts(experiment, data, PUBLISHED)
            except StaleError as error:
                problems.append(str(error))
                continue
            problems += [f"false claim: {v.describe()} ({eid})" for v in judged[eid] if not v.holds]
    except (ResultsError, ContractError, ClaimError) as error:
        raise PluginError(str(error)) from None
    if problems:
        raise PluginError("the published results do not support the pages:\n  " + "\n  ".join(problems))

    _SHOWN.clear()
    _PUBLISHED.clear()
    _PUBLISHED.update(data)
    caches = data["machine"]["caches"]

    def entry(eid: str) -> dict:
        if eid not in known:
            raise PluginError(f"{env.page.file.src_uri}: no experiment {eid!r}; known: {', '.join(known)}")
        _SHOWN.setdefault(env.page.file.src_uri, set()).add(eid)
        return fresh_entry(known[eid], data, PUBLISHED)

    def point(eid: str, variant: str, size: int) -> dict:
        for p in entry(eid)["points"]:
            if (p["variant"], p["size"]) == (variant, size):
                return p
        raise PluginError(f"{env.page.file.src_uri}: {eid} has no result for {variant!r} at size {size}")

    def shown(eid: str) -> render.Display:
        return render.display(modules[eid], entry(eid)["unit"])

    def bytes_per_size(eid: str) -> float | None:
        """Bytes of working set per unit of size, or None when sizes are not working sets (a stride)."""
        module = modules[eid]
        if hasattr(module, "working_set"):
            return module.working_set(1_000_000) / 1_000_000
        return 1 if entry(eid)["size_unit"] == "bytes" else None

    @env.macro
    def value(eid: str, variant: str, size: int, per: int | None = None) -> str:
        """One median with its unit: '8.06 ns per element', '12.3 GB/s'; with per=k, the time k units
        take ('35.2 µs' for per=4096 bytes: one 4 KiB block)."""
        median = point(eid, variant, size)["median_ns"]
        return format_ns(median * per) if per else shown(eid).fmt(median)

    @env.macro
    def ratio(eid: str, faster: str, slower: str, size: int) -> str:
        """How many times faster one variant was than another, in the same run: '31×'."""
        return f"{point(eid, slower, size)['median_ns'] / point(eid, faster, size)['median_ns']:.3g}×"

    @env.macro
    def variants_table(eid: str) -> str:
        """Sizes down, variants across: the median, ± half the interquartile range."""
        return render.variants_table(entry(eid), shown(eid))

    @env.macro
    def counters_table(eid: str) -> str:
        """What one call of each variant cost besides time, as the snippet's counters() measured it."""
        return render.counters_table(entry(eid))

    @env.macro
    def chart(eid: str, caption: str) -> str:
        """Each variant against size, log-log, with the machine's caches marked."""
        e, display = entry(eid), shown(eid)
        per_size = bytes_per_size(eid)
        markers = charts.cache_markers(caches, per_size) if per_size else {}
        svg = charts.line_chart(e, salt=eid, markers=markers, ylabel=display.label, convert=display.convert)
        return f'<figure class="bim-chart">\n{svg}\n<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n'

    @env.macro
    def bar_chart(eid: str, size: int, caption: str) -> str:
        """Every variant at one size as a bar: for experiments about variants more than sizes."""
        e, display = entry(eid), shown(eid)
        if not any(p["size"] == size for p in e["points"]):
            raise PluginError(f"{env.page.file.src_uri}: {eid} has no results at size {size}")
        svg = charts.bar_chart(e, size, salt=f"{eid}@{size}", xlabel=display.label, convert=display.convert)
        return f'<figure class="bim-chart">\n{svg}\n<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n'

    @env.macro
    def knees(eid: str, variant: str, threshold: float = 1.3) -> str:
        """Where the time per unit of one variant stepped up by at least `threshold`, located on the caches."""
        found = render.knees(entry(eid), variant, caches, bytes_per_size(eid) or 0, threshold)
        return render.knees_sentence(found, entry(eid), caches)

    @env.macro
    def claims(eid: str) -> str:
        """The experiment's claims, each with the ratio measured; the build already stopped if one is false."""
        entry(eid)
        lines = ['!!! success "Claims, checked against these results by `python -m bench check`"', ""]
        for v in judged[eid]:
            note = "" if v.stable else " — *unstable: the samples' spread is too wide to support it*"
            lines.append(f"    - {html.escape(v.text)}: measured **{v.ratio:.3g}×**{note}")
        return "\n".join(lines) + "\n"

    @env.macro
    def claim(eid: str, index: int) -> str:
        """One declared claim of an experiment as a sentence with its measured ratio, for chapter pages."""
        entry(eid)
        v = judged[eid][index]
        return f"{html.escape(v.text)} (measured {v.ratio:.3g}×)"

    @env.macro
    def capacity(what: str) -> str:
        """A capacity of the measuring machine: L1d, L2, L3 (per core, shared), memory or disk."""
        m = data["machine"]
        size = {"memory": m["memory_bytes"], "disk": m.get("disk_bytes"), **m["caches"]}[what]
        return format_size(size, "bytes") if size else "unknown"

    @env.macro
    def latency_table(rows: list[dict]) -> str:
        """Measured latencies beside classic published ones. Each row: what, id, variant, size,
        optionally per (units in one operation, e.g. 1048576 bytes in 1 MiB), classic and classic_ns."""
        lines = ["| operation | measured here | classic | classic value |", "|---|---:|---|---:|"]
        for row in rows:
            ns = point(row["id"], row["variant"], row["size"])["median_ns"] * row.get("per", 1)
            classic = html.escape(row.get("classic", "–"))
            classic_ns = format_ns(row["classic_ns"]) if "classic_ns" in row else "–"
            lines.append(f"| {html.escape(row['what'])} | {format_ns(ns)} | {classic} | {classic_ns} |")
        return "\n".join(lines)

    @env.macro
    def stamp() -> str:
        """Where, when and with what the numbers on this page were measured (filled in after rendering)."""
        return STAMP_TOKEN

    @env.macro
    def machine_table() -> str:
        """The published machine, field by field."""
        return render.machine_table(data["machine"])

    @env.macro
    def schema_fields() -> str:
        """Every field of the results schema with its description, straight from the schema file."""
        return render.schema_fields(json.loads(SCHEMA_PATH.read_text()))

    @env.macro
    def budgets_table() -> str:
        """Each experiment's declared share of `make bench` beside what its last measurement took."""
        rows = ["| experiment | budget | measured |", "|---|---:|---:|"]
        total_budget = total_measured = 0.0
        for eid in known:
            budget, took = modules[eid].BUDGET_S, entry(eid)["duration_s"]
            total_budget, total_measured = total_budget + budget, total_measured + took
            rows.append(f"| `{eid}` | {budget:g} s | {took:.0f} s |")
        rows.append(f"| **all** | **{total_budget:g} s** | **{total_measured:.0f} s** |")
        return "\n".join(rows)

    return env


def on_post_page_macros(env):
    """Fill in the page's stamp now that every macro on it has run; no stamp, no numbers."""
    shown = _SHOWN.get(env.page.file.src_uri, set())
    if shown and STAMP_TOKEN not in env.markdown:
        raise PluginError(f"{env.page.file.src_uri} shows measured numbers but has no {{{{ stamp() }}}}")
    method = posixpath.relpath("method.md", posixpath.dirname(env.page.file.src_uri) or ".")
    env.markdown = env.markdown.replace(STAMP_TOKEN, render.stamp(_PUBLISHED, sorted(shown), method))
