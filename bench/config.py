"""The site's configuration, declared once in pyproject.toml under [tool.bits-in-motion].

The publishing workflow adds the runner it measured on, by name, in BIM_RUNNER: for that build the
runner is a reference machine too, so its claims must hold and every page shows it."""

import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """pyproject.toml does not say which machines and build the site publishes."""


@dataclass(frozen=True)
class Config:
    reference_machines: tuple[str, ...]
    reference_build: str
    chapter_budgets_s: dict[str, float]  # chapter -> seconds of `make bench` its experiments may take


@cache
def config(path: Path = ROOT / "pyproject.toml") -> Config:
    table = tomllib.loads(path.read_text()).get("tool", {}).get("bits-in-motion", {})
    machines, build = table.get("reference-machines"), table.get("reference-build")
    if not (isinstance(machines, list) and machines and all(isinstance(m, str) for m in machines)):
        raise ConfigError(f"{path.name}: [tool.bits-in-motion] reference-machines must list machine names")
    if not isinstance(build, str):
        raise ConfigError(f'{path.name}: [tool.bits-in-motion] reference-build must name a build, e.g. "cpython-3.11"')
    if runner := os.environ.get("BIM_RUNNER"):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", runner):
            raise ConfigError(f"BIM_RUNNER={runner!r} is not a machine name; print it with `python -m bench machine`")
        machines = [*machines, runner] if runner not in machines else machines
    budgets = table.get("chapter-budgets-s", {})
    if not (isinstance(budgets, dict) and all(isinstance(v, int | float) and v > 0 for v in budgets.values())):
        raise ConfigError(f"{path.name}: [tool.bits-in-motion] chapter-budgets-s maps chapters to seconds")
    return Config(tuple(machines), build, budgets)
