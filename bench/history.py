"""Each experiment's claim ratios over time, one record per measurement.

The publishing workflow keeps the records in history.jsonl on the bench-data branch (never on main)
and appends each run's with `python -m bench history --append FOLDER`. A build finds them where
BIM_HISTORY points; without it, the committed results alone make a one-point history. A record says
which Python, NumPy and CPU measured, so a chart can mark where they changed.
"""

import itertools
import json
import os
import re
from pathlib import Path

from bench.claims import ClaimError, judge
from bench.contract import contracts
from bench.discover import experiments
from bench.results import MAX_BYTES, ResultsError
from bench.suite import Suite

FILE = "history.jsonl"
RUNNER_SERIES = "publishing runner"  # the runner's records form one series, whatever its CPU
FIELDS = {
    "experiment": r"[a-z0-9-]+/[a-z0-9_-]+",
    "series": r"[a-z0-9][a-z0-9 -]{0,62}",
    "machine": r"[a-z0-9][a-z0-9-]{0,62}",
    "build": r"[a-z]+-[0-9]+\.[0-9]+t?",
    "cpu": r"[A-Za-z0-9 .,;_+@()/#=-]{1,200}",
    "python": r"[0-9][0-9A-Za-z.+-]{0,40}",
    "numpy": r"[0-9][0-9A-Za-z.+-]{0,40}",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
    "commit": r"[0-9a-f]{7,40}(-dirty)?|unknown",
}
CLAIM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,60}")


class HistoryError(ResultsError):
    """The stored history is malformed; the build stops rather than chart a wrong line."""


def records(suite: Suite, known: dict, contracts: dict) -> list[dict]:
    """One record per fresh result on every machine and build: its claims' ratios and provenance."""
    runner = os.environ.get("BIM_RUNNER")
    found = []
    for machine in suite.machines:
        for eid, experiment in known.items():
            entry = machine.entry(experiment)
            if entry is None:
                continue
            ratios = {}
            for name, claim in contracts[eid].claims.items():
                try:
                    ratios[name] = round(judge(claim, entry, contracts[eid], machine).ratio, 4)
                except ClaimError:
                    continue  # a point the claim needs is not measured here: no ratio, no record of one
            software = entry["software"]
            found.append(
                {
                    "experiment": eid,
                    "series": RUNNER_SERIES if machine.name == runner else machine.name,
                    "machine": machine.name,
                    "build": machine.build,
                    "cpu": machine.data["machine"]["cpu"],
                    "python": software["python"],
                    "numpy": software["numpy"],
                    "date": software["date"],
                    "commit": software["commit"],
                    "ratios": ratios,
                }
            )
    return found


def load(folder: Path) -> list[dict]:
    """The stored records, each checked; a bad line names the file, the line and the fix."""
    path = folder / FILE
    if not path.exists():
        return []
    if not path.is_file() or path.is_symlink():
        raise HistoryError(f"{path}: not a regular file; fetch the bench-data branch again")
    if path.stat().st_size > MAX_BYTES:
        raise HistoryError(f"{path}: over {MAX_BYTES:,} bytes; prune old records on the bench-data branch")
    stored = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            stored.append(_checked(json.loads(line)))
        except (ValueError, TypeError) as error:
            raise HistoryError(
                f"{path}, line {number}: {error}; fix or delete that line on the bench-data branch"
            ) from None
    return stored


def merged(folder: Path | None, current: list[dict]) -> list[dict]:
    """The stored records and the current ones, each measurement once, oldest first."""
    stored = load(folder) if folder else []
    seen = {_key(r) for r in stored}
    return sorted(stored + [r for r in current if _key(r) not in seen], key=lambda r: r["date"])


def append(folder: Path, current: list[dict]) -> int:
    """Add the records not stored yet to the folder's history file; how many were added."""
    stored = {_key(r) for r in load(folder)}
    new = [r for r in current if _key(r) not in stored]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / FILE, "a", encoding="utf-8") as out:
        out.writelines(json.dumps(r, sort_keys=True) + "\n" for r in new)
    return len(new)


def folder_from_env() -> Path | None:
    value = os.environ.get("BIM_HISTORY")
    return Path(value) if value else None


def changes(points: list[dict]) -> list[tuple[str, str]]:
    """(date, what changed) wherever a series' Python, NumPy or CPU differs from its previous point."""
    marks = []
    for before, after in itertools.pairwise(points):
        what = [
            label
            for key, label in (("python", "Python"), ("numpy", "NumPy"), ("cpu", "CPU"))
            if before[key] != after[key]
        ]
        if what:
            marks.append((after["date"], " and ".join(what) + " changed"))
    return marks


def _checked(record) -> dict:
    if not isinstance(record, dict) or set(record) != {*FIELDS, "ratios"}:
        raise ValueError(f"a record has exactly the fields {sorted({*FIELDS, 'ratios'})}")
    for field, pattern in FIELDS.items():
        if not (isinstance(record[field], str) and re.fullmatch(pattern, record[field])):
            raise ValueError(f"field {field} is not plain text of its form")
    ratios = record["ratios"]
    if not isinstance(ratios, dict) or not all(
        isinstance(name, str)
        and CLAIM_NAME.fullmatch(name)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 < value < 1e12
        for name, value in ratios.items()
    ):
        raise ValueError("field ratios maps claim names to positive numbers")
    return record


def _key(record: dict) -> tuple:
    return record["experiment"], record["machine"], record["build"], record["date"]


def append_history(folder: Path, directory: Path) -> int:
    """`python -m bench history FOLDER`: the fresh results' records, added once each."""
    known = {e.id: e for e in experiments()}
    found = contracts(list(known.values()))
    added = append(folder, records(Suite.load(directory, found), known, found))
    print(f"{folder / FILE}: {added} new record{'s' if added != 1 else ''}")
    return 0
