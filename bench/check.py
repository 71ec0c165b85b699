"""`python -m bench check`: every claim on every machine with a fresh result.

A problem is a claim that is false on a reference machine, or an experiment fresh on none of
them. A reference machine whose result is stale drops out and is listed; another machine (a
reader's) is shown beside the references, its false claims marked but never a problem. An
experiment that NEEDS hardware the reference machines lack (a GPU) is judged where it was
measured, and its absence from the reference machines is listed, not a problem.
"""

from dataclasses import dataclass, field
from pathlib import Path

from bench import summary
from bench.claims import ClaimError, Verdict, judge
from bench.contract import Contract, contracts
from bench.discover import Experiment, by_id
from bench.results import RESULTS
from bench.suite import Machine, Suite


@dataclass
class Judged:
    """One experiment's claims on each machine where its result is fresh."""

    experiment: Experiment
    contract: Contract
    verdicts: dict[Machine, dict[str, Verdict]] = field(default_factory=dict)  # claim name -> verdict
    errors: dict[Machine, str] = field(default_factory=dict)  # claims a machine cannot judge, and why
    stale: list[Machine] = field(default_factory=list)  # reference machines to re-measure
    lacking: list[Machine] = field(default_factory=list)  # reference machines without what NEEDS names
    new: bool = False  # no reference machine has ever measured it: a page shows it once one has

    def problems(self) -> list[str]:
        eid = self.experiment.id
        false = [f"false claim on {v.machine}: {v.text}: measured {v.ratio:.2f}× ({eid})" for v in self.false()]
        return self.unjudged() + false

    def unjudged(self) -> list[str]:
        """Problems other than a false claim: no fresh reference result, or claims a reference cannot judge."""
        if not any(m.reference for m in self.verdicts) and not self.contract.needs and not self.new:
            return [
                f"{self.experiment.id} is fresh on no reference machine: run `{self.experiment.rerun_command}`"
                " on one of them"
            ]
        return [f"{m.label}: {error}" for m, error in self.errors.items() if m.reference]

    def false(self) -> list[Verdict]:
        """The claims false on a reference machine."""
        return [v for m, verdicts in self.verdicts.items() if m.reference for v in verdicts.values() if not v.holds]


def judge_all(suite: Suite, experiment: Experiment, contract: Contract, also: tuple[Machine, ...] = ()) -> Judged:
    """The claims on every shown machine, and on `also` (another build just measured, say)."""
    stale = suite.stale_references(experiment)
    # A reference machine that never measured an experiment needing a GPU has none; one that did, has.
    lacking = [m for m in stale if contract.needs and experiment.id not in m.data["experiments"]]
    judged = Judged(experiment, contract, stale=[m for m in stale if m not in lacking], lacking=lacking)
    judged.new = not contract.needs and all(experiment.id not in m.data["experiments"] for m in suite.references)
    extra = [(m, e) for m in also if m not in suite.shown and (e := m.entry(experiment)) is not None]
    for machine, entry in suite.fresh(experiment) + extra:
        try:
            judged.verdicts[machine] = {name: judge(c, entry, contract, machine) for name, c in contract.claims.items()}
        except ClaimError as error:
            judged.errors[machine] = str(error)
    return judged


def report(judged: Judged) -> list[str]:
    """Lines for the terminal: each claim, then its ratio on each machine."""
    eid, lines = judged.experiment.id, []
    for name, claim in judged.contract.claims.items():
        cells = [(m, verdicts[name]) for m, verdicts in judged.verdicts.items()]
        false_on_reference = any(not v.holds for m, v in cells if m.reference)
        verdict = "FALSE" if false_on_reference else "ok" if cells else "--"  # --: measured nowhere yet
        lines.append(f"{verdict:<6}{eid} {name}: {claim.sentence(judged.contract.size_unit)}")
        lines += [f"        {v.describe()}{'' if m.reference else ' (not a reference machine)'}" for m, v in cells]
    lines += [f"ERROR {eid} on {m.label}: {error}" for m, error in judged.errors.items()]
    lines += [
        f"NOT RE-MEASURED {eid} on {m.label} ({m.why_not_fresh(judged.experiment)}): "
        f"run `{judged.experiment.rerun_command}` there"
        for m in judged.stale
    ]
    if judged.new:
        lines.append(
            f"NOT YET MEASURED {eid}: no reference machine has measured it; "
            f"`{judged.experiment.rerun_command}` on one does, and its page shows the numbers then"
        )
    if judged.lacking:
        labels = ", ".join(m.label for m in judged.lacking)
        lines.append(
            f"NOT MEASURED {eid} on {labels}: it needs {judged.contract.needs}, which they lack; "
            f"`{judged.experiment.rerun_command}` measures it on a machine that has one"
        )
    return lines


def check(ids: list[str] | None = None, directory: Path = RESULTS, summary_path: Path | None = None) -> int:
    """Print each claim's verdict per machine; exit status 1 on any problem. With a summary file,
    append the false claims (claim, machine, measured ratio) and other problems to it as Markdown."""
    chosen = by_id(ids or [])
    known = contracts(chosen)
    suite = Suite.load(directory, known)
    problems, rows = [], []
    for experiment in chosen:
        judged = judge_all(suite, experiment, known[experiment.id])
        print("\n".join(report(judged)))
        problems += judged.problems()
        rows += [[experiment.id, v.text, v.machine, f"{v.ratio:.2f}×"] for v in judged.false()]
        rows += [[experiment.id, problem, "", ""] for problem in judged.unjudged()]
    names = ", ".join(m.label for m in suite.references)
    for problem in problems:
        print(f"PROBLEM {problem}")
    print(f"{len(problems)} problem(s)" if problems else f"every claim holds on every reference machine ({names})")
    heading = ["experiment", "claim or problem", "machine", "measured"]
    summary.write(summary_path, "Claims", heading, rows, f"Every claim holds on every reference machine ({names}).")
    return 1 if problems else 0
