"""The snippet contract: every name a snippet may define, declared once in CONTRACT, read and
checked once by read(), and handed to every consumer as one Contract (asv's benchmark attributes
work the same way). CONTRIBUTING's table of names is checked against CONTRACT by a test.

The harness, `bench check` and the build never import a snippet themselves: contract() reads it
in a subprocess bounded in time, so a snippet that hangs or fails on import costs a clear error,
not a hung build. Only the measuring worker, the standalone run and the tests import it (live()).
"""

import difflib
import functools
import inspect
import json
import re
import subprocess
import sys
import traceback
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import ModuleType

from bench import cache
from bench.claims import Claim, ClaimError, parse_claims
from bench.discover import ROOT, ContractError, Experiment, import_snippet
from bench.render import RATES

IMPORT_TIMEOUT_S = 60  # importing a snippet defines things; it never measures
TEXT = re.compile(r"[A-Za-z0-9 .,;_+@()/#=-]{1,80}")  # names and units: the results schema's plain text
TITLE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")  # one line; escaped wherever it is shown


@dataclass(frozen=True)
class Name:
    kind: str  # text, sizes, number, variants, function, claims, limits, platforms, rate, names
    required: bool
    meaning: str


CONTRACT = {
    "TITLE": Name("title", True, "one line saying what is computed"),
    "UNIT": Name("text", True, 'what one result is per: results are ns per UNIT ("element", "access", "byte")'),
    "SIZE_UNIT": Name("text", True, 'what a size counts; "bytes" sizes are shown as KiB, MiB, GiB and mark the caches'),
    "SIZES": Name("sizes", True, "sizes for publication, ascending"),
    "QUICK_SIZES": Name("sizes", True, "small sizes for the tests; never published"),
    "BUDGET_S": Name("number", True, "this experiment's share, in seconds, of `make bench`; stopped at twice that"),
    "setup": Name("function", True, "`setup(n)` builds the inputs for size n, once, outside the timing"),
    "VARIANTS": Name("variants", True, '`{"name": function(inputs)}`: the computations compared'),
    "agree": Name("function", True, "`agree(outputs)` is True when every variant's answer matches"),
    "CLAIMS": Name("claims", True, '`{"claim-name": claim}`: what the page says, as data'),
    "LIMITS": Name("limits", False, '`{"variant": largest size}` for variants too slow to run at every size'),
    "LARGE_SIZES": Name("sizes", False, "sizes beyond the budget, measured only with `make bench LARGE=1`"),
    "PLATFORMS": Name("platforms", False, '`("linux",)` where the experiment needs what only those systems have'),
    "SHOW_AS": Name("rate", False, '`"GB/s"` (with UNIT = "byte"): bandwidth instead of ns per byte'),
    "QUICK_OVERRIDES": Name("names", False, "module-level names replaced during quick runs (a smaller array)"),
    "work": Name("function", False, "`work(n)` or `work(n, variant)`: units of work in one call (default n)"),
    "working_set": Name("function", False, "`working_set(n)`: bytes touched at size n; marks caches, resolves roles"),
    "before_sample": Name("function", False, "`before_sample(variant, inputs)`: untimed, before every sample"),
    "teardown": Name("function", False, "`teardown(inputs)` releases what setup acquired, even after an error"),
    "counters": Name("function", False, '`counters(variant, inputs)`: `{"name": number}` for one call'),
    "NEEDS": Name("text", False, '`"a CUDA GPU"`: hardware the reference machines lack; comes with `unavailable`'),
    "unavailable": Name(
        "function", False, "`unavailable()`: None where this machine has what NEEDS names, else why not (it is skipped)"
    ),
}


@dataclass(frozen=True)
class Contract:
    """What the harness, the checks and the pages know of a snippet: plain data, no functions."""

    id: str
    title: str
    unit: str
    size_unit: str
    sizes: tuple[int, ...]
    quick_sizes: tuple[int, ...]
    large_sizes: tuple[int, ...]
    budget_s: float
    variants: tuple[str, ...]
    limits: dict
    platforms: tuple[str, ...] | None
    show_as: str | None
    bytes_per_size: float | None  # working-set bytes per unit of size; None when sizes are not working sets
    prepared: bool  # before_sample(): one call per sample, prepared outside the timing
    needs: str | None  # NEEDS: hardware the reference machines lack; None where any machine runs it
    claims: dict[str, Claim]

    @property
    def runs_here(self) -> bool:
        return self.platforms is None or sys.platform in self.platforms

    def runs_at(self, variant: str, n: int) -> bool:
        return n <= self.limits.get(variant, n)

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"claims": {k: c.raw for k, c in self.claims.items()}})

    @classmethod
    def from_json(cls, text: str) -> "Contract":
        data = json.loads(text)
        for key in ("sizes", "quick_sizes", "large_sizes", "variants"):
            data[key] = tuple(data[key])
        data["platforms"] = tuple(data["platforms"]) if data["platforms"] is not None else None
        contract = cls(**(data | {"claims": {}}))
        return replace(contract, claims=parse_claims(data["claims"], contract, contract.id))


def read(module: ModuleType, experiment: Experiment) -> Contract:
    """Check every name against CONTRACT and return the snippet's Contract; a ContractError names
    the file and the fix."""
    where = experiment.display
    found = {name: getattr(module, name) for name in CONTRACT if hasattr(module, name)}
    for name, spec in CONTRACT.items():
        if spec.required and name not in found:
            raise ContractError(f"{where}: define {name} ({spec.meaning}); see CONTRIBUTING.md")
        if name in found and (problem := _problem(spec.kind, found[name])):
            raise ContractError(f"{where}: {name} {problem}; see CONTRIBUTING.md")
    _no_misspelt_names(module, where)
    variants = tuple(found["VARIANTS"])
    for name in (*found.get("LIMITS", {}), *found.get("QUICK_OVERRIDES", {})):
        pool = variants if name in found.get("LIMITS", {}) else vars(module)
        if name not in pool:
            raise ContractError(f"{where}: {name!r} names no variant or module-level name; check its spelling")
    if found.get("SHOW_AS") and found["UNIT"] != "byte":
        raise ContractError(f'{where}: SHOW_AS = {found["SHOW_AS"]!r} shows bytes per ns: set UNIT = "byte"')
    if found["SIZE_UNIT"] != "bytes" and found["SIZE_UNIT"].lower().rstrip("s") in {"byte", "b"}:
        raise ContractError(f'{where}: SIZE_UNIT {found["SIZE_UNIT"]!r}: write "bytes" for sizes in bytes')
    if ("NEEDS" in found) != ("unavailable" in found):
        raise ContractError(
            f"{where}: define NEEDS and unavailable() together: NEEDS names the hardware, unavailable() "
            "says whether this machine has it"
        )
    contract = Contract(
        id=experiment.id,
        title=found["TITLE"],
        unit=found["UNIT"],
        size_unit=found["SIZE_UNIT"],
        sizes=tuple(found["SIZES"]),
        quick_sizes=tuple(found["QUICK_SIZES"]),
        large_sizes=tuple(found.get("LARGE_SIZES", ())),
        budget_s=float(found["BUDGET_S"]),
        variants=variants,
        limits=dict(found.get("LIMITS", {})),
        platforms=tuple(found["PLATFORMS"]) if "PLATFORMS" in found else None,
        show_as=found.get("SHOW_AS"),
        bytes_per_size=_bytes_per_size(found),
        prepared="before_sample" in found,
        needs=found.get("NEEDS"),
        claims={},
    )
    try:
        claims = parse_claims(found["CLAIMS"], contract, where)
    except ClaimError as error:
        raise ContractError(str(error)) from None
    return replace(contract, claims=claims)


@dataclass(frozen=True)
class Live:
    """A snippet imported into this process: its Contract and the functions the worker calls."""

    contract: Contract
    module: ModuleType

    def work(self, n: int, variant: str) -> float:
        work = getattr(self.module, "work", None)
        if work is None:
            return n
        return work(n, variant) if len(inspect.signature(work).parameters) == 2 else work(n)

    def hook(self, name: str):
        """before_sample, teardown or counters, or None where the snippet does not define it."""
        return getattr(self.module, name, None)

    def unavailable(self) -> str | None:
        """Why this machine cannot run the snippet, as its unavailable() says; None where it can."""
        probe = getattr(self.module, "unavailable", None)
        reason = probe() if probe else None
        return None if reason is None else " ".join(str(reason).split()) or "unavailable() gave no reason"

    def quick(self) -> None:
        """Swap in QUICK_OVERRIDES, for a quick run only: smaller arrays, same code."""
        for name, value in getattr(self.module, "QUICK_OVERRIDES", {}).items():
            setattr(self.module, name, value)


def live(experiment: Experiment, importable: bool = False) -> Live:
    module = import_snippet(experiment, importable)
    return Live(read(module, experiment), module)


_CACHE: dict[tuple[str, str], Contract] = {}


def contract(experiment: Experiment) -> Contract:
    """The snippet's Contract, read in a subprocess bounded by IMPORT_TIMEOUT_S, and kept, here and
    on disk, under the snippet's source, its siblings', the harness's and the interpreter's."""
    key = (experiment.id, experiment.source)
    if key not in _CACHE:
        digest = cache.key(experiment.id, experiment.sources, _harness_digest(), sys.version, sys.platform)
        if (stored := cache.read("contracts", digest)) is not None:
            _CACHE[key] = Contract.from_json(stored)
        else:
            _CACHE[key] = _read_in_subprocess(experiment)
            cache.write("contracts", digest, _CACHE[key].to_json())
    return _CACHE[key]


@functools.cache
def _harness_digest() -> str:
    """The harness's own code: what reads and checks a snippet."""
    return cache.key(*(p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.glob("*.py"))))


def contracts(chosen: list[Experiment]) -> dict[str, Contract]:
    """Contracts of several snippets, read concurrently (each import is mostly waiting on numpy)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip((e.id for e in chosen), pool.map(contract, chosen), strict=True))


def _read_in_subprocess(experiment: Experiment) -> Contract:
    command = [sys.executable, "-m", "bench.contract", experiment.id, str(experiment.path)]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=IMPORT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ContractError(
            f"{experiment.display}: importing it took over {IMPORT_TIMEOUT_S} s; move the work at import time "
            'into setup() or under `if __name__ == "__main__":`'
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise ContractError(lines[-1] if lines else f"{experiment.display}: import failed with {done.returncode}")
    return Contract.from_json(done.stdout)


def _problem(kind: str, value) -> str | None:
    """Why a value does not fit its kind, or None."""
    checks = {
        "title": (lambda v: isinstance(v, str) and TITLE.fullmatch(v), "must be one line of at most 200 characters"),
        "text": (lambda v: isinstance(v, str) and TEXT.fullmatch(v), "must be plain text, " + TEXT.pattern),
        "sizes": (
            lambda v: isinstance(v, list) and v and all(isinstance(n, int) and n > 0 for n in v) and v == sorted(v),
            "must be a non-empty, ascending list of positive ints",
        ),
        "number": (lambda v: isinstance(v, int | float) and v > 0, "must be a positive number"),
        "function": (callable, "must be a function"),
        "variants": (
            lambda v: (
                isinstance(v, dict)
                and v
                and all(isinstance(k, str) and TEXT.fullmatch(k) and callable(f) for k, f in v.items())
            ),
            "must map plain-text names to functions of setup()'s result",
        ),
        "claims": (lambda v: isinstance(v, dict) and v, 'must map claim names to claims: {"name": {...}}'),
        "limits": (
            lambda v: isinstance(v, dict) and all(isinstance(n, int) for n in v.values()),
            "must map variant names to sizes",
        ),
        "platforms": (
            lambda v: isinstance(v, tuple) and all(isinstance(p, str) for p in v),
            'must be a tuple of sys.platform values, e.g. ("linux",)',
        ),
        "rate": (lambda v: v in RATES, f"must be one of {', '.join(RATES)}"),
        "names": (lambda v: isinstance(v, dict), "must map module-level names to their quick values"),
    }
    ok, problem = checks[kind]
    return None if ok(value) else problem


def _no_misspelt_names(module: ModuleType, where: str) -> None:
    """A module-level name one letter or two away from a contract name is almost surely a typo
    that would be silently ignored (LIMIT for LIMITS, tear_down for teardown)."""
    for name in vars(module):
        if name.startswith("_") or name in CONTRACT:
            continue
        same_case = [c for c in CONTRACT if c.isupper() == name.isupper()]
        if close := difflib.get_close_matches(name, same_case, n=1, cutoff=0.8):
            raise ContractError(f"{where}: {name} is not part of the contract: did you mean {close[0]}?")


def _bytes_per_size(found: dict) -> float | None:
    if "working_set" in found:
        return found["working_set"](1_000_000) / 1_000_000
    return 1.0 if found["SIZE_UNIT"] == "bytes" else None


def _import_error(experiment: Experiment, error: Exception) -> str:
    """The real exception, and the snippet's line it came from."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(experiment.path)]
    at = f" (line {lines[-1]})" if lines else ""
    return f"{experiment.display}: importing it raised {type(error).__name__}: {error}{at}"


if __name__ == "__main__":  # python -m bench.contract ID PATH: the Contract as JSON, or the error on stderr
    experiment = Experiment(sys.argv[1], Path(sys.argv[2]))
    try:
        print(live(experiment).contract.to_json())
    except ContractError as error:
        sys.exit(str(error))
    except Exception as error:  # whatever the snippet raised: report it, not a traceback of ours
        sys.exit(_import_error(experiment, error))


def contract_table() -> str:
    """CONTRACT as the Markdown table CONTRIBUTING.md shows; a test keeps the two the same."""
    rows = ["| name | needed | what it is |", "|---|---|---|"]
    rows += [f"| `{name}` | {'required' if n.required else 'optional'} | {n.meaning} |" for name, n in CONTRACT.items()]
    return "\n".join(rows)
