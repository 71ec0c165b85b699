"""`python -m bench run`: measure experiments in fresh subprocesses into results/<machine>.<build>.json,
this machine's file for the interpreter that measured.

Nothing measured is lost to a fault elsewhere: each experiment is validated as soon as it is
measured and saved on its own, under a lock, merged into the file as it is on disk then (so two
runs at once keep both); a bad experiment costs only itself. The worker runs in a process group
of its own, in a temporary folder the harness owns: a timeout, Ctrl-C or SIGTERM stops the whole
group and removes the folder. An experiment whose snippet NEEDS hardware this machine lacks (a
GPU) is skipped with the worker's reason, and what is stored for it stays.
"""

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import machine, summary
from bench.check import judge_all, report
from bench.contract import Contract, contract
from bench.discover import ROOT, ContractError, Experiment, by_id
from bench.results import RESULTS, SCHEMA_VERSION, ResultsError, files, path_for, save, validate
from bench.results import load as load_results
from bench.stats import summarize
from bench.suite import Machine, Suite, conforms

QUICK_DIR = ROOT / ".bench-quick"  # quick results are for smoke tests and never land in results/
QUICK_TIMEOUT_S = 120
LARGE_TIMEOUT_FACTOR = 10  # opted-in LARGE_SIZES may take far longer than the budget


class MeasureError(Exception):
    """One experiment could not be measured; the others still are."""


class Unavailable(Exception):
    """This machine lacks what the experiment needs, as its unavailable() said: skipped, not failed."""


def run(
    ids: list[str],
    quick: bool,
    directory: Path | None = None,
    large: bool = False,
    python: str | None = None,
    summary_path: Path | None = None,
):
    """Measure each experiment and save it as soon as it is measured; exit status 1 if any failed,
    each failure also appended to the summary file, where one is given."""
    directory = directory or (QUICK_DIR if quick else RESULTS)
    python = python or sys.executable
    chosen = by_id(ids)
    host = machine.describe()
    host["name"] = machine.distinct_name(host, _stored_machines(directory))
    build = interpreter_build(python)
    target = path_for(host["name"], build, directory)
    _fail_fast(host, build, target)
    failed, measured = [], []
    with _stopped_by_sigterm():
        for experiment in chosen:
            print(f"{experiment.id}: measuring{' (quick)' if quick else ''} with {build}...", flush=True)
            try:
                known = contract(experiment)
                entry = measure_one(experiment, known, quick, large, python)
                _save(entry, experiment, known, host, build, target)
            except Unavailable as reason:
                print(f"skipped {experiment.id}: {reason}", flush=True)
                continue
            except (MeasureError, ContractError, ResultsError) as error:
                print(f"{experiment.id}: FAILED: {error}", file=sys.stderr)
                failed.append([experiment.id, str(error)])
                continue
            measured.append(experiment)
            _report_time(experiment, known, entry, quick, large)
    summary.write(
        summary_path,
        f"Measured with {build} on {host['name']}",
        ["experiment", "why it failed"],
        failed,
        f"Every experiment measured: {len(measured)}.",
    )
    if not measured:
        print(f"nothing measured; {target} left as it was", file=sys.stderr if failed else sys.stdout)
        return 1 if failed else 0
    print(f"wrote {target}")
    if not quick:
        _report_claims(measured, directory, target)
    return 1 if failed else 0


def machine_name_here(directory: Path = RESULTS) -> str:
    """The name `run` stores this machine's results under in that folder (for a workflow to pass on)."""
    host = machine.describe()
    return machine.distinct_name(host, _stored_machines(directory))


def interpreter_build(python: str) -> str:
    """The build of the interpreter that will measure (cpython-3.13, cpython-3.14t), asked of it."""
    done = subprocess.run([python, "-m", "bench.software"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise ResultsError(f"{python} cannot measure here (it needs numpy and numexpr):\n{done.stderr.strip()}")
    return done.stdout.strip()


def measure_one(experiment: Experiment, known: Contract, quick: bool, large: bool = False, python=sys.executable):
    """Run bench.measure for one experiment in a fresh interpreter, bounded by twice its budget
    (ten times with the opt-in LARGE_SIZES); the entry it returns is not yet validated. Unavailable
    where that interpreter finds the machine lacks what the snippet NEEDS (a GPU): it asks there."""
    if not known.runs_here:
        raise MeasureError(f"needs {' or '.join(known.platforms)}; this is {sys.platform}")
    before = _fingerprint_now(experiment)
    timeout = QUICK_TIMEOUT_S if quick else (LARGE_TIMEOUT_FACTOR if large else 2) * known.budget_s
    folder = Path(tempfile.mkdtemp(prefix="bim-measure-"))
    try:
        out = folder / "points.json"
        # Started by -c, not -m: a child a snippet spawns (or forks from a forkserver) imports the
        # main module again, and with -m that would be the harness, paid for in every child.
        command = [python, "-c", "from bench.measure import main; main()", experiment.id, "--out", str(out)]
        command += ["--quick"] * quick + ["--large"] * large
        _worker(command, folder, timeout, large)
        try:
            raw = json.loads(out.read_text(), parse_constant=_refuse)
        except (OSError, ValueError) as error:
            raise MeasureError(f"the measuring process left no usable results ({error})") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if "unavailable" in raw:
        raise Unavailable(raw["unavailable"])
    if _fingerprint_now(experiment) != before:
        raise MeasureError(f"{experiment.path} changed while it was measured; run it again")
    return {
        "title": known.title,
        "unit": known.unit,
        "size_unit": known.size_unit,
        "fingerprint": before,
        "quick": quick,
        "duration_s": raw["duration_s"],
        "software": raw["software"],
        "points": [point | summarize(point["samples_ns"]) for point in raw["points"]],
    }


def _worker(command: list[str], folder: Path, timeout: float, large: bool) -> None:
    """The worker in a session (process group) of its own, its temporary files in `folder`; on a
    timeout or an interrupt the whole group is killed, grandchildren included."""
    log = folder / "stderr.txt"
    with open(log, "w") as stderr:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=os.environ | {"TMPDIR": str(folder)},
            start_new_session=True,
        )
        try:
            code = worker.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise MeasureError(
                f"took over {timeout:g} s ({'ten times' if large else 'twice'} BUDGET_S): "
                "shrink SIZES, or raise BUDGET_S and say why"
            ) from None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-8:])
        raise MeasureError(f"the measuring process exited with {code}:\n{tail}")


def _save(entry: dict, experiment: Experiment, known: Contract, host: dict, build: str, target: Path) -> None:
    """Validate one experiment's entry, then merge it into the file as it is on disk now, under a
    lock on the folder: another run's entries, saved meanwhile, stay."""
    target.parent.mkdir(parents=True, exist_ok=True)
    alone = {"schema_version": SCHEMA_VERSION, "machine": host, "build": build, "experiments": {experiment.id: entry}}
    validate(alone, target)
    if not entry["quick"]:
        conforms(Machine(target, alone, reference=False), experiment, known)
    with _locked(target.parent):
        data = load_results(target) if target.exists() else {"schema_version": SCHEMA_VERSION, "experiments": {}}
        data["machine"], data["build"] = host, build
        data["experiments"][experiment.id] = entry
        save(data, target)


@contextlib.contextmanager
def _locked(folder: Path):
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def _stopped_by_sigterm():
    """SIGTERM unwinds like Ctrl-C, so that the worker's group is killed and its folder removed."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _fail_fast(host: dict, build: str, target: Path) -> None:
    """A bad machine name or a broken results file is reported before anything is measured."""
    validate({"schema_version": SCHEMA_VERSION, "machine": host, "build": build, "experiments": {}}, target)
    if target.exists():
        load_results(target)


def _stored_machines(directory: Path) -> dict[str, list[dict]]:
    """Machine name -> the machine record of each stored file of that name."""
    stored: dict[str, list[dict]] = {}
    for path in files(directory) if directory.is_dir() else []:
        data = load_results(path)
        stored.setdefault(data["machine"]["name"], []).append(data["machine"])
    return stored


def _fingerprint_now(experiment: Experiment) -> str:
    """The fingerprint of the snippet as it is on disk at this moment (not the one cached at start)."""
    return Experiment(experiment.id, experiment.path).fingerprint


def _refuse(name: str):
    raise ValueError(f"{name} is not a number a result may hold")


def _report_time(experiment: Experiment, known: Contract, entry: dict, quick: bool, large: bool) -> None:
    budget = f"budget {known.budget_s:g} s"
    over = " — OVER BUDGET" if not (quick or large) and entry["duration_s"] > known.budget_s else ""
    print(f"{experiment.id}: {entry['duration_s']:.1f} s ({budget}){over}")


def _report_claims(measured: list[Experiment], directory: Path, target: Path) -> None:
    """Each claim on this machine beside the reference machines; a reader's machine is welcome."""
    suite = Suite.load(directory)
    (mine,) = [m for m in suite.machines if m.path == target]
    for experiment in measured:
        print("\n".join(report(judge_all(suite, experiment, contract(experiment), also=(mine,)))))
    if mine.reference:
        return
    if mine in suite.shown:
        print(
            f"\n{target.name} is your machine's: `make serve` shows it beside the reference machines.\n"
            "To add it to the site, open a pull request with that file (see CONTRIBUTING.md)."
        )
    else:
        print(f"\n{target.name} holds another interpreter build: a page shows it with builds_table().")
