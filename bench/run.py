"""`python -m bench run`: measure experiments in fresh subprocesses and merge them into
results/<machine>.<build>.json, this machine's file for the interpreter that measured."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import machine
from bench.check import judge_all, report
from bench.claims import claims_of
from bench.discover import ROOT, Experiment, by_id, load, runs_here
from bench.fingerprint import fingerprint
from bench.results import RESULTS, SCHEMA_VERSION, ResultsError, files, path_for, save
from bench.results import load as load_results
from bench.stats import summarize
from bench.suite import Suite

QUICK_DIR = ROOT / ".bench-quick"  # quick results are for smoke tests and never land in results/
QUICK_TIMEOUT_S = 120
LARGE_TIMEOUT_FACTOR = 10  # opted-in LARGE_SIZES may take far longer than the budget


class MeasureError(Exception):
    """One experiment could not be measured; the others still are."""


def run(ids: list[str], quick: bool, directory: Path | None = None, large: bool = False, python: str | None = None):
    """Measure, then write the file once, atomically; an interrupted run leaves the old file as it was."""
    directory = directory or (QUICK_DIR if quick else RESULTS)
    python = python or sys.executable
    chosen = by_id(ids)
    host = machine.describe()
    host["name"] = machine.distinct_name(host, _stored_machines(directory))
    build = interpreter_build(python)
    target = path_for(host["name"], build, directory)
    data = load_results(target) if target.exists() else {"schema_version": SCHEMA_VERSION, "experiments": {}}
    failed, measured = [], []
    for experiment in chosen:
        print(f"{experiment.id}: measuring{' (quick)' if quick else ''} with {build}...", flush=True)
        try:
            module = load(experiment)
            entry = measure_one(experiment, module, quick, large, python)
        except MeasureError as error:
            print(f"{experiment.id}: FAILED: {error}", file=sys.stderr)
            failed.append(experiment.id)
            continue
        data["experiments"][experiment.id] = entry
        measured.append(experiment)
        _report_time(experiment, module, entry, quick, large)
    if not measured:
        print(f"nothing measured; {target} left as it was", file=sys.stderr)
        return 1
    data["machine"], data["build"] = host, build
    save(data, target)
    print(f"wrote {target}")
    if not quick:
        _report_claims(measured, directory, target)
    return 1 if failed else 0


def interpreter_build(python: str) -> str:
    """The build of the interpreter that will measure (cpython-3.13, cpython-3.14t), asked of it."""
    done = subprocess.run([python, "-m", "bench.software"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise ResultsError(f"{python} cannot measure here (it needs numpy and numexpr):\n{done.stderr.strip()}")
    return done.stdout.strip()


def measure_one(experiment: Experiment, module, quick: bool, large: bool = False, python: str = sys.executable) -> dict:
    """Run bench.measure for one experiment in a fresh interpreter, bounded by twice its budget
    (ten times with the opt-in LARGE_SIZES)."""
    if not runs_here(module):
        raise MeasureError(f"needs {' or '.join(module.PLATFORMS)}; this is {sys.platform}")
    claims_of(module, str(experiment.path))  # a malformed claim fails before spending the budget
    before = fingerprint(experiment.path.read_text(encoding="utf-8"))
    timeout = QUICK_TIMEOUT_S if quick else (LARGE_TIMEOUT_FACTOR if large else 2) * module.BUDGET_S
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "points.json"
        command = [python, "-m", "bench.measure", experiment.id, "--out", str(out)]
        command += ["--quick"] * quick + ["--large"] * large
        try:
            done = subprocess.run(command, cwd=ROOT, timeout=timeout, stdout=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise MeasureError(
                f"took over {timeout} s ({'ten times' if large else 'twice'} BUDGET_S): "
                "shrink SIZES, or raise BUDGET_S and say why"
            ) from None
        if done.returncode != 0:
            raise MeasureError(f"the measuring process exited with {done.returncode} (its error is above)")
        raw = json.loads(out.read_text())
    if fingerprint(experiment.path.read_text(encoding="utf-8")) != before:
        raise MeasureError(f"{experiment.path} changed while it was measured; run it again")
    return {
        "title": module.TITLE,
        "unit": module.UNIT,
        "size_unit": module.SIZE_UNIT,
        "fingerprint": before,
        "quick": quick,
        "duration_s": raw["duration_s"],
        "software": raw["software"],
        "points": [point | summarize(point["samples_ns"]) for point in raw["points"]],
    }


def _stored_machines(directory: Path) -> dict[str, list[dict]]:
    """Machine name -> the machine record of each stored file of that name."""
    stored: dict[str, list[dict]] = {}
    for path in files(directory) if directory.is_dir() else []:
        data = load_results(path)
        stored.setdefault(data["machine"]["name"], []).append(data["machine"])
    return stored


def _report_time(experiment: Experiment, module, entry: dict, quick: bool, large: bool) -> None:
    budget = f"budget {module.BUDGET_S} s"
    over = " — OVER BUDGET" if not (quick or large) and entry["duration_s"] > module.BUDGET_S else ""
    print(f"{experiment.id}: {entry['duration_s']:.1f} s ({budget}){over}")


def _report_claims(measured: list[Experiment], directory: Path, target: Path) -> None:
    """Each claim on this machine beside the reference machines; a reader's machine is welcome."""
    suite = Suite.load(directory)
    (mine,) = [m for m in suite.machines if m.path == target]
    for experiment in measured:
        print("\n".join(report(judge_all(suite, experiment, also=(mine,)))))
    if mine.reference:
        return
    if mine in suite.shown:
        print(
            f"\n{target.name} is your machine's: `make serve` shows it beside the reference machines.\n"
            "To add it to the site, open a pull request with that file (see CONTRIBUTING.md)."
        )
    else:
        print(f"\n{target.name} holds another interpreter build: a page shows it with builds_table().")
