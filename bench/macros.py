"""mkdocs-macros entry point: the only way a measured number reaches a page.

Pages call value(), ratio(), variants_table(), chart(), claims() and stamp(); the method page also
calls machine_table() and schema_fields(). Any stale, missing or false result stops the build.
"""

import html
import json
import posixpath
import sys
from pathlib import Path

# mkdocs-macros loads this file by path, not as part of the package: make `bench` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mkdocs.exceptions import PluginError

from bench import charts
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
    _PUBLISHED.update(data)

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

    @env.macro
    def value(eid: str, variant: str, size: int) -> str:
        """Median time per unit, with its unit: '8.06 ns per element'."""
        return f"{format_ns(point(eid, variant, size)['median_ns'])} per {html.escape(entry(eid)['unit'])}"

    @env.macro
    def ratio(eid: str, faster: str, slower: str, size: int) -> str:
        """How many times faster one variant was than another, in the same run: '31×'."""
        return f"{point(eid, slower, size)['median_ns'] / point(eid, faster, size)['median_ns']:.3g}×"

    @env.macro
    def variants_table(eid: str) -> str:
        """Sizes down, variants across: median ns per unit, ± half the interquartile range."""
        e = entry(eid)
        variants = list(dict.fromkeys(p["variant"] for p in e["points"]))
        cells = {(p["variant"], p["size"]): p for p in e["points"]}
        rows = [f"| size | {' | '.join(html.escape(v) for v in variants)} |", "|---:" * (len(variants) + 1) + "|"]
        for size in sorted({p["size"] for p in e["points"]}):
            row = [_cell(cells.get((v, size))) for v in variants]
            rows.append(f"| {format_size(size, e['size_unit'])} | {' | '.join(row)} |")
        samples = len(e["points"][0]["samples_ns"])
        caption = f"Median ns per {html.escape(e['unit'])} of {samples} samples; ± is half the interquartile range."
        return "\n".join(rows) + f"\n\n<small>{caption}</small>\n"

    @env.macro
    def chart(eid: str, caption: str) -> str:
        """Median ns per unit against size, one line per variant, the machine's caches marked."""
        e = entry(eid)
        module = load(known[eid])
        per_size = module.working_set(1_000_000) / 1_000_000 if hasattr(module, "working_set") else 1
        markers = charts.cache_markers(data["machine"]["caches"], per_size)
        svg = charts.line_chart(e, salt=eid, markers=markers, ylabel=f"ns per {e['unit']}")
        return f'<figure class="bim-chart">\n{svg}\n<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n'

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
    def stamp() -> str:
        """Where, when and with what the numbers on this page were measured (filled in after rendering)."""
        return STAMP_TOKEN

    @env.macro
    def machine_table() -> str:
        """The published machine, field by field."""
        m = data["machine"]
        caches = ", ".join(f"{k} {format_size(v, 'bytes') if v else 'unknown'}" for k, v in m["caches"].items())
        rows = {
            "Machine": m["name"],
            "CPU": m["cpu"],
            "Cores": f"{m['logical_cores']} logical, {m['physical_cores'] or 'unknown'} physical",
            "Caches": caches,
            "Memory": format_size(m["memory_bytes"], "bytes"),
            "OS": f"{m['os']} {m['kernel']}",
            "Virtualized": {True: "yes: clock frequency and SMT siblings are hidden", False: "no"}.get(
                m["virtualized"], "unknown"
            ),
        }
        return "| | |\n|---|---|\n" + "\n".join(f"| {k} | {html.escape(str(v))} |" for k, v in rows.items())

    @env.macro
    def schema_fields() -> str:
        """Every field of the results schema with its description, straight from the schema file."""
        schema = json.loads(SCHEMA_PATH.read_text())
        rows = ["| field | type | meaning |", "|---|---|---|"]
        for name, prop in _walk(schema, schema):
            kind = prop.get("type", "const" if "const" in prop else "object")
            kind = " or ".join(kind) if isinstance(kind, list) else kind
            rows.append(f"| `{name}` | {kind} | {html.escape(prop.get('description', ''))} |")
        return "\n".join(rows)

    @env.macro
    def budgets_table() -> str:
        """Each experiment's declared share of `make bench` beside what its last measurement took."""
        rows = ["| experiment | budget | measured |", "|---|---:|---:|"]
        total_budget = total_measured = 0.0
        for eid, experiment in known.items():
            budget, took = load(experiment).BUDGET_S, entry(eid)["duration_s"]
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
    env.markdown = env.markdown.replace(STAMP_TOKEN, _stamp(_PUBLISHED, sorted(shown), method))


def _cell(p: dict | None) -> str:
    if p is None:
        return "–"
    return f"{p['median_ns']:.3g} ±{50 * p['spread']:.0f}%"


def _stamp(data: dict, eids: list[str], method_link: str) -> str:
    m = data["machine"]
    lines = [f'!!! info "Measured on {html.escape(m["name"])}"', ""]
    lines.append(
        f"    {html.escape(m['cpu'])}, {m['logical_cores']} logical cores, "
        f"{format_size(m['memory_bytes'], 'bytes')}, {html.escape(m['os'])} {html.escape(m['kernel'])}"
        f"{' (virtual machine)' if m['virtualized'] else ''}. "
        f"[How the numbers are made]({method_link})"
    )
    lines.append("")
    for eid in eids:
        s = data["experiments"][eid]["software"]
        build = "free-threaded" if s["free_threaded"] else "with GIL"
        lines.append(
            f"    - `{eid}`: {s['date'][:10]}, commit `{s['commit']}`, {html.escape(s['implementation'])} "
            f"{s['python']} ({build}), numpy {s['numpy']}, numexpr {s['numexpr']}"
        )
    return "\n".join(lines) + "\n"


def _walk(node: dict, schema: dict, prefix: str = ""):
    """(dotted field name, property) for every property, following $refs; '*' stands for any key."""
    if "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    if prefix:
        yield prefix, node
    for name, prop in node.get("properties", {}).items():
        yield from _walk(prop, schema, f"{prefix}.{name}" if prefix else name)
    if isinstance(node.get("additionalProperties"), dict):
        yield from _walk(node["additionalProperties"], schema, f"{prefix}.*")
    if "items" in node and isinstance(node["items"], dict) and "properties" in node["items"]:
        yield from _walk(node["items"], schema, f"{prefix}[]")
