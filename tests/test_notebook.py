"""The "Measure your own machine" notebook: it runs from a clone and fails with a clear message
without one, it is stored without outputs, and the site offers it for download without running it
(run by the build, it would publish the build machine's numbers as the reader's)."""

import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_output

from bench.discover import ROOT

NOTEBOOK = ROOT / "docs/notebooks/measure-your-machine.ipynb"
PAGE = "notebooks/measure-your-machine/index.html"
CLONE = ("bench", "snippets", "results", "docs/notebooks", "pyproject.toml")  # what the notebook reads
CELL_TIMEOUT_S = 120  # the harness's own bound on one quick experiment
CDN_MATHJAX = re.compile(r"https?://[^\s\"'&<>]*mathjax", re.IGNORECASE)  # mkdocs-jupyter's default, loaded by script
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CLEAR = f"clear them: .venv/bin/jupyter nbconvert --clear-output --inplace {NOTEBOOK.relative_to(ROOT)}"


def kernel() -> AsyncKernelManager:
    """ipykernel's own kernel spec, which runs this interpreter (the venv's); no kernel directory is
    searched, so a python3 kernel installed elsewhere on the machine cannot stand in for it."""
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))


def execute(notebook: Path, cwd: Path) -> nbformat.NotebookNode:
    """Run every cell in order, in a fresh kernel started in cwd (where Jupyter starts it: the
    notebook's folder); a cell that raises fails the test, named by its number and id."""
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, km=kernel(), timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(cwd)}})
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # so that figures are drawn inline
    with client.setup_kernel(env=env, cleanup_kc=True):
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                report = ANSI.sub("", f"{printed}\n{error}")  # IPython colours its tracebacks
                raise AssertionError(f"{notebook.name}: cell {index} ({cell.id}) failed:\n{report}") from None
    return nb


def copy_of_the_clone(target: Path) -> Path:
    """What the notebook reads, copied: a clone to run it in, apart from this checkout."""
    for name in CLONE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, target / name)
    return target


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_the_kernel_is_this_interpreter():
    assert kernel().kernel_spec.argv[0] == sys.executable


def test_in_a_clone_it_measures_and_plots_beside_the_reference_machines(tmp_path):
    clone = copy_of_the_clone(tmp_path / "clone")
    before = files_under(clone)
    nb = execute(clone / "docs/notebooks" / NOTEBOOK.name, clone / "docs/notebooks")
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs)
    measured = text.count("measuring (quick)")
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert measured >= 1 and "Reference machines:" in text, text
    assert len(figures) == 2 * measured, "a figure of curves and one of ratios per experiment"
    assert files_under(clone) == before, "the quick results belong in a temporary folder, not in the clone"


def test_alone_it_says_to_clone_the_repository():
    """Downloaded alone, its kernel starts in a folder no clone holds (here the file system's root)."""
    with pytest.raises(AssertionError, match=r"cell \d+ \(setup\) failed") as failure:
        execute(NOTEBOOK, Path(ROOT.anchor))
    assert "Clone the repository" in str(failure.value)


def leftovers(nb: nbformat.NotebookNode) -> list[str]:
    """What a run leaves in a notebook: outputs and execution counts, by cell."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            found += [f"cell {index} ({cell.id}): outputs"] * bool(cell.outputs)
            found += [f"cell {index} ({cell.id}): an execution count"] * (cell.execution_count is not None)
    return found


def test_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert leftovers(nb) == [], CLEAR


def test_a_notebook_that_was_run_is_caught():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="a measurement")]
    nb.cells[1].execution_count = 1
    assert leftovers(nb) == ["cell 1 (setup): outputs", "cell 1 (setup): an execution count"]


class NotebookPage(HTMLParser):
    """The download links of a built page, and how many cell outputs it shows."""

    def __init__(self):
        super().__init__()
        self.downloads, self.outputs = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "download" in attrs:
            self.downloads.append(attrs.get("href"))
        self.outputs += "jp-OutputArea-output" in (attrs.get("class") or "").split()


def test_the_page_offers_the_notebook_and_shows_no_measurement(built_site):
    page = built_site / PAGE
    html = page.read_text()
    parsed = NotebookPage()
    parsed.feed(html)
    assert parsed.downloads == [NOTEBOOK.name]
    download = page.parent / NOTEBOOK.name
    assert download.is_file(), "no notebook beside the page: mkdocs-jupyter needs include_source: true"
    assert download.read_bytes() == NOTEBOOK.read_bytes()
    assert parsed.outputs == 0, "the page shows cell outputs: mkdocs-jupyter must not run it (execute: false)"
    assert not CDN_MATHJAX.search(html), "the page would fetch MathJax from a CDN: keep custom_mathjax_url local"
