"""Results files: one per machine and interpreter build, results/<machine>.<build>.json.

Loaded with validation and written atomically; a file that fails validation is never written
over: the error names the file, the field and the fix.
"""

import json
import math
import os
import re
import tempfile
from functools import cache
from pathlib import Path

import jsonschema

from bench.discover import ROOT
from bench.stats import summarize

RESULTS = ROOT / "results"
SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
SCHEMA_VERSION = 2
FILE_NAME = re.compile(r"(?P<machine>[a-z0-9][a-z0-9-]*)\.(?P<build>[a-z]+-[0-9]+\.[0-9]+t?)\.json")


class ResultsError(Exception):
    """A results file is missing, malformed or inconsistent."""


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def path_for(machine: str, build: str, directory: Path = RESULTS) -> Path:
    return directory / f"{machine}.{build}.json"


def files(directory: Path = RESULTS) -> list[Path]:
    """Every results file in the folder; anything else there is an error, not silently skipped."""
    found = sorted(directory.glob("*.json"))
    strays = [p.name for p in found if not FILE_NAME.fullmatch(p.name)]
    if strays:
        raise ResultsError(
            f"{_show(directory)}: {', '.join(strays)} not named <machine>.<build>.json; "
            "an older file is upgraded by `python -m bench migrate FILE`"
        )
    return found


def load(path: Path) -> dict:
    """Parse and validate a results file, or raise ResultsError saying what is wrong and where."""
    fix = f"restore it with `git checkout -- {_show(path)}` or re-measure with `make bench`"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{_show(path)}: no such results file; measure with `make bench`") from None
    except UnicodeDecodeError as error:
        raise ResultsError(f"{_show(path)}: not UTF-8 text ({error.reason}); {fix}") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise ResultsError(
            f"{_show(path)}: not valid JSON at line {error.lineno}, column {error.colno} ({error.msg}); {fix}"
        ) from None
    except ValueError as error:
        raise ResultsError(f"{_show(path)}: {error}; {fix}") from None
    if isinstance(data, dict) and data.get("schema_version") == 1:
        raise ResultsError(f"{_show(path)}: an older results file; upgrade it: `python -m bench migrate {_show(path)}`")
    validate(data, path)
    return data


def validate(data, path: Path) -> None:
    """Schema first (types, ranges, safe text), then what a schema cannot say."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ResultsError(f"{_show(path)}: field {_field(first.absolute_path)}: {first.message}{more}")
    expected = f"{data['machine']['name']}.{data['build']}.json"
    if path.name != expected:
        raise ResultsError(
            f"{_show(path)}: fields machine.name and build say {expected}; "
            "results/<machine>.<build>.json must match them"
        )
    for eid, entry in data["experiments"].items():
        seen = set()
        for i, point in enumerate(entry["points"]):
            where = f"experiments.{eid}.points[{i}]"
            key = (point["variant"], point["size"])
            if key in seen:
                raise ResultsError(f"{_show(path)}: field {where}: a second point for {key}")
            seen.add(key)
            expected = summarize(point["samples_ns"])["median_ns"]
            if not math.isclose(point["median_ns"], expected, rel_tol=1e-9):
                raise ResultsError(
                    f"{_show(path)}: field {where}.median_ns is {point['median_ns']} but its samples give "
                    f"{expected}; the file was edited by hand, re-measure with `make bench ONLY={eid}`"
                )


def save(data: dict, path: Path) -> None:
    """Validate, then write to a temporary file and rename over the target: never a half-written file."""
    validate(data, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, ensure_ascii=False, allow_nan=False)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


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


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
