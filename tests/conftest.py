"""Shared fixtures (the environment every test runs in is set by the root conftest.py)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.config import config
from bench.discover import ROOT
from bench.results import RESULTS, path_for
from bench.stats import summarize

VECTORIZATION = "computing-units/vectorization"
# The reference machines' results files, in the order the configuration declares them.
REFERENCES = [path_for(name, config().reference_build) for name in config().reference_machines]


@pytest.fixture
def machine(monkeypatch) -> str:
    """Runs in the test measure as a machine of this name, into its own results file."""
    monkeypatch.setenv("BIM_MACHINE", "test-box")
    return "test-box"


@pytest.fixture
def reference() -> dict:
    """A fresh copy of the first reference machine's results, to doctor in a test."""
    return json.loads(REFERENCES[0].read_text())


@pytest.fixture
def results_dir(tmp_path) -> Path:
    """A copy of results/ to add files to or break."""
    target = tmp_path / "results"
    shutil.copytree(RESULTS, target)
    return target


def doctor(data: dict, eid: str, variant: str, size: int, like: tuple[str, int], factor: float) -> dict:
    """Give (variant, size) the samples of another point times factor, summaries recomputed."""
    points = data["experiments"][eid]["points"]
    source = next(p for p in points if (p["variant"], p["size"]) == like)
    target = next(p for p in points if (p["variant"], p["size"]) == (variant, size))
    target["samples_ns"] = [s * factor for s in source["samples_ns"]]
    target.update(summarize(target["samples_ns"]))
    return data


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site, built once per session with --strict into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    done = build(ROOT, out)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def build(project: Path, out: Path) -> subprocess.CompletedProcess:
    """mkdocs build --strict of the project folder (the repository, or a copy to break) into out."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
    )
