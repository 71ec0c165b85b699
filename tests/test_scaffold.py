"""`python -m bench new` writes a snippet and a page section that pass the tests as created: the
contract holds, the snippet runs, and the site builds with the page saying it is not yet measured.
An experiment that only some machines never measured, or that a page shows unguarded, still fails."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.discover import ROOT
from tests.conftest import build

NEW_PAGE = "computing-units/loop_sum"  # no page named loop.md: a page of its own
NEW_SECTION = "memory/layout_strides"  # layout.md exists: a section of it


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of what `bench new`, the harness and the build read."""
    for name in ("docs", "snippets", "bench", "results"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    for name in ("mkdocs.yml", "CONTRIBUTING.md", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def bench(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=project, capture_output=True, text=True, timeout=120
    )


def test_a_new_experiment_passes_as_created(project):
    for eid in (NEW_PAGE, NEW_SECTION):
        done = bench(project, "new", eid)
        assert done.returncode == 0, done.stderr
        assert f"make bench ONLY={eid}" in done.stdout
    assert "  - Loop sum: computing-units/loop-sum.md\n" in (project / "mkdocs.yml").read_text()
    listed = bench(project, "list")
    assert listed.returncode == 0 and {NEW_PAGE, NEW_SECTION} <= set(listed.stdout.split()), listed.stderr
    for eid in (NEW_PAGE, NEW_SECTION):
        snippet = project / "snippets" / f"{eid}.py"
        ran = subprocess.run([sys.executable, str(snippet), "--quick"], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0 and "numpy" in ran.stdout, ran.stderr
    check = bench(project, "check", NEW_PAGE)
    assert check.returncode == 0 and f"NOT YET MEASURED {NEW_PAGE}" in check.stdout, check.stdout + check.stderr
    done = build(project, project / "site")
    assert done.returncode == 0, done.stderr
    page = (project / "site" / "computing-units" / "loop-sum" / "index.html").read_text()
    assert "Not yet measured" in page and f"make bench ONLY={NEW_PAGE}" in page
    layout = (project / "site" / "memory" / "layout" / "index.html").read_text()
    assert "Layout strides" in layout and f"make bench ONLY={NEW_SECTION}" in layout


@pytest.mark.parametrize(
    ("eid", "message"),
    [
        ("Memory/Stride", "an id is <chapter>/<name>"),
        ("kitchen/sink", "no chapter 'kitchen'"),
        ("memory/latency", "exists already"),
        ("memory/cache_lines_x", "cache-lines-x.md"),  # no page cache.md: a new page, created
    ],
)
def test_a_bad_id_is_refused_and_nothing_is_written(project, eid, message):
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    done = bench(project, "new", eid)
    if message.endswith(".md"):
        assert done.returncode == 0 and (project / "docs" / "memory" / message).exists()
        return
    assert done.returncode == 2 and message in done.stderr
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_a_page_showing_a_never_measured_experiment_unguarded_fails_the_build(project):
    bench(project, "new", NEW_PAGE)
    page = project / "docs" / "computing-units" / "loop-sum.md"
    page.write_text(page.read_text().replace("{% if loop_sum.measured() %}", "{% if true %}"))
    done = build(project, project / "site")
    assert done.returncode != 0
    assert "computing-units/loop-sum.md: computing-units/loop_sum has no fresh result on any machine" in done.stderr
