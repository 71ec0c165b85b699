"""`python -m bench run`: measure experiments in fresh subprocesses and merge them into results/<machine>.json."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import machine
from bench.claims import claims_of, judge
from bench.discover import ROOT, Experiment, by_id, load, runs_here
from bench.results import RESULTS, SCHEMA_VERSION, path_for, save
from bench.results import load as load_results
from bench.stats import summarize

QUICK_DIR = ROOT / ".bench-quick"  # quick results are for smoke tests and never land in results/
QUICK_TIMEOUT_S = 120
LARGE_TIMEOUT_FACTOR = 10  # opted-in LARGE_SIZES may take far longer than the budget


class MeasureError(Exception):
    """One experiment could not be measured; the others still are."""


def run(ids: list[str], quick: bool, directory: Path | None = None, large: bool = False) -> int:
    """Measure, then write the file once, atomically; an interrupted run leaves the old file as it was."""
    directory = directory or (QUICK_DIR if quick else RESULTS)
    chosen = by_id(ids)
    host = machine.describe()
    target = path_for(host["name"], directory)
    data = load_results(target) if target.exists() else {"schema_version": SCHEMA_VERSION, "experiments": {}}
    failed = []
    for experiment in chosen:
        print(f"{experiment.id}: measuring{' (quick)' if quick else ''}...", flush=True)
        try:
            module = load(experiment)
            entry = measure_one(experiment, module, quick, large)
        except MeasureError as error:
            print(f"{experiment.id}: FAILED: {error}", file=sys.stderr)
            failed.append(experiment.id)
            continue
        data["experiments"][experiment.id] = entry
        _report(experiment, module, entry, quick, large)
    if len(failed) == len(chosen):
        print(f"nothing measured; {target} left as it was", file=sys.stderr)
        return 1
    data["machine"] = host
    save(data, target)
    print(f"wrote {target}")
    return 1 if failed else 0


def measure_one(experiment: Experiment, module, quick: bool, large: bool = False) -> dict:
    """Run bench.measure for one experiment in a fresh interpreter, bounded by twice its budget
    (ten times with the opt-in LARGE_SIZES)."""
    if not runs_here(module):
        raise MeasureError(f"needs {' or '.join(module.PLATFORMS)}; this is {sys.platform}")
    claims_of(module, str(experiment.path))  # a malformed claim fails before spending the budget
    sha_before = experiment.sha256
    timeout = QUICK_TIMEOUT_S if quick else (LARGE_TIMEOUT_FACTOR if large else 2) * module.BUDGET_S
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "points.json"
        command = [sys.executable, "-m", "bench.measure", experiment.id, "--out", str(out)]
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
    if experiment.sha256 != sha_before:
        raise MeasureError(f"{experiment.path} changed while it was measured; run it again")
    software = machine.software()
    return {
        "title": module.TITLE,
        "unit": module.UNIT,
        "size_unit": module.SIZE_UNIT,
        "snippet_sha256": sha_before,
        "quick": quick,
        "duration_s": raw["duration_s"],
        "software": software,
        "points": [point | summarize(point["samples_ns"]) for point in raw["points"]],
    }


def _report(experiment: Experiment, module, entry: dict, quick: bool, large: bool) -> None:
    budget = f"budget {module.BUDGET_S} s"
    over = " — OVER BUDGET" if not (quick or large) and entry["duration_s"] > module.BUDGET_S else ""
    print(f"{experiment.id}: {entry['duration_s']:.1f} s ({budget}){over}")
    if quick:
        return
    for claim in claims_of(module, str(experiment.path)):
        print("  " + judge(claim, entry, module.SIZE_UNIT, experiment.id).describe())
