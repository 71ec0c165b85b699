"""`python -m bench migrate FILE...`: upgrade results files written before schema 2.

Schema 1 named a file after its machine only and tied each result to the sha256 of the whole
snippet file. Schema 2 adds the interpreter build to the name and ties a result to the
fingerprint of what the snippet measures. A result keeps its place wherever the snippet it was
measured from can be found, now or in git history, by that sha256; a result whose snippet cannot
be found keeps the old hash, which no fingerprint equals, so it shows as stale.
"""

import hashlib
import json
import subprocess
from pathlib import Path

from bench.discover import ROOT, SNIPPETS, by_id
from bench.fingerprint import fingerprint
from bench.results import RESULTS, SCHEMA_VERSION, ResultsError, files, load, path_for, save
from bench.software import build_of


def migrate(paths: list[Path], directory: Path = RESULTS) -> int:
    for path in paths:
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("schema_version") != 1:
            raise ResultsError(f"{path}: schema_version {old.get('schema_version')!r}; only version 1 is migrated")
        builds = {build_of(entry["software"]) for entry in old["experiments"].values()}
        if len(builds) != 1:
            raise ResultsError(f"{path}: measured with {sorted(builds)}; one file holds one build")
        build, kept = builds.pop(), 0
        for eid, entry in old["experiments"].items():
            sha256 = entry.pop("snippet_sha256")
            source = _source(eid, sha256)
            entry["fingerprint"] = fingerprint(source) if source else sha256
            kept += source is not None
        target = path_for(old["machine"]["name"], build, directory)
        new = {"schema_version": SCHEMA_VERSION, "machine": old["machine"], "build": build}
        save(new | {"experiments": old["experiments"]}, target)
        if path.resolve().parent == directory.resolve() and path.resolve() != target.resolve():
            path.unlink()
        print(f"{path} -> {target}: {kept} of {len(old['experiments'])} results matched to their snippet")
    return 0


def _source(eid: str, sha256: str) -> str | None:
    """The snippet text whose sha256 is the stored one: the file as it is, or a version from git history."""
    relative = (SNIPPETS / f"{eid}.py").relative_to(ROOT).as_posix()
    current = ROOT / relative
    if current.exists() and hashlib.sha256(current.read_bytes()).hexdigest() == sha256:
        return current.read_text(encoding="utf-8")
    log = subprocess.run(["git", "log", "--format=%H", "--", relative], cwd=ROOT, capture_output=True, text=True)
    for commit in log.stdout.split():
        blob = subprocess.run(["git", "show", f"{commit}:{relative}"], cwd=ROOT, capture_output=True)
        if blob.returncode == 0 and hashlib.sha256(blob.stdout).hexdigest() == sha256:
            return blob.stdout.decode("utf-8")
    return None


def rename(old: str, new: str, directory: Path = RESULTS) -> int:
    """After `git mv snippets/<old>.py snippets/<new>.py`: every results file keeps its result under
    the new id. The fingerprint does not depend on the file's name, so a result stays fresh."""
    by_id([new])  # the snippet must exist under its new name
    for path in files(directory):
        data = load(path)
        if old not in data["experiments"]:
            continue
        if new in data["experiments"]:
            raise ResultsError(f"{path.name} already holds results for {new}; nothing renamed in it")
        data["experiments"][new] = data["experiments"].pop(old)
        data["experiments"] = dict(sorted(data["experiments"].items()))
        save(data, path)
        print(f"{path.name}: {old} -> {new}")
    return 0
