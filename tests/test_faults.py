"""The harness under faults (section 3 of the second-machine review): each reproduction ends in a
clear message, and nothing measured is lost. No timing is asserted."""

import json
import os
import subprocess
import sys
import time

import psutil
import pytest

from bench import contract as contract_module
from bench import run as run_module
from bench.__main__ import main
from bench.contract import contract, live
from bench.discover import ROOT, ContractError, Experiment, by_id
from bench.results import load, path_for
from bench.run import interpreter_build
from bench.stats import summarize
from tests.conftest import VECTORIZATION

BUILD = interpreter_build(sys.executable)
STRIDE = "memory/cache_lines"


def test_two_runs_at_once_both_keep_their_results(tmp_path, machine):
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench", "run", eid, "--quick", "--results-dir", str(tmp_path)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        for eid in (VECTORIZATION, STRIDE)
    ]
    assert [r.wait(timeout=120) for r in runs] == [0, 0]
    assert set(load(path_for(machine, BUILD, tmp_path))["experiments"]) == {VECTORIZATION, STRIDE}


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda entry: entry["points"][0]["samples_ns"].__setitem__(0, float("inf")), "samples_ns[0]"),
        (lambda entry: entry["points"][0].__setitem__("variant", "numpy ×2"), "field experiments"),
        (lambda entry: entry["points"].pop(), "which the snippet declares"),
    ],
)
def test_a_bad_experiment_costs_only_itself(tmp_path, machine, monkeypatch, capsys, spoil, message):
    measure_one = run_module.measure_one

    def spoilt(experiment, known, *args, **kwargs):
        entry = measure_one(experiment, known, *args, **kwargs)
        if experiment.id == VECTORIZATION:
            entry["quick"] = False  # checked against the declared sizes, like a full run
            entry["points"] = [p | {"samples_ns": p["samples_ns"] * 3} for p in entry["points"]]
            entry["points"] = [p | summarize(p["samples_ns"]) for p in entry["points"]]
            spoil(entry)
        return entry

    monkeypatch.setattr(run_module, "measure_one", spoilt)
    assert main(["run", VECTORIZATION, STRIDE, "--quick", "--results-dir", str(tmp_path)]) == 1
    assert message in capsys.readouterr().err
    assert list(load(path_for(machine, BUILD, tmp_path))["experiments"]) == [STRIDE]


def test_a_worker_that_dies_costs_only_its_experiment(tmp_path, machine, monkeypatch, capsys):
    worker = run_module._worker

    def dying(command, folder, timeout, large):
        if VECTORIZATION in command:
            command = [sys.executable, "-c", "import os, sys; sys.stderr.write('gone\\n'); os._exit(7)"]
        worker(command, folder, timeout, large)

    monkeypatch.setattr(run_module, "_worker", dying)
    assert main(["run", VECTORIZATION, STRIDE, "--quick", "--results-dir", str(tmp_path)]) == 1
    assert "exited with 7:\ngone" in capsys.readouterr().err
    assert list(load(path_for(machine, BUILD, tmp_path))["experiments"]) == [STRIDE]


def test_a_broken_machine_name_stops_the_run_before_measuring(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BIM_MACHINE", "Not A Slug!")
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 2
    assert "field machine.name" in capsys.readouterr().err and not list(tmp_path.iterdir())


def test_a_timeout_kills_the_whole_process_group(tmp_path):
    marker = f"bim-grandchild-{os.getpid()}"
    command = [
        sys.executable,
        "-c",
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', "
        f"'{marker}']); time.sleep(60)",
    ]
    with pytest.raises(run_module.MeasureError, match="took over 1 s"):
        run_module._worker(command, tmp_path, timeout=1, large=False)
    time.sleep(0.2)
    left = [p for p in psutil.process_iter(["cmdline"]) if marker in (p.info["cmdline"] or [])]
    assert left == [], "a grandchild outlived the timeout"


def test_an_interrupt_removes_the_workers_folder(monkeypatch):
    folders = []

    def interrupted(command, folder, timeout, large):
        folders.append(folder)
        (folder / "big.bin").write_bytes(b"\0" * 2**20)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "_worker", interrupted)
    (experiment,) = by_id([VECTORIZATION])
    with pytest.raises(KeyboardInterrupt):
        run_module.measure_one(experiment, contract(experiment), quick=True)
    assert folders and not folders[0].exists()


def test_a_snippet_edited_while_measured_is_not_saved(monkeypatch, tmp_path):
    copy = tmp_path / "vectorization.py"
    copy.write_text((ROOT / "snippets/computing-units/vectorization.py").read_text())
    experiment = Experiment(VECTORIZATION, copy)

    def edit_meanwhile(command, folder, timeout, large):
        (folder / "points.json").write_text(json.dumps({"points": [], "duration_s": 1, "software": {}}))
        copy.write_text(copy.read_text().replace("return 16 * n", "return 16 * n + 1"))

    monkeypatch.setattr(run_module, "_worker", edit_meanwhile)
    with pytest.raises(run_module.MeasureError, match="changed while it was measured"):
        run_module.measure_one(experiment, contract(by_id([VECTORIZATION])[0]), quick=True)


def test_results_are_written_readable_by_everyone(tmp_path, machine):
    assert main(["run", STRIDE, "--quick", "--results-dir", str(tmp_path)]) == 0
    assert path_for(machine, BUILD, tmp_path).stat().st_mode & 0o777 == 0o644


def _snippet(tmp_path, body: str) -> Experiment:
    path = tmp_path / "broken.py"
    path.write_text(body)
    return Experiment("memory/broken", path)


def test_a_snippet_that_hangs_on_import_is_stopped_and_named(tmp_path, monkeypatch):
    monkeypatch.setattr(contract_module, "IMPORT_TIMEOUT_S", 2)
    with pytest.raises(ContractError, match=r"broken\.py: importing it took over 2 s"):
        contract(_snippet(tmp_path, "import time\ntime.sleep(60)\n"))


def test_an_import_error_reports_the_real_exception(tmp_path):
    with pytest.raises(
        ContractError, match=r"broken.py: importing it raised ModuleNotFoundError: .*nowhere.* \(line 2\)"
    ):
        contract(_snippet(tmp_path, "import math\nimport nowhere_to_be_found\n"))


def test_the_template_snippet_keeps_the_contract_and_runs():
    """snippets/_template.py, the starting point CONTRIBUTING.md points to, passes as it stands."""
    template = ROOT / "snippets" / "_template.py"
    snippet = live(Experiment("chapter/template", template))
    data = snippet.module.setup(snippet.contract.quick_sizes[0])
    assert snippet.module.agree({name: f(data) for name, f in snippet.module.VARIANTS.items()})
    done = subprocess.run([sys.executable, str(template), "--quick"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and snippet.contract.title in done.stdout, done.stderr
