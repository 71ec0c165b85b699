"""Find experiments under snippets/ and load them as modules, enforcing the snippet contract."""

import importlib.util
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType

from bench.fingerprint import fingerprint

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
ID_PATTERN = re.compile(r"^[a-z0-9-]+/[a-z0-9_-]+$")

REQUIRED = {
    "TITLE": str,
    "UNIT": str,
    "SIZE_UNIT": str,
    "SIZES": list,
    "QUICK_SIZES": list,
    "BUDGET_S": (int, float),
    "VARIANTS": dict,
    "CLAIMS": list,
}
REQUIRED_FUNCTIONS = ("setup", "agree")


class ContractError(Exception):
    """A snippet does not provide what the harness needs; the message names the file and the fix."""


@dataclass(frozen=True)
class Experiment:
    id: str
    path: Path

    @cached_property
    def fingerprint(self) -> str:
        """What the snippet measures, as it is now: a stored result with another one is stale."""
        return fingerprint(self.path.read_text(encoding="utf-8"))

    @property
    def rerun_command(self) -> str:
        return f"make bench ONLY={self.id}"


def experiments(root: Path = SNIPPETS) -> list[Experiment]:
    """Every snippets/<chapter>/<stem>.py, sorted, as experiments with id <chapter>/<stem>."""
    found = []
    for path in sorted(root.glob("*/*.py")):
        if path.name.startswith("_"):
            continue
        eid = f"{path.parent.name}/{path.stem}"
        if not ID_PATTERN.match(eid):
            raise ContractError(f"{path}: rename it so its id {eid!r} matches {ID_PATTERN.pattern}")
        if path.stem in sys.stdlib_module_names or path.stem in {"numpy", "numexpr", "bench"}:
            raise ContractError(f"{path}: rename it; as a module it would shadow `import {path.stem}`")
        found.append(Experiment(eid, path))
    return found


def by_id(ids: list[str], root: Path = SNIPPETS) -> list[Experiment]:
    """The experiments named in ids (all when empty); an unknown id is an error listing the known ones."""
    known = {e.id: e for e in experiments(root)}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ContractError(f"unknown experiment {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[i] for i in ids] if ids else list(known.values())


def load(experiment: Experiment, importable: bool = False) -> ModuleType:
    """Import the snippet by path (its __main__ part does not run) and check the contract.

    importable=True (the measuring worker, one snippet per process) names the module after its file
    and puts its folder on sys.path, so that child processes under spawn or forkserver can import
    the functions a multiprocessing pool pickles by name.
    """
    if importable:
        name = experiment.path.stem
        sys.path.insert(0, str(experiment.path.parent))
    else:
        name = "snippet_" + re.sub(r"\W", "_", experiment.id)
    spec = importlib.util.spec_from_file_location(name, experiment.path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _check_contract(experiment, module)
    return module


def _check_contract(experiment: Experiment, module: ModuleType) -> None:
    where = experiment.path.relative_to(ROOT) if experiment.path.is_relative_to(ROOT) else experiment.path
    for attr, kind in REQUIRED.items():
        if not isinstance(getattr(module, attr, None), kind):
            raise ContractError(f"{where}: define {attr} ({_kind_name(kind)}); see CONTRIBUTING.md")
    for attr in REQUIRED_FUNCTIONS:
        if not callable(getattr(module, attr, None)):
            raise ContractError(f"{where}: define a function {attr}(); see CONTRIBUTING.md")
    if not module.VARIANTS or not all(callable(f) for f in module.VARIANTS.values()):
        raise ContractError(f"{where}: VARIANTS must map names to functions of setup()'s result")
    for attr in ("SIZES", "QUICK_SIZES", "LARGE_SIZES"):
        if attr == "LARGE_SIZES" and not hasattr(module, attr):
            continue
        sizes = getattr(module, attr)
        if not sizes or not all(isinstance(n, int) and n > 0 for n in sizes):
            raise ContractError(f"{where}: {attr} must be a non-empty list of positive ints")
    platforms = getattr(module, "PLATFORMS", None)
    if platforms is not None and not (isinstance(platforms, tuple) and all(isinstance(p, str) for p in platforms)):
        raise ContractError(f'{where}: PLATFORMS must be a tuple of sys.platform values, e.g. ("linux",)')
    limits = getattr(module, "LIMITS", {})
    if set(limits) - set(module.VARIANTS):
        raise ContractError(f"{where}: LIMITS names unknown variants {sorted(set(limits) - set(module.VARIANTS))}")


def runs_here(module) -> bool:
    """Whether this platform is one of the snippet's PLATFORMS (all, when it declares none)."""
    return sys.platform in getattr(module, "PLATFORMS", (sys.platform,))


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)
