"""What the pages ask of the results, loaded and checked once per build: the suite of results
files, every snippet's contract and every claim judged on every machine. Site-wide tables live
here; what a page shows of one experiment is an ExperimentPage (bench.experiment_page)."""

import html
import json
import posixpath
from pathlib import Path

from bench import charts, history, machine_page, machines_overview, render
from bench.check import judge_all
from bench.config import config
from bench.contract import contracts
from bench.discover import experiments
from bench.experiment_page import ExperimentPage, PageError
from bench.results import RESULTS, SCHEMA_PATH
from bench.suite import Suite
from bench.units import format_ns, format_size

STAMP_TOKEN = "<!-- bim:stamp -->"
MACROS = (
    "experiment",
    "capacity",
    "huge_pages",
    "machines",
    "latency_table",
    "machine_table",
    "hardware_table",
    "schema_fields",
    "budgets_table",
    "staircase_overlay",
    "headline_claims",
    "stamp",
)


class Site:
    def __init__(self, directory: Path = RESULTS):
        self.known = {e.id: e for e in experiments()}
        self.contracts = contracts(list(self.known.values()))
        self.suite = Suite.load(directory, self.contracts)
        self.judged = {eid: judge_all(self.suite, e, self.contracts[eid]) for eid, e in self.known.items()}
        self.history = history.merged(
            history.folder_from_env(), history.records(self.suite, self.known, self.contracts)
        )
        self.page = "(no page)"  # the page being rendered, for messages and its stamp
        self.shown: dict[str, set[str]] = {}  # page -> experiments whose numbers it shows
        self.bound: dict[str, set[str]] = {}  # page -> experiments it is about: their history goes under its stamp

    def problems(self) -> list[str]:
        return [problem for judged in self.judged.values() for problem in judged.problems()]

    def experiment(self, eid: str) -> ExperimentPage:
        """Bind an experiment once per page: {% set latency = experiment("memory/latency") %}."""
        self.bound.setdefault(self.page, set()).add(eid)
        return ExperimentPage(self, eid)

    def machines(self) -> list[str]:
        """The labels of the machines the pages show, for a page that loops over them:
        {% for m in machines() %}=== "{{ m }}" ... {{ e.value(..., machine=m) }}{% endfor %}."""
        return [m.label for m in self.suite.shown]

    def capacity(self, what: str, machine: str | None = None) -> str:
        """A capacity of each machine (or of one): L1d, L2, L3 (per core, shared), memory or disk."""
        values = []
        for each in self._each(machine):
            m = each.data["machine"]
            size = {"memory": m["memory_bytes"], "disk": m.get("disk_bytes"), **m["caches"]}[what]
            values.append((each.label, format_size(size, "bytes") if size else "unknown"))
        return render.by_machine(values, alone=machine is not None)

    def huge_pages(self, machine: str | None = None) -> str:
        """Each machine's transparent huge page mode (always, madvise, never), as its last run found it."""
        values = []
        for each in self._each(machine):
            m = each.data["machine"]
            mode = m.get("transparent_huge_pages")
            values.append(
                (
                    each.label,
                    f"`{mode}`" if mode else "no such setting" if "transparent_huge_pages" in m else "not recorded",
                )
            )
        return render.by_machine(values, alone=machine is not None)

    def _each(self, machine: str | None) -> list:
        """The shown machines, or the one a page names; a name not shown is a build error."""
        if machine is not None and machine not in self.machines():
            raise PageError(f"{self.page}: no machine {machine!r}; shown: {', '.join(self.machines())}")
        return [each for each in self.suite.shown if machine in (None, each.label)]

    def latency_table(self, rows: list[dict]) -> str:
        """Measured latencies on each machine beside classic published ones. Each row: what, id,
        variant, size (or role), optionally per (units in one operation), classic and classic_ns."""
        machines = self.suite.shown
        head = " | ".join(f"measured on {html.escape(m.label)}" for m in machines)
        lines = [f"| operation | {head} | classic | classic value |", "|---" + "|---:" * len(machines) + "|---|---:|"]
        for row in rows:
            page = ExperimentPage(self, row["id"])
            fresh = dict(page._fresh(required=False))
            cells = []
            for m in machines:
                point = page._point(m, fresh[m], row["variant"], row["size"]) if m in fresh else None
                cells.append(format_ns(point["median_ns"] * row.get("per", 1)) if point else "not yet re-measured")
            classic = html.escape(row.get("classic", "–"))
            classic_ns = format_ns(row["classic_ns"]) if "classic_ns" in row else "–"
            lines.append(f"| {html.escape(row['what'])} | {' | '.join(cells)} | {classic} | {classic_ns} |")
        return "\n".join(lines)

    def machine_table(self) -> str:
        """Every machine the pages show, field by field."""
        return render.machine_table([m.data["machine"] for m in self.suite.shown])

    def hardware_table(self) -> str:
        """Each shown machine's cores, caches, TLBs, memory, SIMD, clock and GPUs, as its newest run recorded them."""
        columns = []
        for m in self.suite.shown:
            entries = m.data["experiments"].values()
            newest = max(entries, key=lambda e: e["software"]["date"], default={})
            columns.append((m.label, m.data["machine"], newest))
        return machine_page.hardware_table(columns)

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
        for eid, contract in self.contracts.items():
            fresh = dict(ExperimentPage(self, eid)._fresh(required=False))
            took = [fresh[m]["duration_s"] if m in fresh else None for m in machines]
            lacking = self.judged[eid].lacking
            declared = 0 if lacking else contract.budget_s  # not part of make bench where it cannot run
            total = [t + (x or 0) for t, x in zip(total, [declared, *took], strict=True)]
            cells = " | ".join(
                f"needs {contract.needs}" if m in lacking else "not yet re-measured" if t is None else f"{t:.0f} s"
                for m, t in zip(machines, took, strict=True)
            )
            lines.append(f"| `{eid}` | {contract.budget_s:g} s | {cells} |")
        lines.append("| **all** | " + " | ".join(f"**{t:.0f} s**" for t in total) + " |")
        return "\n".join(lines)

    def staircase_overlay(self, eid: str, variants: list[str], caption: str) -> str:
        """Every machine's line for each variant, overlaid, a panel per variant (the Machines page)."""
        return machines_overview.staircase(self, eid, variants, caption)

    def headline_claims(self) -> str:
        """Each experiment's first claim, with the ratio measured on each machine (the Machines page)."""
        return machines_overview.headline_claims(self)

    def stamp(self) -> str:
        """Where, when and with what the numbers on this page were measured (filled in after rendering)."""
        return STAMP_TOKEN

    def fill_stamp(self, markdown: str, page: str) -> str:
        """Replace the page's stamp token, now that every macro on it has run; no stamp, no numbers."""
        shown = sorted(self.shown.get(page, set()))
        if shown and STAMP_TOKEN not in markdown:
            raise PageError(f"{page} shows measured numbers but has no {{{{ stamp() }}}}")
        measured = []
        for machine in self.suite.shown:
            entries = {eid: e for eid in shown if (e := machine.entry(self.known[eid])) is not None}
            if entries:
                measured.append((machine.label, machine.data["machine"], entries))
        stale = {eid: [m.label for m in self.judged[eid].stale] for eid in shown if self.judged[eid].stale}
        method = posixpath.relpath("method.md", posixpath.dirname(page) or ".")
        return markdown.replace(
            STAMP_TOKEN,
            render.stamp(measured, stale, method) + self._history(sorted(self.bound.get(page, set()) & set(shown))),
        )

    def _about(self, page: str, shown: list[str]) -> list[str]:
        """The experiments a page binds and shows numbers of; not those a site-wide table only cites."""
        return [eid for eid in shown if eid in self.bound.get(page, set())]

    def _history(self, shown: list[str]) -> str:
        """Each experiment's claim ratios over time, a panel per machine (the publishing runner one
        series whatever its CPU), folded under the stamp."""
        figures = []
        order = {m.label: i for i, m in enumerate(self.suite.machines)}
        for eid in shown:
            claims = list(self.contracts[eid].claims)
            series: dict[str, list[dict]] = {}
            for record in self.history:
                if record["experiment"] == eid and record["ratios"]:
                    build = "" if record["build"] == config().reference_build else f" ({record['build']})"
                    series.setdefault(record["series"] + build, []).append(record)
            if not claims or not series:
                continue
            panels = [
                (
                    label,
                    {c: [(r["date"], r["ratios"][c]) for r in points if c in r["ratios"]] for c in claims},
                    history.changes(points),
                )
                for label, points in sorted(series.items(), key=lambda s: (order.get(s[0], len(order)), s[0]))
            ]
            measurements = sum(len(points) for points in series.values())
            svg = charts.history_chart(panels, salt=f"history:{eid}")
            figures.append((eid, svg, measurements))
        return render.history(figures)
