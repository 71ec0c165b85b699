"""The site builds with --strict, shows what the pages promise, loads nothing from third parties,
and refuses to build from stale, false, malformed or missing inputs."""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.discover import ROOT
from bench.results import PUBLISHED
from bench.units import format_size
from tests.conftest import build

VECTORIZATION = "computing-units/vectorization"
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


def test_vectorization_page_has_everything(built_site, published):
    page = (built_site / "computing-units/vectorization/index.html").read_text()
    assert page.count('<figure class="bim-chart">') == 1 and "<svg" in page
    for level, size in published["machine"]["caches"].items():
        assert f"{level} {format_size(size, 'bytes')}" in page, f"{level} is not marked on the chart"
    assert "python loop" in page and "numexpr" in page
    assert "Claims, checked against these results" in page
    assert "Measured on" in page and PUBLISHED.stem in page
    assert "python_loop" in page and "numexpr_expression" in page, "the snippet was not included"
    assert "{{" not in page and "bim:stamp" not in page


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
    for name in ("mkdocs.yml", "CONTRIBUTING.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_copy_builds(project):
    done = build(project, project / "site")
    assert done.returncode == 0, done.stderr


# (file in the copy, how to break it, what the build's error must say)
BREAKAGES = {
    "stale snippet": (
        "snippets/computing-units/vectorization.py",
        lambda text: text + "\n# edited after measuring\n",
        f"make bench ONLY={VECTORIZATION}",
    ),
    "malformed results": (f"results/{PUBLISHED.name}", lambda text: text[:500], f"{PUBLISHED.name}: not valid JSON"),
    "missing include": (
        "docs/computing-units/vectorization.md",
        lambda text: text.replace('snippets/computing-units/vectorization.py"', 'snippets/gone.py"'),
        "gone.py",
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
    target.write_text(spoil(target.read_text()))
    done = build(project, project / "site")
    assert done.returncode != 0
    assert expected in done.stderr


def test_false_claim_stops_the_build(project, published):
    points = published["experiments"][VECTORIZATION]["points"]
    for p in points:
        if p["variant"] == "numpy":
            p.update(
                next(q for q in points if q["variant"] == "numexpr" and q["size"] == p["size"]) | {"variant": "numpy"}
            )
    target = project / "results" / PUBLISHED.name
    target.write_text(json.dumps(published))
    done = build(project, project / "site")
    assert done.returncode != 0
    assert "false claim: numexpr at 100,000,000 elements is at least 1.3× faster than numpy" in done.stderr
