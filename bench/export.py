"""`python -m bench export`: this machine's results as a file for a pull request.

A contributed file is published, so it carries only what the results schema declares (not what an
older or newer harness added), only full results of the snippets as they are now, a name that is
a slug of its CPU (a personal BIM_MACHINE stays home), and no text that names this host or its
user. It never replaces a reference machine's file, nor another machine's without --force.
"""

import contextlib
import json
import re
from getpass import getuser
from pathlib import Path
from socket import gethostname

from bench.config import config
from bench.contract import contracts
from bench.discover import experiments
from bench.machine import describe, distinct_name, identity, slug
from bench.results import (
    RESULTS,
    SCHEMA_PATH,
    ResultsError,
    files,
    parse,
    path_for,
    rel,
    resolve_ref,
    save,
    validate,
)
from bench.suite import Machine, conforms

NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")  # the schema's machine.name
SHORTEST_PERSONAL = 3  # a shorter host or user name ("vm") would match text by chance


def export(sources: list[Path] | None, name: str | None, out: Path, force: bool, allowed: list[str]) -> int:
    """Write each source (default: this machine's files under results/) as out/<name>.<build>.json."""
    if name is not None and not NAME.fullmatch(name):
        raise ResultsError(f"--name {name!r}: use lowercase letters, digits and hyphens, e.g. 'ryzen-7-7840u-16c'")
    personal = personal_names() - {a.lower() for a in allowed}
    written = []
    for source in sources or this_machines_files():
        data = contribution(source)
        measured_as = data["machine"]["name"]
        data["machine"]["name"] = name or distinct_name(
            data["machine"] | {"name": cpu_slug(data["machine"])}, _stored(out)
        )
        refuse_personal(data, personal, source)
        target = path_for(data["machine"]["name"], data["build"], out)
        _may_write(target, data, force)
        save(data, target)
        written.append(target)
        print(f"wrote {rel(target)}: {len(data['experiments'])} results, from {rel(source)}")
        beside = source.parent.resolve() == out.resolve() and source.resolve() != target.resolve()
        if beside and measured_as not in config().reference_machines:
            print(f"{rel(source)} holds the same results under another name: delete it, or the site shows them twice")
    print("\nNext: commit the file on a branch and open a pull request, for instance")
    print("  git switch -c results-" + written[0].name.split(".")[0])
    print("  git add " + " ".join(rel(t) for t in written))
    print(f'  git commit -m "Results of {written[0].name.split(".")[0]}"')
    print("CI validates the file, checks every claim on it and builds the site with your machine on every page.")
    return 0


def contribution(source: Path) -> dict:
    """The source's schema fields and its full, fresh results; the file and field are named if it is
    malformed, hand-edited or does not hold what its snippets declare."""
    data = project(_parse(source), _schema())
    validate(data, source)
    known = {e.id: e for e in experiments()}
    as_stored = Machine(source, data, reference=False)
    kept = {eid: entry for eid, entry in data["experiments"].items() if eid in known and as_stored.entry(known[eid])}
    for eid, declared in contracts([known[eid] for eid in kept]).items():
        conforms(as_stored, known[eid], declared)
    dropped = [f"{eid} ({_why_dropped(as_stored, known.get(eid))})" for eid in data["experiments"] if eid not in kept]
    if dropped:
        print(f"{rel(source)}: left out {len(dropped)}: {', '.join(dropped)}")
    if not kept:
        raise ResultsError(f"{rel(source)}: no full result of a snippet as it is now; measure with `make bench`")
    return data | {"experiments": kept}


def project(node, rule: dict, schema: dict | None = None):
    """The node with only what the schema declares, at every level: a key that is neither one of
    an object's properties nor allowed by its additionalProperties schema is dropped."""
    schema = schema or rule
    rule = resolve_ref(rule, schema)
    if isinstance(node, dict):
        declared, other = rule.get("properties", {}), rule.get("additionalProperties")
        return {
            key: project(value, declared.get(key, other), schema)
            for key, value in node.items()
            if key in declared or isinstance(other, dict)
        }
    if isinstance(node, list) and isinstance(rule.get("items"), dict):
        return [project(item, rule["items"], schema) for item in node]
    return node


def cpu_slug(machine: dict) -> str:
    """The name `make bench` gives a machine without BIM_MACHINE, from the file's own CPU and cores."""
    return slug(machine["cpu"], machine["logical_cores"])


def personal_names() -> set[str]:
    """This host's name (full and short) and the user's, lower case."""
    host = gethostname().lower()
    names = {host, host.split(".")[0]}
    with contextlib.suppress(OSError, KeyError):  # no user name in the environment or the password database
        names.add(getuser().lower())
    return {n for n in names if len(n) >= SHORTEST_PERSONAL}


def refuse_personal(data: dict, personal: set[str], source: Path) -> None:
    """Stop on any text that contains a personal name, naming the field and the fix."""
    for field, text in _texts(data):
        found = next((n for n in sorted(personal, key=len, reverse=True) if _words(n) in _words(text)), None)
        if found is None:
            continue
        fix = (
            "choose another with --name"
            if field == "machine.name"
            else f"if that is a coincidence (a host named after its CPU, say), pass --allow-name {found}"
        )
        raise ResultsError(f"{rel(source)}: field {field} ({text!r}) contains this host's or user's name; {fix}")


def this_machines_files(directory: Path = RESULTS) -> list[Path]:
    """The results files whose CPU, cores, caches and memory are this machine's."""
    mine = identity(describe())
    found = [path for path, machine in _machines(directory) if _identity(machine) == mine]
    if not found:
        raise ResultsError(
            f"{rel(directory)} holds no results of this machine: measure with `make bench`, "
            "or name a results file with --from"
        )
    return found


def _may_write(target: Path, data: dict, force: bool) -> None:
    """Never a reference machine's file; another machine's only with --force."""
    if data["machine"]["name"] in config().reference_machines:
        raise ResultsError(
            f"{rel(target)}: {data['machine']['name']} is a reference machine, whose results the "
            "publishing workflow measures; give yours a name of its own with --name"
        )
    if force or not target.exists():
        return
    stored = _machine_of(target)
    if stored is None or _identity(stored) != identity(data["machine"]):
        raise ResultsError(
            f"{rel(target)} holds another machine's results; choose another --name, or replace it with --force"
        )


def _parse(path: Path):
    """The file's JSON with the results files' guards, not yet validated: fields the schema lacks are
    dropped first."""
    return parse(path, "re-measure with `make bench`")


def _machines(directory: Path) -> list[tuple[Path, dict]]:
    """(file, its machine record) for every results file in the folder that has a readable one."""
    found = [(path, _machine_of(path)) for path in (files(directory) if directory.is_dir() else [])]
    return [(path, machine) for path, machine in found if machine is not None]


def _machine_of(path: Path) -> dict | None:
    """The file's machine record, or None where it has none to read (the build names what is wrong)."""
    try:
        machine = _parse(path)["machine"]
    except (ResultsError, KeyError, TypeError):
        return None
    return machine if isinstance(machine, dict) else None


def _stored(directory: Path) -> dict[str, list[dict]]:
    """Machine name -> the machine records stored under it, for distinct_name()."""
    stored: dict[str, list[dict]] = {}
    for _, machine in _machines(directory):
        stored.setdefault(machine.get("name"), []).append(machine)
    return stored


def _identity(machine: dict) -> dict | None:
    try:
        return identity(machine)
    except (KeyError, TypeError):
        return None


def _why_dropped(as_stored: Machine, experiment) -> str:
    return "no such snippet here" if experiment is None else as_stored.why_not_fresh(experiment)


def _texts(node, where: str = ""):
    """(field, text) for every text value in the document; its keys are the schema's own names and
    the snippets' (experiment ids, counters)."""
    if isinstance(node, str):
        yield where, node
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _texts(value, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}".lstrip("."))


def _words(text: str) -> str:
    """Lower case, every run of other characters one hyphen: 'Alice_Laptop' matches 'alice-laptop'."""
    return "-" + re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") + "-"


def _schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())
