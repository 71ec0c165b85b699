"""What a page shows of one experiment, on every machine with a fresh result: values, ratios,
tables, charts, claims and the snippet block. A page binds the experiment once,

    {% set latency = experiment("memory/latency") %}

and calls these methods on it: {{ latency.value("numpy array", "L1d/2") }}. A size may be a role
("L1d/2"), resolved on each machine from its own caches.
"""

import ast
import dis
import html
import platform
import types

from bench import amdahl, charts, render, roles
from bench.discover import ContractError, literal
from bench.results import point
from bench.units import format_ns, format_ratio


class PageError(Exception):
    """A page asks for something the results or the snippets do not have; the message names the page."""


class ExperimentPage:
    def __init__(self, site, eid: str):
        if eid not in site.known:
            raise PageError(f"{site.page}: no experiment {eid!r}; known: {', '.join(site.known)}")
        self.site, self.id = site, eid
        self.experiment, self.contract, self.judged = site.known[eid], site.contracts[eid], site.judged[eid]

    def _fresh(self, only: str | None = None, *, required: bool = True) -> list:
        """(machine, entry) for every shown machine with a fresh result, or for the one labelled `only`;
        the page records that it shows this experiment, for its stamp. None at all is a page error,
        unless the caller (a site-wide table) says how it shows the gap."""
        self.site.shown.setdefault(self.site.page, set()).add(self.id)
        fresh = self.site.suite.fresh(self.experiment)
        if not fresh and required:
            raise PageError(
                f"{self.site.page}: {self.id} has no fresh result on any machine: show its numbers only "
                f"where e.measured() is true, or measure it with `{self.experiment.rerun_command}`"
            )
        if only is None:
            return fresh
        if only not in self.site.machines():
            raise PageError(f"{self.site.page}: no machine {only!r}; shown: {', '.join(self.site.machines())}")
        return [(m, e) for m, e in fresh if m.label == only]

    def _point(self, machine, entry: dict, variant: str, size) -> dict | None:
        """The point a page names on one machine; None on a reader's machine that cannot resolve the
        role (its OS hides a cache size), which is then left out rather than failing the preview."""
        c = self.contract
        try:
            n = roles.resolve(size, c.sizes, machine.caches, c.bytes_per_size, machine.label)
        except roles.RoleError as error:
            if not machine.reference:
                return None
            raise PageError(f"{self.site.page}: {self.id}: {error}") from None
        if found := point(entry, variant, n):
            return found
        raise PageError(f"{self.site.page}: {self.id} has no result for {variant!r} at size {n} on {machine.label}")

    @property
    def _shown(self) -> render.Display:
        return render.display(self.contract)

    def _figure(self, svg: str, caption: str) -> str:
        return f'<figure class="bim-chart">\n{svg}\n<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n'

    def value(self, variant: str, size, per: int | None = None, machine: str | None = None) -> str:
        """One median per machine with its unit: '8.06 ns per element (m1), 5.2 ns per element (m2)';
        with per=k, the time k units take; with machine=label, that machine's value alone (a table
        in a tab per machine, see machines())."""
        values = []
        for each, entry in self._fresh(machine):
            if point := self._point(each, entry, variant, size):
                median = point["median_ns"]
                values.append((each.label, format_ns(median * per) if per else self._shown.fmt(median)))
        return render.by_machine(values, alone=machine is not None)

    def ratio(self, faster: str, slower: str, size, machine: str | None = None) -> str:
        """How many times faster one variant was than another, in one run, on each machine: '31× (m1), 40× (m2)'."""
        return self._quotient((faster, size), (slower, size), machine)

    def step(self, variant: str, faster_at, slower_at, machine: str | None = None) -> str:
        """How many times one variant's cost at one size is its cost at another, in one run, on each
        machine: '3.3× (m1), 1.1× (m2)'. Sizes may be roles ("L2/2")."""
        return self._quotient((variant, faster_at), (variant, slower_at), machine)

    def _quotient(self, fast_at: tuple, slow_at: tuple, machine: str | None) -> str:
        """The slower point's time over the faster's, each a (variant, size), on each machine."""
        values = []
        for each, entry in self._fresh(machine):
            fast, slow = (self._point(each, entry, *at) for at in (fast_at, slow_at))
            if fast and slow:
                values.append((each.label, format_ratio(slow["median_ns"] / fast["median_ns"])))
        return render.by_machine(values, alone=machine is not None)

    def crossing(self, faster: str, slower: str) -> str:
        """The break-even on each machine: between which two sizes `faster` goes from slower than
        `slower` to faster than it, and stays so up to the largest size: 'between 1,000 and 10,000
        iterations (m1), ...'."""
        for name in (faster, slower):
            if name not in self.contract.variants:
                raise PageError(f"{self.site.page}: {self.id} has no variant {name!r}")
        values = [(m.label, render.crossing(e, faster, slower)) for m, e in self._fresh()]
        return render.by_machine(values)

    def variants_table(self) -> str:
        """Sizes down, variants across, one tab per machine: the median, ± half the interquartile range."""
        return render.tabs([(m.label, render.variants_table(e, self._shown)) for m, e in self._fresh()])

    def counters_table(self) -> str:
        """What one call of each variant cost besides time, one tab per machine."""
        return render.tabs([(m.label, render.counters_table(e)) for m, e in self._fresh()])

    def chart(self, caption: str) -> str:
        """Each variant against size, log-log, a panel per machine with that machine's caches marked."""
        per_size = self.contract.bytes_per_size
        panels = [(m.label, e, charts.cache_markers(m.caches, per_size) if per_size else {}) for m, e in self._fresh()]
        svg = charts.line_chart(panels, salt=self.id, ylabel=self._shown.label, convert=self._shown.convert)
        return self._figure(svg, caption)

    def bar_chart(self, size: int, caption: str) -> str:
        """Every variant at one size as a bar, a panel per machine: for experiments about variants more than sizes."""
        fresh = self._fresh()
        for machine, entry in fresh:
            if not any(p["size"] == size for p in entry["points"]):
                raise PageError(f"{self.site.page}: {self.id} has no results at size {size} on {machine.label}")
        panels = [(m.label, e) for m, e in fresh]
        shown = self._shown
        svg = charts.bar_chart(panels, size, salt=f"{self.id}@{size}", xlabel=shown.label, convert=shown.convert)
        return self._figure(svg, caption)

    def knees(self, variant: str, threshold: float = 1.3) -> str:
        """Where the time per unit of one variant stepped up by at least `threshold`, on each
        machine, located on that machine's caches."""
        parts = []
        for machine, entry in self._fresh():
            found = render.knees(entry, variant, machine.caches, self.contract.bytes_per_size or 0, threshold)
            parts.append(f"on {html.escape(machine.label)}, {render.knees_sentence(found, entry, machine.caches)}")
        return "; ".join(parts)

    def claims(self) -> str:
        """The claims as a table: a row per claim, a column per machine with the ratio measured
        there. The build already stopped if one is false on a reference machine."""
        self._fresh()
        judged = self.judged
        columns = [m.label for m in judged.verdicts] + [m.label for m in judged.stale]
        rows = []
        for name, claim in self.contract.claims.items():
            cells = [_cell(verdicts[name]) for verdicts in judged.verdicts.values()]
            rows.append((claim.sentence(self.contract.size_unit), cells + ["not yet re-measured"] * len(judged.stale)))
        title = '!!! success "Claims, checked on every reference machine by `python -m bench check`"'
        note = (
            "✓ holds, ✗ false (allowed only on a machine that is not a reference machine); "
            "*unstable*: holds on medians, not on the unfavourable quartiles."
        )
        body = f"{render.claims_table(rows, columns)}\n\n<small>{note}</small>"
        return title + "\n\n" + "\n".join(f"    {line}" if line else "" for line in body.splitlines()) + "\n"

    def claim(self, name: str) -> str:
        """One claim, by its name in CLAIMS, as a sentence with the ratio measured on each machine."""
        self._fresh()
        if name not in self.contract.claims:
            raise PageError(
                f"{self.site.page}: {self.id} has no claim {name!r}; its claims: {', '.join(self.contract.claims)}"
            )
        ratios = [(m.label, format_ratio(verdicts[name].ratio)) for m, verdicts in self.judged.verdicts.items()]
        sentence = self.contract.claims[name].sentence(self.contract.size_unit)
        return f"{html.escape(sentence)} (measured {render.by_machine(ratios)})"

    def builds_table(self, size: int) -> str:
        """Interpreters side by side: every variant at one size on every machine and build with a fresh result."""
        self._fresh()
        builds = self.site.suite.builds(self.experiment)
        heads = " | ".join(f"{html.escape(m.name)}, {html.escape(m.build)}" for m, _ in builds)
        lines = [f"| variant | {heads} |", "|---" + "|---:" * len(builds) + "|"]
        for variant in self.contract.variants:
            cells = []
            for _, entry in builds:
                p = point(entry, variant, size)
                cells.append(self._shown.fmt(p["median_ns"]) if p else "–")
            lines.append(f"| {html.escape(variant)} | {' | '.join(cells)} |")
        return "\n".join(lines)

    def bytecode(self, function: str) -> str:
        """One of the snippet's functions as the CPython building the page compiles it (`dis`), in a
        text fence: compiled from the source alone, never run."""
        tree = ast.parse(self.experiment.path.read_text())
        found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == function]
        if not found:
            raise PageError(f"{self.site.page}: {self.experiment.path.name} defines no function {function!r}")
        module = compile(ast.Module(body=found, type_ignores=[]), self.experiment.path.name, "exec")
        code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
        title = f"{function}, as CPython {platform.python_version()} compiles it"
        return f'```text title="{html.escape(title)}"\n{dis.Bytecode(code).dis()}```\n'

    def snippet(self) -> str:
        """The command that runs the snippet on its own, and the whole file in a collapsed block. The
        tests run every snippet once, directly; the command here is not run again as a page fence."""
        path = self.experiment.display
        budget = f"{self.contract.budget_s:g} s"
        return "\n".join(
            [
                f"Run it yourself: `--quick` measures the small sizes in seconds; without it, the full run"
                f" takes up to {budget}, and prints the medians the tables below show.",
                "",
                "```sh",
                f"python {path} --quick",
                "```",
                "",
                f'??? example "The whole snippet: `{path}`"',
                "",
                f'    ```python title="{path}"',
                f'    --8<-- "{path}"',
                "    ```",
                "",
            ]
        )

    def speedup_chart(self, variants, caption: str, serial: dict | None = None) -> str:
        """Speedup over one thread against the number of threads (the sizes), for one variant or
        several, a panel per machine with the ideal line: as many times faster as there are
        threads, up to that machine's logical cores. serial = {variant: serial fraction} adds
        Amdahl's curve for those variants."""
        names = [variants] if isinstance(variants, str) else list(variants)
        if unknown := [v for v in names if v not in self.contract.variants]:
            raise PageError(f"{self.site.page}: {self.id} has no variant {', '.join(map(repr, unknown))}")
        fresh = self._fresh()
        for machine, entry in fresh:
            for variant in names:
                if not point(entry, variant, 1):
                    where = f"{self.site.page}: {self.id} has no result for {variant!r}"
                    raise PageError(f"{where} at 1 thread on {machine.label}")
        panels = [(m.label, e, m.data["machine"]["logical_cores"]) for m, e in fresh]
        svg = charts.speedup_chart(panels, names, salt=f"{self.id}:speedup", serial=serial)
        return self._figure(svg, caption)

    def constant(self, name: str):
        """A module-level literal of the snippet (a dict of serial fractions, say), read from its
        source, so that a page draws what the snippet was designed with without typing it again."""
        try:
            return literal(self.experiment, name)
        except ContractError as error:
            raise PageError(f"{self.site.page}: {error}") from None

    def serial_fractions(self, designed: dict) -> str:
        """Per variant, the serial fraction it was designed with, the one fitted from each machine's
        speedups (up to its logical cores), and the bound 1 / s that the design puts on the speedup."""
        fresh = self._fresh()
        heads = " | ".join(f"fitted on {html.escape(m.label)}" for m, _ in fresh)
        lines = [f"| variant | designed | {heads} | speedup bound, 1 / s |", "|---|---:|" + "---:|" * (len(fresh) + 1)]
        for variant, serial in designed.items():
            cells = []
            for machine, entry in fresh:
                shown = {n: s for n, s, _, _ in charts.speedups(entry, variant)}
                fitted = amdahl.fitted_serial_fraction(shown, machine.data["machine"]["logical_cores"])
                cells.append("–" if fitted is None else f"{fitted:.2f}")
            bound = "none" if serial == 0 else format_ratio(1 / serial)
            lines.append(f"| {html.escape(variant)} | {serial:.2f} | {' | '.join(cells)} | {bound} |")
        return "\n".join(lines) + "\n"

    def speedups_by_build(self, size: int) -> str:
        """Every machine and interpreter build with a fresh result, a row each: whether its GIL was
        on while it measured, and each variant's speedup at `size` over its time at size 1."""
        builds = self.site.suite.builds(self.experiment)
        self._fresh()
        variants = " | ".join(html.escape(v) for v in self.contract.variants)
        lines = [f"| machine | build | GIL | {variants} |", "|---|---|---|" + "---:|" * len(self.contract.variants)]
        for machine, entry in builds:
            software = entry["software"]
            gil = "enabled" if software["gil_enabled"] else "disabled"
            cells = []
            for variant in self.contract.variants:
                one, at = point(entry, variant, 1), point(entry, variant, size)
                cells.append(format_ratio(one["median_ns"] / at["median_ns"]) if one and at else "–")
            row = [html.escape(machine.name), html.escape(machine.build), gil, *cells]
            lines.append(f"| {' | '.join(row)} |")
        return "\n".join(lines) + "\n"

    def free_threaded(self) -> bool:
        """Whether any machine measured this experiment, freshly, with a free-threaded build."""
        return any(e["software"]["free_threaded"] for _, e in self.site.suite.builds(self.experiment))

    def measured(self) -> bool:
        """Whether a shown machine has a fresh result. An experiment that NEEDS what the reference
        machines lack (a GPU) may have none: its page shows the numbers inside
        {% if e.measured() %} ... {% else %} and says how to measure them. Asking shows no number,
        so it asks no stamp of the page."""
        return bool(self.site.suite.fresh(self.experiment))

    def gpus(self) -> str:
        """The GPUs of each machine with a fresh result, as nvidia-smi names them: 'NVIDIA H200 (m1)'."""
        values = []
        for machine, _ in self._fresh():
            names = machine.data["machine"].get("gpus")
            values.append((machine.label, html.escape(", ".join(names)) if names else "no GPU recorded"))
        return render.by_machine(values)


def _cell(verdict) -> str:
    mark = "✓" if verdict.holds else "✗"
    unstable = " *unstable*" if verdict.holds and not verdict.stable else ""
    where = f" <small>({verdict.resolved})</small>" if verdict.resolved else ""
    return f"{format_ratio(verdict.ratio)} {mark}{unstable}{where}"
