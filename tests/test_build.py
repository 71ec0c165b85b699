"""The site builds with --strict, shows what the pages promise, loads nothing from third parties,
and refuses to build from stale, false, malformed or missing inputs."""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.discover import ROOT, experiments
from bench.results import path_for, save
from bench.units import format_size
from tests.conftest import REFERENCES, VECTORIZATION, build, doctor

MACHINES = [json.loads(path.read_text())["machine"] for path in REFERENCES]
LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "link": "href", "video": "src"}


class ResourceParser(HTMLParser):
    """Collects the URLs a page loads by itself (not the links a reader may follow)."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") not in {"stylesheet", "preload", "modulepreload", "icon", "manifest"}:
            return
        if tag in LOADING and attrs.get(LOADING[tag]):
            self.urls.append(attrs[LOADING[tag]])


def test_vectorization_page_shows_every_reference_machine(built_site):
    page = (built_site / "computing-units/vectorization/index.html").read_text()
    figure = page[page.index('<figure class="bim-chart">') :]
    chart = figure[: figure.index("</figure>")]
    for machine in MACHINES:
        assert chart.count(f">{machine['name']}<") == 1, f"no panel titled {machine['name']}"
        for level, size in machine["caches"].items():
            assert f"{level} {format_size(size, 'bytes')}" in chart, f"{machine['name']}: {level} is not marked"
        assert '<label for="__tabbed_' in page and f">{machine['name']}</label>" in page, "no tab for it"
    claims = page[page.index("Claims, checked on every reference machine") :]
    header = claims[: claims.index("</tr>")]
    assert all(m["name"] in header for m in MACHINES), "the claims table has a column per machine"
    stamp = page[page.index("Measured on") :]
    assert all(m["name"] in stamp[:200] for m in MACHINES)
    assert "python_loop" in page and "numexpr_expression" in page, "the snippet was not included"
    assert "{{" not in page and "bim:stamp" not in page


def test_a_role_resolves_to_each_machines_own_size(built_site):
    """The bandwidth claim 'max at half of L2 ... at twice L3' names two different sizes on machines
    whose L2 differs."""
    page = (built_site / "memory/bandwidth/index.html").read_text()
    row = page[page.index("max at half of L2 is at least 2× faster than at twice L3") :]
    row = row[: row.index("</tr>")]
    resolved = {f"({format_size(m['caches']['L2'] // 2, 'bytes')} vs 1 GiB)" for m in MACHINES}
    assert len(resolved) == len(MACHINES) and all(r in row for r in resolved)


def test_chart_follows_the_palette(built_site):
    page = (built_site / "computing-units/vectorization/index.html").read_text()
    figure = page[page.index('<figure class="bim-chart">') :]
    svg = figure[: figure.index("</svg>")]
    assert "currentColor" in svg
    assert not re.search(r"#0{6}\b|#000\b|\bblack\b", svg), "hard-coded black is invisible in dark mode"


def test_every_page_with_numbers_has_a_stamp(built_site):
    for page in built_site.rglob("*.html"):
        text = page.read_text()
        if "bim-chart" in text or "Claims, checked" in text:
            assert "Measured on" in text, page


def test_no_third_party_resources(built_site):
    offenders = []
    for page in built_site.rglob("*.html"):
        parser = ResourceParser()
        parser.feed(page.read_text())
        offenders += [f"{page.relative_to(built_site)}: {u}" for u in parser.urls if urlsplit(u).netloc]
    for sheet in built_site.rglob("*.css"):
        offenders += [f"{sheet.name}: {u}" for u in re.findall(r"url\(['\"]?(https?:)?//[^)]+\)", sheet.read_text())]
        offenders += [f"{sheet.name}: @import" for _ in re.findall(r"@import\s+url\(['\"]?https?:", sheet.read_text())]
    assert offenders == []


@pytest.fixture
def project(tmp_path) -> Path:
    """A throwaway copy of what the build reads, to break on purpose."""
    for name in ("docs", "snippets", "bench", "results"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "CONTRIBUTING.md", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_copy_builds(project):
    done = build(project, project / "site")
    assert done.returncode == 0, done.stderr


# (file in the copy, how to break it, what the build's error must say)
BREAKAGES = {
    "stale snippet": (
        "snippets/computing-units/vectorization.py",
        lambda text: text.replace("return 16 * n", "return 16 * n + 0"),
        f"{VECTORIZATION} is fresh on no reference machine: run `make bench ONLY={VECTORIZATION}`",
    ),
    "malformed results": (
        f"results/{REFERENCES[0].name}",
        lambda text: text[:500],
        f"{REFERENCES[0].name}: not valid JSON",
    ),
    "a reference machine without results": (
        "pyproject.toml",
        lambda text: text.replace('reference-machines = ["', 'reference-machines = ["nowhere-4c", "'),
        "nowhere-4c.cpython-3.11.json is missing",
    ),
    "missing include": (
        "docs/computing-units/vectorization.md",
        lambda text: text + '\n```text\n--8<-- "snippets/gone.py"\n```\n',
        "gone.py",
    ),
    "a page left out of the nav": (
        "docs/memory/orphan.md",
        lambda text: "# Orphan\n\nNo page links here.\n",
        "orphan.md",
    ),
    "a claim the snippet does not declare": (
        "docs/memory/index.md",
        lambda text: text.replace('latency.claim("dram-vs-l1")', 'latency.claim("no-such-claim")'),
        "memory/latency has no claim 'no-such-claim'",
    ),
    "numbers without a stamp": (
        "docs/computing-units/vectorization.md",
        lambda text: text.replace("{{ stamp() }}", ""),
        "has no {{ stamp() }}",
    ),
    "undefined macro": (
        "docs/computing-units/index.md",
        lambda text: text + "\n{{ no_such_number }}\n",
        "no_such_number",
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_broken_input_stops_the_build(project, breakage):
    name, spoil, expected = BREAKAGES[breakage]
    target = project / name
    target.write_text(spoil(target.read_text() if target.exists() else ""))
    done = build(project, project / "site")
    assert done.returncode != 0
    assert expected in done.stderr


def test_a_claim_false_on_one_machine_stops_the_build(project):
    amd = REFERENCES[1]
    data = doctor(json.loads(amd.read_text()), VECTORIZATION, "numpy", 10_000, ("python loop", 10_000), 2)
    save(data, project / "results" / amd.name)
    done = build(project, project / "site")
    assert done.returncode != 0
    expected = f"false claim on {data['machine']['name']}: numpy is at least 20× faster than python loop at half of L2"
    assert expected in done.stderr


def test_a_docstring_edit_keeps_the_results_fresh(project):
    snippet = project / "snippets/computing-units/vectorization.py"
    snippet.write_text(snippet.read_text().replace('"""Vectorization:', '"""Vectorisation:') + "# a comment\n")
    done = build(project, project / "site")
    assert done.returncode == 0, done.stderr


def test_stale_on_one_machine_and_a_readers_false_claims_still_build(project, reference):
    """One reference machine drops out of the experiment, named; a reader's machine is shown with its
    false claim marked, and neither stops the build."""
    amd = REFERENCES[1]
    stale = json.loads(amd.read_text())
    stale["experiments"][VECTORIZATION]["fingerprint"] = "0" * 64
    save(stale, project / "results" / amd.name)
    reference["machine"]["name"] = "reader-box-8c"
    doctor(reference, VECTORIZATION, "numpy", 10_000, ("python loop", 10_000), 2)
    save(reference, path_for("reader-box-8c", reference["build"], project / "results"))
    done = build(project, project / "site")
    assert done.returncode == 0, done.stderr
    page = (project / "site/computing-units/vectorization/index.html").read_text()
    assert f"is not yet re-measured on {stale['machine']['name']}" in page
    assert "not yet re-measured</td>" in page, "the stale machine keeps a column in the claims table"
    assert ">reader-box-8c<" in page and "0.5× ✗" in page


def test_every_experiment_is_on_a_page_and_every_page_named_after_its_snippets():
    """A reader finds the snippet from the page and the page from the snippet: docs/<chapter>/<page>.md
    binds snippets/<chapter>/<page>.py, or several named <page>_<part>.py."""
    bound = {}
    for page in (ROOT / "docs").rglob("*.md"):
        for eid in re.findall(r'experiment\("([a-z0-9-]+/[a-z0-9_]+)"\)', page.read_text()):
            bound.setdefault(eid, set()).add(page.relative_to(ROOT / "docs").with_suffix("").as_posix())
    for experiment in experiments():
        pages = bound.get(experiment.id)
        assert pages, f"{experiment.id} is on no page"
        chapter, stem = experiment.id.split("/")
        names = [p.split("/")[1].replace("-", "_") for p in pages if p.startswith(chapter + "/")]
        assert any(stem == n or stem.startswith(n + "_") for n in names), f"{experiment.id} is on {sorted(pages)}"
