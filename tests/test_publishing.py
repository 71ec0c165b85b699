"""What the publishing workflow relies on, run here since Actions cannot: the runner named in
BIM_RUNNER is a reference machine, a false claim or a failed measurement is named in the job
summary, and the claim history is appended once per measurement and charted with its changes."""

import json

import pytest

from bench import history
from bench import run as run_module
from bench.__main__ import main
from bench.config import ConfigError, config
from bench.results import load, path_for, save
from bench.site import Site
from tests.conftest import REFERENCES, VECTORIZATION, doctor

RUNNER = "runner-cpu-4c"
FALSE_CLAIM = ("numpy", 10_000, ("python loop", 10_000), 1.0)  # numpy as slow as the loop


@pytest.fixture
def runner(monkeypatch):
    """BIM_RUNNER set as the publishing workflow sets it, the configuration read again."""
    monkeypatch.setenv("BIM_RUNNER", RUNNER)
    config.cache_clear()
    yield RUNNER
    config.cache_clear()


def a_runner(results_dir, reference: dict) -> dict:
    """The first reference machine's results, as a runner of another name would store them."""
    reference["machine"]["name"] = RUNNER
    save(reference, path_for(RUNNER, config().reference_build, results_dir))
    return reference


def test_a_machine_not_named_is_no_reference(results_dir, reference):
    a_runner(results_dir, doctor(reference, VECTORIZATION, *FALSE_CLAIM))
    assert main(["check", VECTORIZATION, "--results-dir", str(results_dir)]) == 0, "not a reference: not a problem"


def test_the_runner_is_a_reference_machine_for_its_build(runner, results_dir, reference, capsys, tmp_path):
    a_runner(results_dir, doctor(reference, VECTORIZATION, *FALSE_CLAIM))
    summary = tmp_path / "summary.md"
    assert RUNNER in config().reference_machines
    assert main(["check", VECTORIZATION, "--results-dir", str(results_dir), "--summary", str(summary)]) == 1
    assert f"PROBLEM false claim on {RUNNER}" in capsys.readouterr().out
    table = summary.read_text()
    assert "| experiment | claim or problem | machine | measured |" in table
    row = next(line for line in table.splitlines() if "numpy is at least" in line and RUNNER in line)
    assert row.startswith(f"| {VECTORIZATION} |") and row.endswith(" 1.00× |")


def test_a_runner_without_results_stops_the_check(runner, capsys):
    assert main(["check", VECTORIZATION]) == 2
    assert f"reference machine {RUNNER} has no results" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["Runner 1", "../x", "a" * 64])
def test_a_runner_name_that_is_no_machine_name_is_refused(monkeypatch, name):
    monkeypatch.setenv("BIM_RUNNER", name)
    with pytest.raises(ConfigError, match="python -m bench machine"):
        config.__wrapped__()


def test_every_claim_holding_says_so_in_the_summary(tmp_path):
    summary = tmp_path / "summary.md"
    assert main(["check", VECTORIZATION, "--summary", str(summary)]) == 0
    assert summary.read_text().startswith("### Claims\n\nEvery claim holds on every reference machine")


def test_a_failed_measurement_is_named_in_the_summary(tmp_path, machine, monkeypatch):
    def failing(experiment, *args, **kwargs):
        raise run_module.MeasureError("the measuring process exited with 7:\ngone | away")

    monkeypatch.setattr(run_module, "measure_one", failing)
    summary = tmp_path / "summary.md"
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path), "--summary", str(summary)]) == 1
    text = summary.read_text()
    assert f"| {VECTORIZATION} | the measuring process exited with 7: gone \\| away |" in text


def test_this_machine_is_named_as_run_names_it(monkeypatch, capsys):
    monkeypatch.setenv("BIM_MACHINE", "test-box")
    assert main(["machine"]) == 0
    assert capsys.readouterr().out == "test-box\n"


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> str:
    """history.jsonl as `python -m bench history` first writes it from the committed results."""
    folder = tmp_path_factory.mktemp("history")
    assert main(["history", str(folder)]) == 0
    return (folder / history.FILE).read_text()


def test_history_is_appended_once_per_measurement(stored, tmp_path, capsys):
    records = [json.loads(line) for line in stored.splitlines()]
    keys = {(r["experiment"], r["machine"], r["build"], r["date"]) for r in records}
    assert len(keys) == len(records), "a measurement recorded twice"
    vectorization = {r["machine"] for r in records if r["experiment"] == VECTORIZATION and r["ratios"]}
    assert vectorization == {load(p)["machine"]["name"] for p in REFERENCES}
    (tmp_path / history.FILE).write_text(stored)
    assert main(["history", str(tmp_path)]) == 0
    assert "0 new records" in capsys.readouterr().out
    assert (tmp_path / history.FILE).read_text() == stored


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2"),
        ('{"experiment": "x/y"}', "exactly the fields"),
        ("RECORD", "field cpu is not plain text"),
        ("RATIO", "field ratios maps claim names to positive numbers"),
    ],
)
def test_a_bad_history_line_names_the_file_and_line(stored, tmp_path, line, message):
    good = stored.splitlines()[0]
    record = json.loads(good)
    if line == "RECORD":
        line = json.dumps(record | {"cpu": "<script>alert(1)</script>"})
    elif line == "RATIO":
        line = json.dumps(record | {"ratios": {"x": float("nan")}})
    (tmp_path / history.FILE).write_text(f"{good}\n{line}\n")
    with pytest.raises(history.HistoryError, match=message) as caught:
        history.load(tmp_path)
    assert "line 2" in str(caught.value) and "bench-data" in str(caught.value)


def test_the_chart_marks_a_new_python_numpy_or_runner_cpu(stored, tmp_path, monkeypatch):
    """Three earlier runner measurements on two CPUs and two Pythons, stored on bench-data: the
    page charts them in one series beside the committed results, with each change marked."""
    committed = json.loads(stored.splitlines()[0])
    eid = committed["experiment"]
    runs = [
        ("2026-01-05T00:00:00Z", "amd-epyc-7763-4c", "AMD EPYC 7763", "3.11.7"),
        ("2026-02-02T00:00:00Z", "amd-epyc-7763-4c", "AMD EPYC 7763", "3.11.9"),
        ("2026-03-02T00:00:00Z", "intel-xeon-8370c-4c", "Intel Xeon 8370C", "3.11.9"),
    ]
    lines = [
        json.dumps(committed | {"series": history.RUNNER_SERIES, "date": d, "machine": m, "cpu": c, "python": p})
        for d, m, c, p in runs
    ]
    (tmp_path / history.FILE).write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("BIM_HISTORY", str(tmp_path))
    site = Site()
    block = site._history([eid])
    count = sum(1 for r in site.history if r["experiment"] == eid)
    assert count > len(runs) and f"{eid}: {count} measurements" in block
    assert block.count(f">{history.RUNNER_SERIES}<") == 1, "the runner's CPUs make one series"
    assert ">Python changed<" in block and ">CPU changed<" in block
    assert block.lstrip().startswith('<details class="note bim-history">') and "{{" not in block


def test_without_a_history_the_committed_results_make_one_point(monkeypatch):
    monkeypatch.delenv("BIM_HISTORY", raising=False)
    site = Site()
    records = [r for r in site.history if r["experiment"] == VECTORIZATION]
    assert {r["machine"] for r in records} == {json.loads(p.read_text())["machine"]["name"] for p in REFERENCES}
    assert f"{VECTORIZATION}: {len(records)} measurements" in site._history([VECTORIZATION])
