"""Results as a query object: every results file, which of them the site publishes, and which
are fresh for an experiment. The harness, `bench check` and the macros all ask it."""

from dataclasses import dataclass, field
from pathlib import Path

from bench.config import config
from bench.discover import Experiment
from bench.results import RESULTS, ResultsError, files, load, path_for


@dataclass(frozen=True)
class Machine:
    """One results file: a machine measured with one interpreter build."""

    path: Path
    data: dict = field(repr=False, compare=False)
    reference: bool

    @property
    def name(self) -> str:
        return self.data["machine"]["name"]

    @property
    def build(self) -> str:
        return self.data["build"]

    @property
    def label(self) -> str:
        """The machine's name, with the build where it is not the one the pages stand on."""
        return self.name if self.build == config().reference_build else f"{self.name} ({self.build})"

    @property
    def caches(self) -> dict:
        return self.data["machine"]["caches"]

    def entry(self, experiment: Experiment) -> dict | None:
        """The experiment's result, provided it was measured in full from the snippet as it is now."""
        entry = self.data["experiments"].get(experiment.id)
        if entry is None or entry["quick"] or entry["fingerprint"] != experiment.fingerprint:
            return None
        return entry

    def why_not_fresh(self, experiment: Experiment) -> str:
        entry = self.data["experiments"].get(experiment.id)
        if entry is None:
            return "never measured"
        return "only a quick result" if entry["quick"] else "measured from an older version of the snippet"


@dataclass(frozen=True)
class Suite:
    machines: tuple[Machine, ...]

    @classmethod
    def load(cls, directory: Path = RESULTS) -> "Suite":
        """Every results file in the folder; each reference machine must have one for the reference build."""
        cfg = config()
        machines = [load(path) for path in files(directory)]
        found = {(m["machine"]["name"], m["build"]) for m in machines}
        for name in cfg.reference_machines:
            if (name, cfg.reference_build) not in found:
                raise ResultsError(
                    f"{path_for(name, cfg.reference_build, directory).name} is missing: reference machine {name} "
                    "has no results; restore it from git, or measure with `make bench` on that machine"
                )
        order = {name: i for i, name in enumerate(cfg.reference_machines)}
        machines.sort(key=lambda m: (order.get(m["machine"]["name"], len(order)), m["machine"]["name"], m["build"]))
        return cls(
            tuple(
                Machine(path_for(m["machine"]["name"], m["build"], directory), m, _is_reference(m, cfg))
                for m in machines
            )
        )

    @property
    def references(self) -> list[Machine]:
        return [m for m in self.machines if m.reference]

    @property
    def shown(self) -> list[Machine]:
        """What the pages show: the reference machines, then every other machine (a reader's, a
        contributed one). Other builds of a reference machine appear only where a page asks."""
        reference_names = set(config().reference_machines)
        return [m for m in self.machines if m.reference or m.name not in reference_names]

    def fresh(self, experiment: Experiment) -> list[tuple[Machine, dict]]:
        """The shown machines whose result for this experiment is fresh, with that result."""
        return [(m, e) for m in self.shown if (e := m.entry(experiment)) is not None]

    def stale_references(self, experiment: Experiment) -> list[Machine]:
        return [m for m in self.references if m.entry(experiment) is None]

    def builds(self, experiment: Experiment) -> list[tuple[Machine, dict]]:
        """Every machine and build with a fresh result, interpreters side by side."""
        return [(m, e) for m in self.machines if (e := m.entry(experiment)) is not None]

    def machine(self, name: str) -> list[Machine]:
        return [m for m in self.machines if m.name == name]


def _is_reference(data: dict, cfg) -> bool:
    return data["machine"]["name"] in cfg.reference_machines and data["build"] == cfg.reference_build
