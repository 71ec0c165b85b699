"""The GPU path, proven without a GPU: the GPU snippets are read on any machine, skipped with their
reason where CuPy finds no GPU (by `bench run`, on their own and in the tests), never a problem for
`bench check` though no reference machine has a GPU, and a GPU machine's results, when present,
render on their page with the GPU named."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.contract import contract
from bench.discover import ROOT, ContractError, by_id
from bench.measure import REPEATS
from bench.results import path_for, save
from bench.run import interpreter_build
from bench.stats import summarize
from tests.conftest import REFERENCES, build
from tests.test_measure_hooks import snippet

GPU = ["computing-units/gpu_elementwise", "computing-units/gpu_reduction", "computing-units/gpu_matmul"]
NO_GPU = {"CUDA_VISIBLE_DEVICES": ""}  # CuPy, where it is installed, then finds no device either
GPU_MACHINE, GPU_NAME = "gpu-box-16c", "NVIDIA H200"
BUILD = interpreter_build(sys.executable)


def test_the_gpu_snippets_are_read_without_a_gpu():
    for experiment in by_id(GPU):
        assert contract(experiment).needs == "a CUDA GPU"


def test_needs_and_unavailable_come_together_and_are_spelt_right():
    with pytest.raises(ContractError, match="define NEEDS and unavailable"):
        snippet(NEEDS="a CUDA GPU")
    with pytest.raises(ContractError, match="did you mean NEEDS"):
        snippet(NEED="a CUDA GPU")
    live, _ = snippet(NEEDS="a CUDA GPU", unavailable=lambda: "no CUDA GPU:\n  none here")
    assert live.contract.needs == "a CUDA GPU" and live.unavailable() == "no CUDA GPU: none here"


def test_run_skips_with_the_reason_and_keeps_what_is_stored(tmp_path, machine, reference, monkeypatch, capsys):
    from bench.machine import describe

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    reference["machine"] = describe() | {"name": machine}
    reference["build"] = BUILD
    reference["experiments"][GPU[0]] = gpu_entries(reference)[GPU[0]]
    mine = path_for(machine, BUILD, tmp_path)
    save(reference, mine)
    before = mine.read_bytes()
    assert main(["run", *GPU, "--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for eid in GPU:
        assert f"skipped {eid}: needs a CUDA GPU" in out
    assert mine.read_bytes() == before


def test_a_gpu_snippet_alone_says_why_and_exits_cleanly():
    path = by_id(GPU[:1])[0].path
    done = subprocess.run(
        [sys.executable, str(path), "--quick"], capture_output=True, text=True, timeout=60, env=os.environ | NO_GPU
    )
    assert done.returncode == 0, done.stderr
    assert "not measured here: needs a CUDA GPU" in done.stdout


def test_check_says_the_references_lack_a_gpu_and_passes(capsys):
    assert main(["check", *GPU]) == 0
    out = capsys.readouterr().out
    for eid in GPU:
        assert f"NOT MEASURED {eid} on " in out and "it needs a CUDA GPU, which they lack" in out
    assert "every claim holds on every reference machine" in out


def test_without_gpu_results_the_page_says_how_to_measure(built_site):
    page = (built_site / "computing-units/gpu/index.html").read_text()
    assert "Not measured yet" in page and "make bench ONLY=" in page and "pip install cupy-cuda12x" in page
    assert "bim-chart" not in page and "{{" not in page and "bim:stamp" not in page


# Time per call in ns of each variant at size n: fixed costs (launches, copies) and costs per unit,
# in the proportions a GPU machine shows, so that every claim holds.
ARRAYS = {
    "numpy": lambda n: 2_000 + 1.0 * n,
    "cupy": lambda n: 30_000 + 0.02 * n,
    "cupy with transfers": lambda n: 60_000 + 1.0 * n,
    "transfers only": lambda n: 50_000 + 0.98 * n,
}
MATRICES = {
    "numpy": lambda n: 1_000 + 0.01 * n**3,
    "cupy": lambda n: 20_000 + 0.0002 * n**3,
    "cupy with transfers": lambda n: 40_000 + 0.0002 * n**3 + 1.0 * n**2,
    "transfers only": lambda n: 30_000 + 1.0 * n**2,
}
JITTER = [0.98, 0.99, 1.0, 1.0, 1.01, 1.02, 1.03]


def gpu_entries(reference: dict) -> dict:
    """A full, fresh result for each GPU experiment, as a GPU machine's run would store it."""
    assert len(JITTER) == REPEATS["full"]
    software = next(iter(reference["experiments"].values()))["software"]
    entries = {}
    for experiment in by_id(GPU):
        known = contract(experiment)
        model, work = (MATRICES, lambda n: n**3) if known.unit == "multiply-add" else (ARRAYS, lambda n: n)
        points = []
        for variant in known.variants:
            for n in known.sizes:
                samples = [model[variant](n) / work(n) * j for j in JITTER]
                points.append({"variant": variant, "size": n, "loops": 1, "samples_ns": samples} | summarize(samples))
        entries[experiment.id] = {
            "title": known.title,
            "unit": known.unit,
            "size_unit": known.size_unit,
            "fingerprint": experiment.fingerprint,
            "quick": False,
            "duration_s": 12.0,
            "software": software,
            "points": points,
        }
    return entries


@pytest.fixture(scope="module")
def gpu_project(tmp_path_factory) -> Path:
    """A copy of the project with one more machine: a GPU box, not a reference machine, whose only
    results are the GPU experiments'."""
    project = tmp_path_factory.mktemp("gpu-project")
    for name in ("docs", "snippets", "bench", "results"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "CONTRIBUTING.md", "pyproject.toml"):
        shutil.copy(ROOT / name, project / name)
    reference = json.loads(REFERENCES[0].read_text())
    machine = reference["machine"] | {"name": GPU_MACHINE, "cpu": "A synthetic 16-core CPU", "gpus": [GPU_NAME]}
    data = {"schema_version": reference["schema_version"], "machine": machine, "build": reference["build"]}
    save(data | {"experiments": gpu_entries(reference)}, path_for(GPU_MACHINE, reference["build"], project / "results"))
    return project


@pytest.fixture(scope="module")
def gpu_page(gpu_project) -> str:
    """The GPU page of the site built from that copy with --strict."""
    done = build(gpu_project, gpu_project / "site")
    assert done.returncode == 0, done.stderr
    return (gpu_project / "site/computing-units/gpu/index.html").read_text()


def test_a_gpu_machines_claims_are_judged_there(gpu_project, capsys):
    assert main(["check", *GPU, "--results-dir", str(gpu_project / "results")]) == 0
    out = capsys.readouterr().out
    assert f"on {GPU_MACHINE}" in out and "— holds (not a reference machine)" in out
    assert "FALSE" not in out


def test_the_gpu_page_shows_a_gpu_machines_results(gpu_page):
    page = gpu_page
    assert page.count('<figure class="bim-chart">') == 3, "a chart per operation"
    assert f">{GPU_MACHINE}<" in page, "a panel for the GPU machine"
    assert f"{GPU_NAME} ({GPU_MACHINE})" in page, "the page names the GPU"
    assert "Claims, checked on every reference machine" in page and "× ✓" in page and "× ✗" not in page
    assert "Not measured yet" not in page and "{{" not in page and "bim:stamp" not in page


def test_the_stamp_names_the_gpu(gpu_page):
    stamp = gpu_page[gpu_page.index('admonition-title">Measured on') :]
    assert GPU_MACHINE in stamp[:200]
    assert GPU_NAME in stamp, "the provenance stamp names the GPU that measured"
