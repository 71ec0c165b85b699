"""The harness pipeline: list, run (quick, into a temporary folder), check, compare and migrate,
on the reference machines and beside them. Nothing here asserts a timing; it checks what gets
written, kept and reported."""

import hashlib
import json
import subprocess
import sys

import pytest

from bench import run as run_module
from bench.__main__ import main
from bench.contract import contract
from bench.discover import ROOT, by_id, experiments
from bench.measure import REPEATS
from bench.results import load, path_for, save
from bench.run import interpreter_build
from bench.stats import summarize
from tests.conftest import REFERENCES, VECTORIZATION, doctor

BUILD = interpreter_build(sys.executable)
FALSE_AT_1E4 = "numpy is at least 20× faster than python loop at half of L2"


def test_list_prints_every_experiment(capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == [e.id for e in experiments()]


def test_quick_run_writes_a_valid_file_for_this_build(tmp_path, machine):
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 0
    data = load(tmp_path / f"{machine}.{BUILD}.json")
    entry = data["experiments"][VECTORIZATION]
    assert entry["quick"] is True and data["build"] == BUILD
    assert data["machine"]["logical_cores"] >= 1 and "L1d" in data["machine"]["caches"]
    for key in ("python", "numpy", "numexpr", "free_threaded", "commit", "date", "simd"):
        assert key in entry["software"]
    declared = contract(by_id([VECTORIZATION])[0])
    expected = {(v, n) for v in declared.variants for n in declared.quick_sizes}
    assert {(p["variant"], p["size"]) for p in entry["points"]} == expected
    for point in entry["points"]:
        assert len(point["samples_ns"]) == REPEATS["quick"]
        assert point["median_ns"] == summarize(point["samples_ns"])["median_ns"]


def _mine(tmp_path, machine, reference) -> dict:
    """The reference results stored as this (test) machine's own file, identity included."""
    from bench.machine import describe

    reference["machine"] = describe() | {"name": machine}
    reference["build"] = BUILD
    save(reference, path_for(machine, BUILD, tmp_path))
    return reference


def test_subset_run_keeps_other_entries_and_other_machines(tmp_path, machine, reference):
    kept = _mine(tmp_path, machine, reference)["experiments"]["memory/cache_lines"]
    other = path_for("other-machine", BUILD, tmp_path)
    reference["machine"]["name"] = "other-machine"
    save(reference, other)
    other_before = other.read_bytes()

    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 0
    after = load(path_for(machine, BUILD, tmp_path))
    assert after["experiments"]["memory/cache_lines"] == kept
    assert after["experiments"][VECTORIZATION]["quick"] is True
    assert other.read_bytes() == other_before


def test_a_different_machine_with_the_same_name_gets_its_own_file(tmp_path, machine, reference):
    stored = _mine(tmp_path, machine, reference)
    stored["machine"]["cpu"] = "Another CPU with the same slug"
    stored["machine"]["caches"]["L3"] = 2 * (stored["machine"]["caches"]["L3"] or 1)
    theirs = path_for(machine, BUILD, tmp_path)
    save(stored, theirs)
    before = theirs.read_bytes()

    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 0
    assert theirs.read_bytes() == before
    (mine,) = [p for p in tmp_path.glob(f"{machine}-*.{BUILD}.json")]
    assert load(mine)["machine"]["cpu"] != stored["machine"]["cpu"]


def test_quick_run_never_writes_into_results(machine, monkeypatch, tmp_path):
    monkeypatch.setattr(run_module, "QUICK_DIR", tmp_path / "quick")
    assert main(["run", VECTORIZATION, "--quick"]) == 0
    assert path_for(machine, BUILD, tmp_path / "quick").exists()
    assert not path_for(machine, BUILD).exists()


def test_failed_measurement_leaves_the_file_alone(tmp_path, machine, reference, monkeypatch, capsys):
    _mine(tmp_path, machine, reference)
    mine = path_for(machine, BUILD, tmp_path)
    before = mine.read_bytes()
    monkeypatch.setattr(run_module, "QUICK_TIMEOUT_S", 0.01)
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 1
    assert "twice BUDGET_S" in capsys.readouterr().err
    assert mine.read_bytes() == before


def test_run_refuses_to_overwrite_a_corrupt_file(tmp_path, machine, capsys):
    mine = path_for(machine, BUILD, tmp_path)
    mine.write_text('{"schema_version": 2, "machine": ')
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 2
    assert f"{mine.name}: not valid JSON" in capsys.readouterr().err
    assert mine.read_text() == '{"schema_version": 2, "machine": '


def test_unknown_experiment_is_named(capsys):
    assert main(["run", "memory/nope", "--quick"]) == 2
    assert "unknown experiment memory/nope" in capsys.readouterr().err


def test_check_passes_on_committed_results(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "every claim holds on every reference machine" in out
    for path in REFERENCES:
        assert path.name.split(".")[0] in out


def test_check_names_a_claim_false_on_one_machine_only(results_dir, capsys):
    amd = REFERENCES[1]
    data = doctor(json.loads(amd.read_text()), VECTORIZATION, "numpy", 10_000, ("python loop", 10_000), 2)
    save(data, results_dir / amd.name)
    assert main(["check", VECTORIZATION, "--results-dir", str(results_dir)]) == 1
    out = capsys.readouterr().out
    assert f"FALSE computing-units/vectorization numpy-beats-the-loop: {FALSE_AT_1E4}" in out
    machine = data["machine"]["name"]
    assert f"PROBLEM false claim on {machine}: {FALSE_AT_1E4}: measured 0.50×" in out
    assert f"on {REFERENCES[0].name.split('.')[0]} (10,000 elements vs 10,000 elements) — holds" in out


def test_check_lists_a_result_stale_on_one_machine_and_passes(results_dir, capsys):
    amd = REFERENCES[1]
    data = json.loads(amd.read_text())
    data["experiments"][VECTORIZATION]["fingerprint"] = "0" * 64
    save(data, results_dir / amd.name)
    assert main(["check", VECTORIZATION, "--results-dir", str(results_dir)]) == 0
    out = capsys.readouterr().out
    assert f"NOT RE-MEASURED {VECTORIZATION} on {data['machine']['name']}" in out
    assert f"run `make bench ONLY={VECTORIZATION}` there" in out


def test_check_fails_when_no_reference_machine_is_fresh(results_dir, capsys):
    for path in REFERENCES:
        data = json.loads(path.read_text())
        data["experiments"][VECTORIZATION]["fingerprint"] = "0" * 64
        save(data, results_dir / path.name)
    assert main(["check", VECTORIZATION, "--results-dir", str(results_dir)]) == 1
    assert f"fresh on no reference machine: run `make bench ONLY={VECTORIZATION}`" in capsys.readouterr().out


def test_a_readers_machine_with_false_claims_is_shown_not_failed(results_dir, reference, capsys):
    reference["machine"]["name"] = "reader-box-8c"
    doctor(reference, VECTORIZATION, "numpy", 10_000, ("python loop", 10_000), 2)
    save(reference, path_for("reader-box-8c", reference["build"], results_dir))
    assert main(["check", VECTORIZATION, "--results-dir", str(results_dir)]) == 0
    assert "0.50× on reader-box-8c (10,000 elements vs 10,000 elements) — FALSE (not a reference machine)" in (
        capsys.readouterr().out
    )


def test_run_shows_a_readers_verdicts_and_how_to_contribute(results_dir, reference, capsys):
    reference["machine"]["name"] = "reader-box-8c"
    target = path_for("reader-box-8c", reference["build"], results_dir)
    save(reference, target)
    run_module._report_claims(by_id([VECTORIZATION]), results_dir, target)
    out = capsys.readouterr().out
    assert "on reader-box-8c" in out and "open a pull request with that file" in out


def test_check_of_one_experiment_checks_only_it(capsys):
    assert main(["check", "memory/cache_lines"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("ok", "FALSE"))]
    assert lines and all("memory/cache_lines " in line for line in lines)


def test_compare_shows_both_files(results_dir, capsys):
    amd = REFERENCES[1]
    slow = doctor(json.loads(amd.read_text()), VECTORIZATION, "numpy", 10_000, ("python loop", 10_000), 2)
    save(slow, results_dir / amd.name)
    assert main(["compare", str(REFERENCES[0]), str(results_dir / amd.name)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(FALSE_AT_1E4))
    assert "0.50× FALSE" in row and " ok" in row


def test_migrate_keeps_results_whose_snippet_is_found(tmp_path, reference):
    """A schema-1 file: its result of the snippet as it is stays fresh; one from a lost version is stale."""
    old = json.loads(json.dumps(reference))
    old["schema_version"] = 1
    del old["build"]
    current = hashlib.sha256((ROOT / "snippets/memory/cache_lines.py").read_bytes()).hexdigest()
    for eid, entry in old["experiments"].items():
        entry["snippet_sha256"] = current if eid == "memory/cache_lines" else "f" * 64
        del entry["fingerprint"]
    source = tmp_path / f"{old['machine']['name']}.json"
    source.write_text(json.dumps(old))
    out = tmp_path / "results"
    assert main(["migrate", str(source), "--results-dir", str(out)]) == 0
    new = load(path_for(old["machine"]["name"], reference["build"], out))
    experiment = {e.id: e for e in experiments()}
    assert new["experiments"]["memory/cache_lines"]["fingerprint"] == experiment["memory/cache_lines"].fingerprint
    assert new["experiments"][VECTORIZATION]["fingerprint"] == "f" * 64
    assert source.exists(), "a file outside the results folder is left where it was"


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda e: e["points"].append(e["points"][0] | {"variant": "made up"}), "a point ('made up'"),
        (lambda e: e["points"].pop(), "which the snippet declares"),
        (lambda e: e.__setitem__("unit", "byte"), "unit is 'byte' but the snippet says 'element'"),
        (
            lambda e: [
                p.update({"samples_ns": p["samples_ns"][:2]} | summarize(p["samples_ns"][:2])) for p in e["points"]
            ],
            "2 samples, fewer than the 7 the harness takes",
        ),
    ],
)
def test_a_result_must_be_what_its_snippet_declares(results_dir, capsys, spoil, message):
    data = json.loads(REFERENCES[1].read_text())
    spoil(data["experiments"][VECTORIZATION])
    save(data, results_dir / REFERENCES[1].name)
    assert main(["check", "--results-dir", str(results_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{REFERENCES[1].name}: field experiments.{VECTORIZATION}" in err and message in err


def test_the_measuring_worker_imports_only_what_make_bench_python_installs():
    """`make bench PYTHON=python3.13` measures from a venv holding numpy, numexpr, pyperf and psutil
    alone (the Makefile's awk filter): the worker must import nothing else at module level."""
    allowed = "{'numpy', 'numexpr', 'pyperf', 'psutil', 'bench'}"
    code = (
        "import sys\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        top = name.split('.')[0]\n"
        f"        if not top.startswith('_') and top not in sys.stdlib_module_names and top not in {allowed}:\n"
        "            raise ImportError(f'the measuring venv has no {top}')\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "import bench.measure\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
