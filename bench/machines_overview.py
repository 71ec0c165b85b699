"""The Machines page: every machine side by side, its latency staircase overlaid on the others'
in one chart, and each experiment's headline claim (its first) with the ratio measured on each.

A contributed results file has passed the schema's safe-text pattern, and its text is still shown
through plain(): as text, never as Markdown or HTML."""

import html
import posixpath

from bench import charts, render
from bench.discover import ROOT
from bench.experiment_page import ExperimentPage, PageError
from bench.units import format_ratio

DOCS = ROOT / "docs"


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
    svg = charts.overlay_chart(lines, variants, salt=f"{eid}:machines", ylabel=shown.label, convert=shown.convert)
    return f'<figure class="bim-chart">\n{svg}\n<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n'


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
