"""The measuring venv of `make bench PYTHON=...` installs requirements-measure.txt: it must hold what
every snippet imports, at the versions of the main lock, so that another interpreter measures the
same code the site was built with."""

import ast
import re
import sys

from bench.discover import ROOT

PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+?)(?: ;(.*?))?(?: \\)?$", re.MULTILINE)


def pins(text: str) -> set[tuple[str, str]]:
    """(package, version) pairs; the markers differ where the main lock splits by Python version."""
    return {(package, version) for package, version, _ in PIN.findall(text)}


def test_the_measure_lock_pins_the_main_locks_versions():
    main = pins((ROOT / "requirements.txt").read_text())
    measure = pins((ROOT / "requirements-measure.txt").read_text())
    assert measure, "requirements-measure.txt pins nothing: run `make lock`"
    assert measure <= main, f"pinned unlike requirements.txt: {sorted(measure - main)}; run `make lock`"


def test_the_measure_lock_holds_every_module_a_snippet_imports():
    """Module-level imports: an optional one inside a function (cupy, for a GPU) is the reader's to install."""
    declared = {line.split("#")[0].strip() for line in (ROOT / "requirements-measure.in").read_text().splitlines()}
    snippets = sorted((ROOT / "snippets").rglob("*.py"))
    siblings = {path.stem for path in snippets}
    imported = set()
    for path in snippets:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - siblings - {"bench"}
    assert third_party, "found no snippet imports: the scan is broken"
    assert third_party <= declared, (
        f"imported by snippets, missing from requirements-measure.in: {third_party - declared}"
    )
