"""Shared fixtures (the environment every test runs in is set by the root conftest.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.discover import ROOT
from bench.results import PUBLISHED


@pytest.fixture
def published() -> dict:
    """A fresh copy of the committed results, to doctor in a test."""
    return json.loads(PUBLISHED.read_text())


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
