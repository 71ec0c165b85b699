"""`python -m bench migrate FILE...`: upgrade results files written before schema 2, and
`python -m bench migrate --fingerprints FILE...`: those whose fingerprints predate the canonical form.

Schema 1 named a file after its machine only and tied each result to the sha256 of the whole
snippet file. Schema 2 adds the interpreter build to the name and ties a result to the
fingerprint of what the snippet measures. A result keeps its place wherever the snippet it was
measured from can be found, now or in git history, by that sha256; a result whose snippet cannot
be found keeps the old hash, which no fingerprint equals, so it shows as stale.

Fingerprints written before 2026-11-25 hashed ast.unparse's text of the measured code, which
Python 3.12 changed; they were all computed by Python 3.11. A result whose stored fingerprint is
that old form of its snippet as it is now gets the canonical fingerprint of the same code; any
other stays as it is, and stale.
"""

import ast
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from bench.discover import ROOT, SNIPPETS, by_id, experiments
from bench.fingerprint import fingerprint, measured_tree
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


def refingerprint(paths: list[Path]) -> int:
    """Each fresh result's fingerprint, from the form Python 3.11's ast.unparse gave to the canonical one."""
    if sys.version_info[:2] != (3, 11):
        raise ResultsError("the old fingerprints are Python 3.11's ast.unparse: run this with Python 3.11")
    for path in paths:
        data, changed = load(path), 0
        for eid, entry in data["experiments"].items():
            found = [e for e in experiments() if e.id == eid]
            if found and entry["fingerprint"] == found[0].fingerprint_by(_unparsed):
                entry["fingerprint"] = found[0].fingerprint
                changed += 1
        save(data, path)
        print(f"{path}: {changed} of {len(data['experiments'])} fingerprints moved to the canonical form")
    return 0


def _unparsed(source: str) -> str:
    return hashlib.sha256(ast.unparse(measured_tree(source)).encode()).hexdigest()
