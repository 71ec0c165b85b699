"""mkdocs-macros entry point: the only way a measured number reaches a page.

Every macro shows each machine the site publishes (the reference machines, then any other
machine with results, such as a reader's), so a page never presents one machine as general.
The macros are methods of Site, which holds the results query and is unit-tested without MkDocs;
define_env() only registers them. Any false claim on a reference machine, or an experiment
fresh on none of them, stops the build.
"""

import html
import json
import posixpath
import sys
from pathlib import Path

# mkdocs-macros loads this file by path, not as part of the package: make `bench` importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mkdocs.exceptions import PluginError

from bench import charts, render, roles
from bench.check import judge_all
from bench.claims import ClaimError
from bench.config import ConfigError
from bench.discover import ContractError, experiments, load
from bench.results import RESULTS, SCHEMA_PATH, ResultsError
from bench.suite import Suite
from bench.units import format_ns, format_size

STAMP_TOKEN = "<!-- bim:stamp -->"
MACROS = [
    *("value", "ratio", "variants_table", "counters_table", "chart", "bar_chart", "knees", "claims", "claim"),
    *("capacity", "latency_table", "builds_table", "machines", "stamp", "machine_table", "schema_fields"),
    "budgets_table",
]


class Site:
    """What the pages ask of the results, loaded and checked once per build."""

    def __init__(self, directory: Path = RESULTS):
        self.suite = Suite.load(directory)
        self.known = {e.id: e for e in experiments()}
        self.modules = {eid: load(e) for eid, e in self.known.items()}
        self.judged = {eid: judge_all(self.suite, e, self.modules[eid]) for eid, e in self.known.items()}
        self.page = "(no page)"  # the page being rendered, for messages and its stamp
        self.shown: dict[str, set[str]] = {}  # page -> experiments whose numbers it shows

    def problems(self) -> list[str]:
        return [problem for judged in self.judged.values() for problem in judged.problems()]

    # What every macro goes through: the fresh results of one experiment, one per machine.

    def _fresh(self, eid: str):
        if eid not in self.known:
            raise PluginError(f"{self.page}: no experiment {eid!r}; known: {', '.join(self.known)}")
        self.shown.setdefault(self.page, set()).add(eid)
        return self.suite.fresh(self.known[eid])

    def _point(self, eid: str, machine, entry: dict, variant: str, size) -> dict | None:
        """The point a page names on one machine; None on a reader's machine that cannot resolve the
        role (its OS hides a cache size), which is then left out rather than failing the preview."""
        module = self.modules[eid]
        try:
            n = roles.resolve(size, module.SIZES, machine.caches, roles.bytes_per_size(module), machine.label)
        except roles.RoleError as error:
            if not machine.reference:
                return None
            raise PluginError(f"{self.page}: {eid}: {error}") from None
        for p in entry["points"]:
            if (p["variant"], p["size"]) == (variant, n):
                return p
        raise PluginError(f"{self.page}: {eid} has no result for {variant!r} at size {n} on {machine.label}")

    def _only(self, pairs: list, label: str | None) -> list:
        """(machine, x) pairs, or the one of the machine labelled `label`; a label not shown is an error."""
        if label is None:
            return pairs
        if label not in self.machines():
            raise PluginError(f"{self.page}: no machine {label!r}; shown: {', '.join(self.machines())}")
        return [(m, x) for m, x in pairs if m.label == label]

    def _display(self, eid: str, entry: dict) -> render.Display:
        return render.display(self.modules[eid], entry["unit"])

    def _markers(self, eid: str, machine) -> dict[str, float]:
        per_size = roles.bytes_per_size(self.modules[eid])
        return charts.cache_markers(machine.caches, per_size) if per_size else {}

    @staticmethod
    def _figure(svg: str, caption: str) -> str:
        return f'<figure class="bim-chart">\n{svg}\n<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n'

    # The macros.

    def value(self, eid: str, variant: str, size, per: int | None = None, machine: str | None = None) -> str:
        """One median per machine with its unit: '8.06 ns per element (m1), 5.2 ns per element (m2)';
        with per=k, the time k units take. size may be a role ("L1d/2"). With machine=label, that
        machine's value alone, for a table in a tab per machine (see machines())."""
        values = []
        for each, entry in self._only(self._fresh(eid), machine):
            if point := self._point(eid, each, entry, variant, size):
                median = point["median_ns"]
                shown = format_ns(median * per) if per else self._display(eid, entry).fmt(median)
                values.append((each.label, shown))
        return render.by_machine(values, alone=machine is not None)

    def ratio(self, eid: str, faster: str, slower: str, size, machine: str | None = None) -> str:
        """How many times faster one variant was than another, in one run, on each machine: '31× (m1), 40× (m2)'."""
        values = []
        for each, entry in self._only(self._fresh(eid), machine):
            fast, slow = (self._point(eid, each, entry, v, size) for v in (faster, slower))
            if fast and slow:
                values.append((each.label, f"{slow['median_ns'] / fast['median_ns']:.3g}×"))
        return render.by_machine(values, alone=machine is not None)

    def variants_table(self, eid: str) -> str:
        """Sizes down, variants across, one tab per machine: the median, ± half the interquartile range."""
        panels = [(m.label, render.variants_table(e, self._display(eid, e))) for m, e in self._fresh(eid)]
        return render.tabs(panels)

    def counters_table(self, eid: str) -> str:
        """What one call of each variant cost besides time, one tab per machine."""
        return render.tabs([(m.label, render.counters_table(e)) for m, e in self._fresh(eid)])

    def chart(self, eid: str, caption: str) -> str:
        """Each variant against size, log-log, a panel per machine with that machine's caches marked."""
        fresh = self._fresh(eid)
        shown = self._display(eid, fresh[0][1])
        panels = [(m.label, e, self._markers(eid, m)) for m, e in fresh]
        svg = charts.line_chart(panels, salt=eid, ylabel=shown.label, convert=shown.convert)
        return self._figure(svg, caption)

    def bar_chart(self, eid: str, size: int, caption: str) -> str:
        """Every variant at one size as a bar, a panel per machine: for experiments about variants more than sizes."""
        fresh = self._fresh(eid)
        for machine, entry in fresh:
            if not any(p["size"] == size for p in entry["points"]):
                raise PluginError(f"{self.page}: {eid} has no results at size {size} on {machine.label}")
        shown = self._display(eid, fresh[0][1])
        panels = [(m.label, e) for m, e in fresh]
        svg = charts.bar_chart(panels, size, salt=f"{eid}@{size}", xlabel=shown.label, convert=shown.convert)
        return self._figure(svg, caption)

    def knees(self, eid: str, variant: str, threshold: float = 1.3) -> str:
        """Where the time per unit of one variant stepped up by at least `threshold`, on each
        machine, located on that machine's caches."""
        per_size = roles.bytes_per_size(self.modules[eid]) or 0
        parts = []
        for machine, entry in self._fresh(eid):
            found = render.knees(entry, variant, machine.caches, per_size, threshold)
            parts.append(f"on {html.escape(machine.label)}, {render.knees_sentence(found, entry, machine.caches)}")
        return "; ".join(parts)

    def claims(self, eid: str) -> str:
        """The experiment's claims as a table: a row per claim, a column per machine with the ratio
        measured there. The build already stopped if one is false on a reference machine."""
        self._fresh(eid)
        judged = self.judged[eid]
        module = self.modules[eid]
        machines = list(judged.verdicts)
        columns = [m.label for m in machines] + [m.label for m in judged.stale]
        rows = []
        for i, claim in enumerate(judged.claims):
            cells = [_cell(judged.verdicts[m][i]) for m in machines]
            cells += ["not yet re-measured"] * len(judged.stale)
            rows.append((claim.sentence(module.SIZE_UNIT), cells))
        title = '!!! success "Claims, checked on every reference machine by `python -m bench check`"'
        table = render.claims_table(rows, columns)
        note = (
            "✓ holds, ✗ false (allowed only on a machine that is not a reference machine); "
            "*unstable*: holds on medians, not on the unfavourable quartiles."
        )
        body = f"{table}\n\n<small>{note}</small>"
        return title + "\n\n" + "\n".join(f"    {line}" if line else "" for line in body.splitlines()) + "\n"

    def claim(self, eid: str, index: int) -> str:
        """One declared claim as a sentence with the ratio measured on each machine, for chapter pages."""
        self._fresh(eid)
        judged = self.judged[eid]
        claim = judged.claims[index]
        ratios = [(m.label, f"{verdicts[index].ratio:.3g}×") for m, verdicts in judged.verdicts.items()]
        return f"{html.escape(claim.sentence(self.modules[eid].SIZE_UNIT))} (measured {render.by_machine(ratios)})"

    def capacity(self, what: str, machine: str | None = None) -> str:
        """A capacity of each machine (or of one): L1d, L2, L3 (per core, shared), memory or disk."""
        values = []
        for each, _ in self._only([(m, None) for m in self.suite.shown], machine):
            m = each.data["machine"]
            size = {"memory": m["memory_bytes"], "disk": m.get("disk_bytes"), **m["caches"]}[what]
            values.append((each.label, format_size(size, "bytes") if size else "unknown"))
        return render.by_machine(values, alone=machine is not None)

    def latency_table(self, rows: list[dict]) -> str:
        """Measured latencies on each machine beside classic published ones. Each row: what, id,
        variant, size (or role), optionally per (units in one operation), classic and classic_ns."""
        machines = self.suite.shown
        head = " | ".join(f"measured on {html.escape(m.label)}" for m in machines)
        lines = [f"| operation | {head} | classic | classic value |", "|---" + "|---:" * len(machines) + "|---|---:|"]
        for row in rows:
            fresh = dict(self._fresh(row["id"]))
            cells = [self._latency(row, m, fresh[m]) if m in fresh else "not yet re-measured" for m in machines]
            classic = html.escape(row.get("classic", "–"))
            classic_ns = format_ns(row["classic_ns"]) if "classic_ns" in row else "–"
            lines.append(f"| {html.escape(row['what'])} | {' | '.join(cells)} | {classic} | {classic_ns} |")
        return "\n".join(lines)

    def _latency(self, row: dict, machine, entry: dict) -> str:
        point = self._point(row["id"], machine, entry, row["variant"], row["size"])
        return format_ns(point["median_ns"] * row.get("per", 1)) if point else "–"

    def builds_table(self, eid: str, size: int) -> str:
        """Interpreters side by side: every variant at one size on every machine and build with a fresh result."""
        self._fresh(eid)
        builds = self.suite.builds(self.known[eid])
        heads = " | ".join(f"{html.escape(m.name)}, {html.escape(m.build)}" for m, _ in builds)
        lines = [f"| variant | {heads} |", "|---" + "|---:" * len(builds) + "|"]
        for variant in self.modules[eid].VARIANTS:
            cells = []
            for _, entry in builds:
                p = next((p for p in entry["points"] if (p["variant"], p["size"]) == (variant, size)), None)
                cells.append(self._display(eid, entry).fmt(p["median_ns"]) if p else "–")
            lines.append(f"| {html.escape(variant)} | {' | '.join(cells)} |")
        return "\n".join(lines)

    def machines(self) -> list[str]:
        """The labels of the machines the pages show, for a page that loops over them:
        {% for m in machines() %}=== "{{ m }}" ... {{ value(..., machine=m) }}{% endfor %}."""
        return [m.label for m in self.suite.shown]

    def stamp(self) -> str:
        """Where, when and with what the numbers on this page were measured (filled in after rendering)."""
        return STAMP_TOKEN

    def machine_table(self) -> str:
        """Every machine the pages show, field by field."""
        return render.machine_table([m.data["machine"] for m in self.suite.shown])

    def schema_fields(self) -> str:
        """Every field of the results schema with its description, straight from the schema file."""
        return render.schema_fields(json.loads(SCHEMA_PATH.read_text()))

    def budgets_table(self) -> str:
        """Each experiment's declared share of `make bench` beside what its last measurement took on each machine."""
        machines = self.suite.references
        lines = [
            "| experiment | budget | " + " | ".join(f"measured on {html.escape(m.label)}" for m in machines) + " |",
            "|---|---:" + "|---:" * len(machines) + "|",
        ]
        total = [0.0] * (len(machines) + 1)
        for eid, module in self.modules.items():
            fresh = dict(self._fresh(eid))
            took = [fresh[m]["duration_s"] if m in fresh else None for m in machines]
            total = [t + (x or 0) for t, x in zip(total, [module.BUDGET_S, *took], strict=True)]
            cells = " | ".join("not yet re-measured" if t is None else f"{t:.0f} s" for t in took)
            lines.append(f"| `{eid}` | {module.BUDGET_S:g} s | {cells} |")
        lines.append("| **all** | " + " | ".join(f"**{t:.0f} s**" for t in total) + " |")
        return "\n".join(lines)

    def fill_stamp(self, markdown: str, page: str) -> str:
        """Replace the page's stamp token, now that every macro on it has run; no stamp, no numbers."""
        shown = sorted(self.shown.get(page, set()))
        if shown and STAMP_TOKEN not in markdown:
            raise PluginError(f"{page} shows measured numbers but has no {{{{ stamp() }}}}")
        measured = []
        for machine in self.suite.shown:
            entries = {eid: e for eid in shown if (e := machine.entry(self.known[eid])) is not None}
            if entries:
                measured.append((machine.label, machine.data["machine"], entries))
        stale = {eid: [m.label for m in self.judged[eid].stale] for eid in shown if self.judged[eid].stale}
        method = posixpath.relpath("method.md", posixpath.dirname(page) or ".")
        return markdown.replace(STAMP_TOKEN, render.stamp(measured, stale, method))


def _cell(verdict) -> str:
    mark = "✓" if verdict.holds else "✗"
    unstable = " *unstable*" if verdict.holds and not verdict.stable else ""
    where = f" <small>({verdict.resolved})</small>" if verdict.resolved else ""
    return f"{verdict.ratio:.3g}× {mark}{unstable}{where}"


_SITE: list[Site] = []  # the Site of the current build, for the post-page hook


def define_env(env):
    """Load and check the results once; every problem in one message, or none."""
    try:
        site = Site()
    except (ResultsError, ContractError, ClaimError, ConfigError) as error:
        raise PluginError(str(error)) from None
    if problems := site.problems():
        raise PluginError("the results do not support the pages:\n  " + "\n  ".join(problems))
    _SITE[:] = [site]
    for name in MACROS:
        env.macro(_on_page(env, site, getattr(site, name)), name)
    return env


def _on_page(env, site: Site, method):
    """The macro, told which page it is rendering before it runs."""

    def macro(*args, **kwargs):
        site.page = env.page.file.src_uri
        return method(*args, **kwargs)

    macro.__doc__ = method.__doc__
    return macro


def on_post_page_macros(env):
    env.markdown = _SITE[0].fill_stamp(env.markdown, env.page.file.src_uri)
