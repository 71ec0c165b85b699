"""Results as a query object: every results file, which of them the site publishes, and which
are fresh for an experiment. The harness, `bench check` and the macros all ask it."""

from dataclasses import dataclass, field
from pathlib import Path

from bench.config import config
from bench.discover import Experiment, by_id
from bench.measure import REPEATS
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
    def load(cls, directory: Path = RESULTS, contracts: dict | None = None) -> "Suite":
        """Every results file in the folder; each reference machine must have one for the reference
        build. With the snippets' contracts, every fresh result must also be what its snippet
        declares (conforms())."""
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
        suite = cls(
            tuple(
                Machine(path_for(m["machine"]["name"], m["build"], directory), m, _is_reference(m, cfg))
                for m in machines
            )
        )
        if contracts:
            for experiment in by_id(list(contracts)):
                for machine in suite.machines:
                    conforms(machine, experiment, contracts[experiment.id])
        return suite

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


def conforms(machine: Machine, experiment: Experiment, contract) -> None:
    """A fresh result holds what its snippet declares, no more and no less: its unit and size
    unit, a point for every variant at every size (within LIMITS), none for anything else, each
    with as many samples as the harness takes. A stale result is not checked: it is not shown."""
    entry = machine.entry(experiment)
    if entry is None:
        return
    where = f"{machine.path.name}: field experiments.{experiment.id}"
    fix = f"re-measure with `{experiment.rerun_command}`"
    for key, declared in (("unit", contract.unit), ("size_unit", contract.size_unit)):
        if entry[key] != declared:
            raise ResultsError(f"{where}.{key} is {entry[key]!r} but the snippet says {declared!r}; {fix}")
    points = [(p["variant"], p["size"]) for p in entry["points"]]
    allowed = {
        (v, n) for v in contract.variants for n in contract.sizes + contract.large_sizes if contract.runs_at(v, n)
    }
    if extra := [p for p in points if p not in allowed]:
        raise ResultsError(f"{where}: a point {extra[0]} the snippet does not declare; {fix}")
    required = {(v, n) for v, n in allowed if n in contract.sizes}
    if missing := sorted(required - set(points)):
        raise ResultsError(f"{where}: no point {missing[0]}, which the snippet declares; {fix}")
    for i, p in enumerate(entry["points"]):
        if len(p["samples_ns"]) < REPEATS["full"]:
            raise ResultsError(
                f"{where}.points[{i}].samples_ns: {len(p['samples_ns'])} samples, fewer than the "
                f"{REPEATS['full']} the harness takes; {fix}"
            )


def _is_reference(data: dict, cfg) -> bool:
    return data["machine"]["name"] in cfg.reference_machines and data["build"] == cfg.reference_build
