"""Find experiments under snippets/: one file each, id <chapter>/<stem>. What a snippet must define
is bench.contract's business; this module only finds and imports them."""

import ast
import hashlib
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
ID_PATTERN = re.compile(r"[a-z0-9-]+/[a-z0-9_]+")


class ContractError(Exception):
    """A snippet does not provide what the harness needs; the message names the file and the fix."""


@dataclass(frozen=True)
class Experiment:
    id: str
    path: Path

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def display(self) -> str:
        return str(self.path.relative_to(ROOT)) if self.path.is_relative_to(ROOT) else str(self.path)

    @property
    def siblings(self) -> list[Path]:
        """The modules of its own folder that the snippet imports (a shared helper, say)."""
        found = sorted(self.path.parent / f"{name}.py" for name in _imported(self.source))
        return [p for p in found if p.is_file() and p != self.path]

    @property
    def sources(self) -> list[str]:
        """Its source and its siblings', as they are now."""
        return [self.source, *(p.read_text(encoding="utf-8") for p in self.siblings)]

    @cached_property
    def fingerprint(self) -> str:
        """What the snippet measures, as it is now, with the sibling modules it imports: a stored
        result with another fingerprint is stale."""
        return self.fingerprint_by(fingerprint)

    def fingerprint_by(self, hasher) -> str:
        """The snippet's and its siblings' sources hashed by hasher, combined."""
        own = hasher(self.source)
        if not self.siblings:
            return own
        parts = [own, *(hasher(p.read_text(encoding="utf-8")) for p in self.siblings)]
        return hashlib.sha256(" ".join(parts).encode()).hexdigest()

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
        if not ID_PATTERN.fullmatch(eid):
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


def import_snippet(experiment: Experiment, importable: bool = False) -> ModuleType:
    """Import the snippet by path (its __main__ part does not run), with its folder on sys.path so
    that it can import a sibling module.

    importable=True (the measuring worker, one snippet per process) names the module after its file,
    so that child processes under spawn or forkserver can import the functions a multiprocessing
    pool pickles by name.
    """
    folder = str(experiment.path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = experiment.path.stem if importable else "snippet_" + re.sub(r"\W", "_", experiment.id)
    spec = importlib.util.spec_from_file_location(name, experiment.path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def literal(experiment: Experiment, name: str):
    """A module-level literal of the snippet (SERIAL_FRACTIONS = {...}), read from its source
    without importing it."""
    for node in ast.parse(experiment.source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                break
    raise ContractError(f"{experiment.display} defines no literal {name!r}")


def _imported(source: str) -> set[str]:
    """Top-level module names the source imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names
