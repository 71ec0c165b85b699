"""`python -m bench check`: every declared claim against the stored results; also what the build relies on."""

from pathlib import Path

from bench.claims import Verdict, claims_of, judge
from bench.discover import Experiment, experiments, load
from bench.results import load as load_results


class StaleError(Exception):
    """A result is missing, quick-only, or was measured from a different version of its snippet."""


def fresh_entry(experiment: Experiment, data: dict, path: Path) -> dict:
    """The experiment's stored entry, provided it was measured in full from the snippet as it is now."""
    entry = data["experiments"].get(experiment.id)
    fix = f"run `{experiment.rerun_command}`"
    if entry is None:
        raise StaleError(f"{path.name} has no result for {experiment.id}: {fix}")
    if entry["quick"]:
        raise StaleError(f"{path.name} holds only a quick result for {experiment.id}: {fix}")
    if entry["snippet_sha256"] != experiment.sha256:
        raise StaleError(f"{experiment.path.name} changed after {experiment.id} was measured: {fix}")
    return entry


def verdicts(experiment: Experiment, data: dict, path: Path) -> list[Verdict]:
    module = load(experiment)
    entry = fresh_entry(experiment, data, path)
    return [judge(c, entry, module.SIZE_UNIT, experiment.id) for c in claims_of(module, str(experiment.path))]


def check(path: Path) -> int:
    """Print each claim's verdict; exit status 1 if any claim is false or any result stale or missing."""
    data = load_results(path)
    problems = 0
    for experiment in experiments():
        try:
            found = verdicts(experiment, data, path)
        except StaleError as error:
            print(f"STALE {error}")
            problems += 1
            continue
        for verdict in found:
            print(("ok    " if verdict.holds else "FALSE ") + f"{experiment.id}: {verdict.describe()}")
            problems += not verdict.holds
    print(f"{problems} problem(s) in {path}" if problems else f"every claim holds in {path}")
    return 1 if problems else 0
