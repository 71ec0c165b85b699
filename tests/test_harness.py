"""The harness pipeline: list, run (quick, into a temporary folder), check and compare.
Nothing here asserts a timing; it checks what gets written, kept and reported."""

import shutil

import pytest

from bench import run as run_module
from bench.__main__ import main
from bench.discover import by_id, experiments
from bench.discover import load as load_snippet
from bench.measure import REPEATS
from bench.results import PUBLISHED, load, save
from bench.stats import summarize

VECTORIZATION = "computing-units/vectorization"


@pytest.fixture
def machine(monkeypatch):
    monkeypatch.setenv("BIM_MACHINE", "test-box")
    return "test-box"


def test_list_prints_every_experiment(capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == [e.id for e in experiments()]


def test_quick_run_writes_a_valid_file(tmp_path, machine):
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 0
    data = load(tmp_path / f"{machine}.json")
    entry = data["experiments"][VECTORIZATION]
    assert entry["quick"] is True
    assert data["machine"]["logical_cores"] >= 1 and "L1d" in data["machine"]["caches"]
    for key in ("python", "numpy", "numexpr", "free_threaded", "commit", "date", "simd"):
        assert key in entry["software"]
    module = load_snippet(by_id([VECTORIZATION])[0])
    expected = {(v, n) for v in module.VARIANTS for n in module.QUICK_SIZES}
    assert {(p["variant"], p["size"]) for p in entry["points"]} == expected
    for point in entry["points"]:
        assert len(point["samples_ns"]) == REPEATS["quick"]
        assert point["median_ns"] == summarize(point["samples_ns"])["median_ns"]


def test_subset_run_keeps_other_entries_and_other_machines(tmp_path, machine, published):
    mine = tmp_path / f"{machine}.json"
    published["machine"]["name"] = machine
    published["experiments"]["memory/kept"] = published["experiments"][VECTORIZATION]
    save(published, mine)
    other = tmp_path / "other-machine.json"
    shutil.copy(PUBLISHED, other)
    other_before = other.read_bytes()

    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 0
    after = load(mine)
    assert after["experiments"]["memory/kept"] == published["experiments"][VECTORIZATION]
    assert after["experiments"][VECTORIZATION]["quick"] is True
    assert other.read_bytes() == other_before


def test_quick_run_never_writes_into_results(machine, monkeypatch, tmp_path):
    monkeypatch.setattr(run_module, "QUICK_DIR", tmp_path / "quick")
    assert main(["run", VECTORIZATION, "--quick"]) == 0
    assert (tmp_path / "quick" / f"{machine}.json").exists()
    assert not (PUBLISHED.parent / f"{machine}.json").exists()


def test_failed_measurement_leaves_the_file_alone(tmp_path, machine, published, monkeypatch, capsys):
    mine = tmp_path / f"{machine}.json"
    published["machine"]["name"] = machine
    save(published, mine)
    before = mine.read_bytes()
    monkeypatch.setattr(run_module, "QUICK_TIMEOUT_S", 0.01)
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 1
    assert "twice BUDGET_S" in capsys.readouterr().err
    assert mine.read_bytes() == before


def test_run_refuses_to_overwrite_a_corrupt_file(tmp_path, machine, capsys):
    mine = tmp_path / f"{machine}.json"
    mine.write_text('{"schema_version": 1, "machine": ')
    assert main(["run", VECTORIZATION, "--quick", "--results-dir", str(tmp_path)]) == 2
    assert f"{machine}.json: not valid JSON" in capsys.readouterr().err
    assert mine.read_text() == '{"schema_version": 1, "machine": '


def test_unknown_experiment_is_named(capsys):
    assert main(["run", "memory/nope", "--quick"]) == 2
    assert "unknown experiment memory/nope" in capsys.readouterr().err


def test_check_passes_on_published_results(capsys):
    assert main(["check"]) == 0
    assert "every claim holds" in capsys.readouterr().out


def test_check_names_a_false_claim_with_its_value(tmp_path, published, capsys):
    target = _with_slow_numpy(tmp_path, published)
    assert main(["check", str(target)]) == 1
    out = capsys.readouterr().out
    assert "FALSE computing-units/vectorization: numpy at 10,000 elements is at least 20× faster" in out
    assert "measured 0.50×" in out


def test_check_flags_a_stale_result(tmp_path, published, capsys):
    published["experiments"][VECTORIZATION]["snippet_sha256"] = "0" * 64
    target = tmp_path / PUBLISHED.name
    save(published, target)
    assert main(["check", str(target)]) == 1
    assert f"run `make bench ONLY={VECTORIZATION}`" in capsys.readouterr().out


def test_compare_shows_both_machines(tmp_path, published, capsys):
    slow = _with_slow_numpy(tmp_path, published)
    assert main(["compare", str(PUBLISHED), str(slow)]) == 0
    out = capsys.readouterr().out
    assert published["machine"]["name"] in out.splitlines()[0]
    row = next(line for line in out.splitlines() if line.startswith("numpy at 10,000 elements is at least 20×"))
    assert "0.50× FALSE" in row and " ok" in row


def _with_slow_numpy(tmp_path, published):
    """A copy of the published results in which numpy took twice the Python loop's time at 10**4."""
    points = published["experiments"][VECTORIZATION]["points"]
    loop = next(p for p in points if (p["variant"], p["size"]) == ("python loop", 10_000))
    numpy = next(p for p in points if (p["variant"], p["size"]) == ("numpy", 10_000))
    numpy["samples_ns"] = [2 * s for s in loop["samples_ns"]]
    numpy.update(summarize(numpy["samples_ns"]))
    target = tmp_path / "slow" / PUBLISHED.name
    save(published, target)
    return target
