"""Results files: one per machine and interpreter build, results/<machine>.<build>.json.

Loaded with validation and written atomically; a file that fails validation is never written
over: the error names the file, the field and the fix.
"""

import json
import math
import os
import re
import stat
import tempfile
from functools import cache
from pathlib import Path

from bench.discover import ROOT
from bench.stats import summarize

RESULTS = ROOT / "results"
SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
SCHEMA_VERSION = 2
FILE_NAME = re.compile(r"(?P<machine>[a-z0-9][a-z0-9-]*)\.(?P<build>[a-z]+-[0-9]+\.[0-9]+t?)\.json")
MAX_BYTES = 64 * 2**20  # a results file of a few dozen experiments is well under 1 MiB
STATS = ("median_ns", "min_ns", "p25_ns", "p75_ns", "spread")


class ResultsError(Exception):
    """A results file is missing, malformed or inconsistent."""


@cache
def _validator():
    """Imported here, not at the top: the measuring worker of `make bench PYTHON=...` imports this
    module (for point()) in a venv that holds only numpy and numexpr."""
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def path_for(machine: str, build: str, directory: Path = RESULTS) -> Path:
    return directory / f"{machine}.{build}.json"


def files(directory: Path = RESULTS) -> list[Path]:
    """Every results file in the folder; anything else there is an error, not silently skipped."""
    found = sorted(directory.glob("*.json"))
    strays = [p.name for p in found if not FILE_NAME.fullmatch(p.name)]
    if strays:
        raise ResultsError(
            f"{rel(directory)}: {', '.join(strays)} not named <machine>.<build>.json; "
            "an older file is upgraded by `python -m bench migrate FILE`"
        )
    return found


def load(path: Path) -> dict:
    """Parse and validate a results file, or raise ResultsError saying what is wrong and where."""
    data = parse(path, f"restore it with `git checkout -- {rel(path)}` or re-measure with `make bench`")
    validate(data, path)
    return data


def parse(path: Path, fix: str):
    """The file's JSON, read with every guard (a regular file of sane size, UTF-8, no duplicate keys,
    finite numbers) but not yet validated; `fix` ends each message."""
    text = _read(path, fix)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants, parse_float=_finite)
    except json.JSONDecodeError as error:
        raise ResultsError(
            f"{rel(path)}: not valid JSON at line {error.lineno}, column {error.colno} ({error.msg}); {fix}"
        ) from None
    except RecursionError:
        raise ResultsError(f"{rel(path)}: nested too deeply to be a results file; {fix}") from None
    except ValueError as error:
        raise ResultsError(f"{rel(path)}: {error}; {fix}") from None
    if isinstance(data, dict) and data.get("schema_version") == 1:
        raise ResultsError(f"{rel(path)}: an older results file; upgrade it: `python -m bench migrate {rel(path)}`")
    return data


def _read(path: Path, fix: str) -> str:
    """The file's text, provided it is a regular file of sane size: a folder, a FIFO (which would
    block), a link (which could point anywhere) or a huge file is named, not read."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise ResultsError(f"{rel(path)}: no such results file; measure with `make bench`") from None
    if stat.S_ISLNK(info.st_mode):
        raise ResultsError(f"{rel(path)}: a symbolic link, not a results file; replace it with the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise ResultsError(f"{rel(path)}: not a regular file (a folder, a FIFO, a device); remove it")
    if info.st_size > MAX_BYTES:
        raise ResultsError(
            f"{rel(path)}: {info.st_size:,} bytes, over the {MAX_BYTES:,} a results file may have; {fix}"
        )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ResultsError(f"{rel(path)}: not UTF-8 text ({error.reason}); {fix}") from None


def validate(data, path: Path) -> None:
    """Schema first (types, ranges, safe text), then what a schema cannot say."""
    _plain_values(data, path)
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ResultsError(f"{rel(path)}: field {_field(first.absolute_path)}: {first.message}{more}")
    expected = f"{data['machine']['name']}.{data['build']}.json"
    if path.name != expected:
        raise ResultsError(
            f"{rel(path)}: fields machine.name and build say {expected}; results/<machine>.<build>.json must match them"
        )
    for eid, entry in data["experiments"].items():
        seen = set()
        for i, point in enumerate(entry["points"]):
            where = f"experiments.{eid}.points[{i}]"
            key = (point["variant"], point["size"])
            if key in seen:
                raise ResultsError(f"{rel(path)}: field {where}: a second point for {key}")
            seen.add(key)
            expected = summarize(point["samples_ns"])
            for stat_name in STATS:
                if not math.isclose(point[stat_name], expected[stat_name], rel_tol=1e-9, abs_tol=1e-12):
                    raise ResultsError(
                        f"{rel(path)}: field {where}.{stat_name} is {point[stat_name]} but its samples give "
                        f"{expected[stat_name]}; the file was edited by hand, re-measure with `make bench ONLY={eid}`"
                    )


def point(entry: dict, variant: str, size: int) -> dict | None:
    """One variant at one size in a stored result: the lookup every consumer makes."""
    return next((p for p in entry["points"] if (p["variant"], p["size"]) == (variant, size)), None)


def save(data: dict, path: Path) -> None:
    """Validate, then write to a temporary file and rename over the target: never a half-written file."""
    validate(data, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, ensure_ascii=False, allow_nan=False)
            out.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _plain_values(node, path: Path, where: str = "") -> None:
    """What a schema cannot refuse: JSON Schema patterns match with re.search, where $ also matches
    before a final newline, so a line break in any text field is refused here; and a number must be
    finite (an infinite one would render as 'inf×' and pass every claim)."""
    if isinstance(node, str) and any(c in node for c in "\n\r\x0b\x0c\u2028\u2029"):
        raise ResultsError(f"{rel(path)}: field {where or '(top level)'}: a line break in a text field")
    if isinstance(node, float) and not math.isfinite(node):
        raise ResultsError(f"{rel(path)}: field {where}: {node} is not a finite number")
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        _plain_values(value, path, f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}".lstrip("."))


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate key {duplicates[0]!r}")
    return dict(pairs)


def _no_constants(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _field(path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[") or "(top level)"


def rel(path: Path) -> str:
    """A path as messages name it: relative to the checkout where it lies inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def resolve_ref(node: dict, schema: dict) -> dict:
    """A schema node with its $ref, if any, replaced by what it points to (the schema page and export walk it)."""
    if "$ref" not in node:
        return node
    target = schema
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
